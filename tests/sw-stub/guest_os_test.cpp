#include "sw-stub/guest_os.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "arch/golden_translator.h"
#include "arch/mmu_regs.h"
#include "arch/pte.h"
#include "sw-stub/bare_metal.h"
#include "sw-stub/mmu_program.h"
#include "sw-stub/scenario.h"
#include "sw-stub/stub_error.h"
#include "tb/direct_bus.h"
#include "tests/sw-stub/stub_test_util.h"

namespace mmuvp::stub {
namespace {

using arch::AccessType;
using arch::FaultKind;
using arch::kPage1G;
using arch::kPage2M;
using arch::kPage4K;
using arch::PageSize;
using testing::probe;
namespace pf = arch::pf;
namespace pte = arch::pte;
namespace regs = arch::regs;

constexpr std::uint64_t kMiB = 1ull << 20;
constexpr arch::gva_t kVa = 1ull << 40;

// ---- every guest leaf translates as recorded, for each guest x host page size ------------------

struct SizeCase {
  PagePolicy guest;
  PageSize host;
};

class GuestMappings : public ::testing::TestWithParam<SizeCase> {};

TEST_P(GuestMappings, TranslateAsRecordedUnderNestedPaging) {
  const SizeCase c = GetParam();
  tb::DirectMachine m;
  ScenarioConfig cfg;
  cfg.mode = arch::Mode::kNested;
  cfg.guest_pages = c.guest;
  cfg.host_pages = c.host;
  cfg.footprint = c.guest == PagePolicy::k1G ? kPage1G : 8 * kMiB;
  Scenario s(m.bus, cfg);
  const MappingRecord& rec = s.process().mappings();
  const PageSize want = c.guest == PagePolicy::k1G   ? PageSize::k1G
                        : c.guest == PagePolicy::k2M ? PageSize::k2M
                                                     : PageSize::k4K;
  EXPECT_EQ(rec.bytes(), cfg.footprint);
  EXPECT_EQ(rec.leaf_count(), cfg.footprint / arch::page_bytes(want));

  arch::GoldenTranslator g(m.memory);
  const arch::TranslationContext& ctx = m.context(0);
  rec.for_each_leaf([&](const Leaf& l) {
    EXPECT_EQ(l.size, want);
    for (std::uint64_t off : {std::uint64_t{0}, l.bytes() / 2 + 8, l.bytes() - 8}) {
      const arch::gva_t va = l.in + off;
      const arch::TranslationResult r = probe(g, ctx, va, AccessType::kWrite);
      ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
      EXPECT_EQ(r.gpa, l.out + off);
      EXPECT_EQ(r.hpa, s.vm()->gpa_to_hpa(r.gpa));
      EXPECT_EQ(r.guest_size, l.size);
      EXPECT_EQ(r.guest_leaf, l.entry());
      const Leaf host = *s.vm()->ept_mappings().find(r.gpa);
      EXPECT_EQ(r.host_size, host.size);
      EXPECT_EQ(r.ept_leaf, host.entry());
      EXPECT_EQ(r.size, arch::min_size(l.size, host.size));
    }
  });
}

INSTANTIATE_TEST_SUITE_P(AllSizes, GuestMappings,
                         ::testing::Values(SizeCase{PagePolicy::k4K, PageSize::k4K},
                                           SizeCase{PagePolicy::k4K, PageSize::k2M},
                                           SizeCase{PagePolicy::k4K, PageSize::k1G},
                                           SizeCase{PagePolicy::k2M, PageSize::k4K},
                                           SizeCase{PagePolicy::k2M, PageSize::k2M},
                                           SizeCase{PagePolicy::k2M, PageSize::k1G},
                                           SizeCase{PagePolicy::k1G, PageSize::k4K},
                                           SizeCase{PagePolicy::k1G, PageSize::k2M},
                                           SizeCase{PagePolicy::k1G, PageSize::k1G}),
                         [](const auto& info) {
                           return "Guest" + std::string(to_string(info.param.guest)) + "Host" +
                                  std::string(arch::to_string(info.param.host));
                         });

// ---- random address spaces ----------------------------------------------------------------------

struct Placed {
  arch::gva_t va;
  std::uint64_t bytes;
  PageFlags flags;
};

// Maps a random address space (mixed page sizes, holes, permissions, kernel global pages) and
// checks every leaf, every permission rule and a sample of holes against the golden model.
void check_random_space(GuestOs& guest, Process& p, const arch::TranslationContext& ctx,
                        arch::GoldenTranslator& g, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Placed> placed;
  int huge = 0;
  for (int i = 0; i < 60; ++i) {
    const unsigned pick = rng() % 10;
    const PagePolicy policy = pick < 5   ? PagePolicy::k4K
                              : pick < 8 ? PagePolicy::k2M
                              : pick < 9 ? PagePolicy::kThp
                                         : (huge < 2 ? PagePolicy::k1G : PagePolicy::k2M);
    const std::uint64_t unit = policy == PagePolicy::k1G   ? kPage1G
                               : policy == PagePolicy::k2M ? kPage2M
                                                           : kPage4K;
    const std::uint64_t bytes = policy == PagePolicy::kThp
                                    ? (kPage2M + (1 + rng() % 600) * kPage4K)
                                    : unit * (policy == PagePolicy::k1G ? 1 : 1 + rng() % 4);
    const bool kernel = rng() % 5 == 0;
    PageFlags f;
    f.user = !kernel;
    f.global = kernel && rng() % 2 == 0;
    f.writable = rng() % 3 != 0;
    f.executable = rng() % 3 == 0;
    const arch::gva_t base = kernel ? 0xffff800000000000ull : 0;
    const arch::gva_t va = base + ((rng() % (1ull << 46)) & ~(unit - 1)) +
                           (policy == PagePolicy::kThp ? (rng() % 512) * kPage4K : 0);
    if (p.mappings().overlaps({va, va + bytes})) continue;
    guest.map(p, va, bytes, policy, f);
    placed.push_back({va, bytes, f});
    if (policy == PagePolicy::k1G) ++huge;
  }
  ASSERT_GT(placed.size(), 40u);

  std::uint64_t leaves = 0;
  for (const Placed& pl : placed) {
    for (const Leaf& l : p.mappings().leaves_in({pl.va, pl.va + pl.bytes})) {
      ++leaves;
      const arch::gva_t va = l.in + (rng() % l.bytes() & ~7ull);
      const bool user = pl.flags.user;
      const arch::TranslationResult r = probe(g, ctx, va, AccessType::kRead, user);
      ASSERT_TRUE(r.ok()) << std::hex << va << " " << arch::describe(r.fault);
      EXPECT_EQ(r.gpa, l.translate(va));
      EXPECT_EQ(r.guest_leaf, l.entry());
      EXPECT_EQ(r.perms.w, pl.flags.writable);
      EXPECT_EQ(r.perms.u, pl.flags.user);
      EXPECT_EQ(r.perms.x, pl.flags.executable);
      EXPECT_EQ((r.guest_leaf & pte::kG) != 0, pl.flags.global);
      if (!pl.flags.user) {
        const arch::TranslationResult u = probe(g, ctx, va, AccessType::kRead, true);
        EXPECT_EQ(u.fault.kind, FaultKind::kGuestPageFault);
        EXPECT_EQ(u.fault.code, pf::kP | pf::kU);
      }
      if (!pl.flags.writable) {
        const arch::TranslationResult w = probe(g, ctx, va, AccessType::kWrite, user);
        EXPECT_EQ(w.fault.kind, FaultKind::kGuestPageFault);
        EXPECT_EQ(w.fault.code, pf::kP | pf::kW | (user ? pf::kU : 0));
      }
      if (!pl.flags.executable) {
        const arch::TranslationResult x = probe(g, ctx, va, AccessType::kExecute, user);
        EXPECT_EQ(x.fault.kind, FaultKind::kGuestPageFault);
        EXPECT_EQ(x.fault.code, pf::kP | pf::kI | (user ? pf::kU : 0));
      }
    }
  }
  EXPECT_EQ(leaves, p.mappings().leaf_count());
  // The tables in memory hold exactly the recorded leaves, entry for entry.
  std::vector<Leaf> in_memory;
  testing::walk_leaves<GuestTableFormat>([&](arch::gpa_t a) { return guest.platform().read64(a); },
                                         p.cr3(), 4, 0, in_memory);
  EXPECT_EQ(in_memory, p.mappings().leaves());
  // Holes: random canonical addresses that the record does not map fault as not present.
  int holes = 0;
  while (holes < 200) {
    const arch::gva_t va = (rng() % 2 ? 0xffff800000000000ull : 0) + (rng() % (1ull << 47));
    if (p.mappings().find(va)) continue;
    ++holes;
    const arch::TranslationResult r = probe(g, ctx, va & ~7ull);
    EXPECT_EQ(r.fault.kind, FaultKind::kGuestPageFault) << std::hex << va;
    EXPECT_EQ(r.fault.code & pf::kP, 0u);
    EXPECT_EQ(r.fault.gva, va & ~7ull);
  }
}

TEST(GuestOs, RandomAddressSpacesOnBareMetal) {
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    tb::DirectMachine m;
    BareMetal hw(m.bus, 8 * kPage1G);
    GuestOs guest(hw);
    Process& p = guest.create_process(5);
    guest.context_switch(0, p);
    guest.set_mode(0, arch::Mode::kNative);
    mmu::set_ad_updates(m.bus, 0, false);
    arch::GoldenTranslator g(m.memory);
    check_random_space(guest, p, m.context(0), g, seed);
  }
}

TEST(GuestOs, RandomAddressSpaceInAVm) {
  tb::DirectMachine m;
  Vmm vmm(m.bus, {0, 32 * kPage1G});
  VmConfig vc;
  vc.memory_bytes = 8 * kPage1G;
  vc.host_pages = PageSize::k1G;
  vc.io_gap = true;
  VirtualMachine& vm = vmm.create_vm(vc);
  GuestOs guest(vm);
  Process& p = guest.create_process(9);
  vmm.load(0, vm);
  guest.context_switch(0, p);
  guest.set_mode(0, arch::Mode::kNested);
  mmu::set_ad_updates(m.bus, 0, false);
  arch::GoldenTranslator g(m.memory);
  check_random_space(guest, p, m.context(0), g, 7);
}

// ---- editing mappings ---------------------------------------------------------------------------

struct NativeBox {
  NativeBox() : hw(m.bus, 256 * kMiB), guest(hw), p(guest.create_process(1)), g(m.memory) {
    guest.context_switch(0, p);
    guest.set_mode(0, arch::Mode::kNative);
    mmu::set_ad_updates(m.bus, 0, false);
  }
  arch::TranslationResult at(arch::gva_t va, AccessType t = AccessType::kRead) {
    return probe(g, m.context(0), va, t);
  }
  tb::DirectMachine m;
  BareMetal hw;
  GuestOs guest;
  Process& p;
  arch::GoldenTranslator g;
};

TEST(GuestOs, PartialUnmapSplitsALargePage) {
  NativeBox b;
  b.guest.map(b.p, kVa, kPage2M, PagePolicy::k2M);
  const arch::gpa_t frame = b.p.mappings().find(kVa)->out;
  EXPECT_EQ(b.at(kVa + 0x6008).guest_size, PageSize::k2M);
  const std::size_t tables = b.p.table_pages();

  b.guest.unmap(b.p, kVa + 0x5000, kPage4K);
  EXPECT_EQ(b.guest.stats().splits, 1u);
  EXPECT_EQ(b.p.table_pages(), tables + 1);  // the new page table of the split
  EXPECT_EQ(b.p.mappings().leaf_count(), 511u);
  EXPECT_TRUE(b.guest.allocator().is_free({frame + 0x5000, frame + 0x6000}));
  const arch::TranslationResult hole = b.at(kVa + 0x5008);
  EXPECT_EQ(hole.fault.kind, FaultKind::kGuestPageFault);
  EXPECT_EQ(hole.fault.level, 1);
  const arch::TranslationResult next = b.at(kVa + 0x6008);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.gpa, frame + 0x6008);  // same frame as before the split
  EXPECT_EQ(next.guest_size, PageSize::k4K);
  EXPECT_EQ(next.guest_leaf, b.p.mappings().find(kVa + 0x6000)->entry());
  std::vector<Leaf> in_memory;
  testing::walk_leaves<GuestTableFormat>([&](arch::gpa_t a) { return b.hw.read64(a); }, b.p.cr3(),
                                         4, 0, in_memory);
  EXPECT_EQ(in_memory, b.p.mappings().leaves());
}

TEST(GuestOs, ProtectRewritesPermissions) {
  NativeBox b;
  b.guest.map(b.p, kVa, 4 * kPage4K, PagePolicy::k4K);
  PageFlags ro;
  ro.writable = false;
  b.guest.protect(b.p, kVa + kPage4K, 2 * kPage4K, ro);
  EXPECT_TRUE(b.at(kVa, AccessType::kWrite).ok());
  const arch::TranslationResult w = b.at(kVa + kPage4K, AccessType::kWrite);
  EXPECT_EQ(w.fault.kind, FaultKind::kGuestPageFault);
  EXPECT_EQ(w.fault.code, pf::kP | pf::kW | pf::kU);
  EXPECT_TRUE(b.at(kVa + 2 * kPage4K).ok());
  EXPECT_TRUE(b.at(kVa + 3 * kPage4K, AccessType::kWrite).ok());
  EXPECT_EQ(b.p.mappings().find(kVa + kPage4K)->flags & pte::kRW, 0u);
  EXPECT_EQ(b.at(kVa + kPage4K).guest_leaf, b.p.mappings().find(kVa + kPage4K)->entry());
}

TEST(GuestOs, MapRejectsBadRequestsAndChangesNothing) {
  NativeBox b;
  b.guest.map(b.p, kVa, kPage2M, PagePolicy::k4K);
  const std::uint64_t free_before = b.guest.allocator().free_bytes();
  const std::size_t tables_before = b.p.table_pages();
  EXPECT_THROW(b.guest.map(b.p, kVa + kPage4K, kPage4K, PagePolicy::k4K), StubError);  // overlap
  EXPECT_THROW(b.guest.map(b.p, kVa + 0x123, kPage4K, PagePolicy::k4K), StubError);
  EXPECT_THROW(b.guest.map(b.p, kVa + kPage4K, kPage2M, PagePolicy::k2M), StubError);
  EXPECT_THROW(b.guest.map(b.p, 0x0000800000000000ull, kPage4K, PagePolicy::k4K), StubError);
  EXPECT_THROW(b.guest.map(b.p, 0x00007ffffffff000ull, 2 * kPage4K, PagePolicy::k4K), StubError);
  // Out of memory part-way: all or nothing.
  EXPECT_THROW(b.guest.map(b.p, 2 * kVa, 512 * kMiB, PagePolicy::k2M), OutOfMemory);
  // Every data frame went back; only the page tables made on the way stay (as in any OS).
  EXPECT_EQ(b.guest.allocator().free_bytes(),
            free_before - kPage4K * (b.p.table_pages() - tables_before));
  EXPECT_FALSE(b.p.mappings().overlaps({2 * kVa, 2 * kVa + 512 * kMiB}));
}

// ---- context switches and the guest segment -----------------------------------------------------

TEST(GuestOs, ContextSwitchSavesAndRestoresTheGuestSegment) {
  tb::DirectMachine m;
  BareMetal hw(m.bus, 256 * kMiB);
  GuestOs guest(hw);
  Process& a = guest.create_process(1);
  Process& b = guest.create_process(2);
  const arch::gpa_t ga = guest.map_primary_region(a, kVa, 8 * kMiB);
  const arch::gpa_t gb = guest.map_primary_region(b, 2 * kVa, 4 * kMiB);
  EXPECT_EQ(ga % kPage2M, 0u);  // aligned like the region (2M: the largest page that fits)
  EXPECT_EQ(a.guest_segment().offset, ga - kVa);
  EXPECT_EQ(b.guest_segment().offset, gb - 2 * kVa);
  guest.set_mode(0, arch::Mode::kNativeDs);
  mmu::set_ad_updates(m.bus, 0, false);

  guest.context_switch(0, a);
  EXPECT_EQ(mmu::read_guest_segment(m.bus, 0).base, kVa);
  EXPECT_EQ(mmu::read_guest_segment(m.bus, 0).limit, kVa + 8 * kMiB);
  EXPECT_EQ(m.bus.mmio_read(0, regs::kCr3), a.cr3());
  EXPECT_EQ(m.bus.mmio_read(0, regs::kPcid), 1u);

  // The OS shrinks a's segment while it runs; the switch must save what the MMU holds.
  const arch::Segment shrunk{kVa, kVa + 2 * kMiB, ga - kVa};
  mmu::write_guest_segment(m.bus, 0, shrunk);
  guest.context_switch(0, b);
  EXPECT_EQ(a.guest_segment().limit, shrunk.limit);
  EXPECT_EQ(mmu::read_guest_segment(m.bus, 0).base, 2 * kVa);
  EXPECT_EQ(mmu::read_guest_segment(m.bus, 0).offset, gb - 2 * kVa);
  EXPECT_EQ(m.bus.mmio_read(0, regs::kCr3), b.cr3());
  EXPECT_EQ(m.bus.mmio_read(0, regs::kPcid), 2u);

  guest.context_switch(0, a);
  EXPECT_EQ(mmu::read_guest_segment(m.bus, 0).limit, kVa + 2 * kMiB);
  arch::GoldenTranslator g(m.memory);
  const arch::TranslationResult in = probe(g, m.context(0), kVa + kMiB);
  ASSERT_TRUE(in.ok());
  EXPECT_TRUE(in.guest_seg_hit);
  EXPECT_EQ(in.refs.size(), 0u);
  EXPECT_EQ(in.gpa, ga + kMiB);
  // Outside the shrunk segment the page table (which maps the whole region) answers.
  const arch::TranslationResult out = probe(g, m.context(0), kVa + 3 * kMiB);
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out.guest_seg_hit);
  EXPECT_EQ(out.refs.size(), 3u);  // 2M leaves
  EXPECT_EQ(out.gpa, ga + 3 * kMiB);
}

TEST(GuestOs, PrimaryRegionIsProgrammedOnTheRunningCore) {
  tb::DirectMachine m(2);
  BareMetal hw(m.bus, 64 * kMiB);
  GuestOs guest(hw);
  Process& p = guest.create_process(3);
  guest.context_switch(1, p);
  EXPECT_FALSE(m.context(1).guest_seg.enabled());
  const arch::gpa_t gpa = guest.map_primary_region(p, kVa, kPage2M, PagePolicy::k4K);
  EXPECT_EQ(m.context(1).guest_seg.base, kVa);
  EXPECT_EQ(m.context(1).guest_seg.offset, gpa - kVa);
  EXPECT_FALSE(m.context(0).guest_seg.enabled());
  EXPECT_EQ(p.mappings().leaf_count(), 512u);
  EXPECT_THROW(guest.map_primary_region(p, 2 * kVa, kPage2M), StubError);  // one per process
  EXPECT_THROW(guest.unmap(p, kVa, kPage4K), StubError);
}

TEST(GuestOs, KernelHalfPrimaryRegionIsRefusedByTheMmu) {
  tb::DirectMachine m;
  BareMetal hw(m.bus, 64 * kMiB);
  GuestOs guest(hw);
  Process& p = guest.create_process(1);
  guest.map_primary_region(p, 0xffff800000000000ull, kPage2M);
  try {
    guest.context_switch(0, p);
    FAIL() << "a guest segment over kernel addresses is outside its input space";
  } catch (const RegisterRefused& e) {
    EXPECT_EQ(e.status(), regs::RegStatus::kSegInputOutOfRange);
    EXPECT_NE(std::string(e.what()).find("guest segment"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(m.context(0).guest_seg.enabled());
}

// ---- faults -------------------------------------------------------------------------------------

TEST(GuestOs, DemandPagingMapsOnFirstTouch) {
  NativeBox b;
  PageFlags ro;
  ro.writable = false;
  b.guest.reserve_area(b.p, kVa, 16 * kPage4K);
  b.guest.reserve_area(b.p, kVa + 16 * kPage4K, 4 * kPage4K, ro);
  EXPECT_THROW(b.guest.reserve_area(b.p, kVa + kPage4K, kPage4K), StubError);

  arch::TranslationResult r = b.at(kVa + 0x3008, AccessType::kWrite);
  ASSERT_EQ(r.fault.kind, FaultKind::kGuestPageFault);
  EXPECT_EQ(r.fault.code, pf::kW | pf::kU);
  EXPECT_EQ(b.guest.handle_page_fault(0, r.fault), FaultOutcome::kMapped);
  r = b.at(kVa + 0x3008, AccessType::kWrite);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.gpa, b.p.mappings().find(kVa + 0x3000)->out + 8);
  EXPECT_EQ(r.guest_size, PageSize::k4K);
  EXPECT_EQ(b.p.mappings().leaf_count(), 1u);
  EXPECT_EQ(b.guest.stats().demand_faults, 1u);

  r = b.at(kVa + 17 * kPage4K, AccessType::kWrite);  // write into the read-only area
  EXPECT_EQ(b.guest.handle_page_fault(0, r.fault), FaultOutcome::kSegv);
  r = b.at(kVa + 64 * kPage4K);  // outside every area
  EXPECT_EQ(b.guest.handle_page_fault(0, r.fault), FaultOutcome::kSegv);
  r = b.at(kVa + 0x3000, AccessType::kExecute);  // protection: present but XD
  EXPECT_EQ(r.fault.code & pf::kP, pf::kP);
  EXPECT_EQ(b.guest.handle_page_fault(0, r.fault), FaultOutcome::kSegv);
  arch::Fault ept;
  ept.kind = FaultKind::kEptViolation;
  EXPECT_THROW(b.guest.handle_page_fault(0, ept), StubError);
}

TEST(GuestOs, FaultsInALazyVmGoToTheGuestThenTheVmm) {
  tb::DirectMachine m;
  Vmm vmm(m.bus, {0, 4 * kPage1G});
  VmConfig vc;
  vc.memory_bytes = 64 * kMiB;
  vc.prefault = false;
  VirtualMachine& vm = vmm.create_vm(vc);
  GuestOs guest(vm);
  Process& p = guest.create_process(1);
  guest.reserve_area(p, kVa, 64 * kPage4K);
  vmm.load(0, vm);
  guest.context_switch(0, p);
  guest.set_mode(0, arch::Mode::kNested);
  arch::GoldenTranslator g(m.memory);

  std::vector<FaultKind> seen;
  arch::TranslationResult r;
  for (int tries = 0; tries < 8; ++tries) {
    r = probe(g, m.context(0), kVa + 0x10, AccessType::kWrite);
    if (r.ok()) break;
    seen.push_back(r.fault.kind);
    if (r.fault.kind == FaultKind::kGuestPageFault) {
      ASSERT_EQ(guest.handle_page_fault(0, r.fault), FaultOutcome::kMapped);
    } else {
      ASSERT_EQ(r.fault.kind, FaultKind::kEptViolation);
      ASSERT_TRUE(vm.handle_ept_violation(r.fault.gpa));
    }
  }
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(seen, (std::vector<FaultKind>{FaultKind::kGuestPageFault, FaultKind::kEptViolation}));
  EXPECT_EQ(r.hpa, vm.gpa_to_hpa(p.mappings().find(kVa)->out) + 0x10);
  EXPECT_EQ(vm.stats().ept_violations, vm.ept_mappings().leaf_count());  // all backed lazily
}

TEST(GuestOs, ShootdownsFollowTheProcessAcrossCores) {
  tb::DirectMachine m(2);
  std::vector<arch::Invalidation> seen;
  for (auto& mmu : m.mmus)
    mmu.on_invalidate = [&](const arch::Invalidation& inv) {
      if (inv.op != regs::InvOp::kFlushAll) seen.push_back(inv);
    };
  BareMetal hw(m.bus, 64 * kMiB);
  GuestOs guest(hw);
  Process& p = guest.create_process(42);
  guest.map(p, kVa, 4 * kPage4K, PagePolicy::k4K);
  guest.context_switch(0, p);
  guest.context_switch(1, p);
  guest.unmap(p, kVa + kPage4K, kPage4K);
  ASSERT_EQ(seen.size(), 2u);  // one page, two cores
  for (const auto& inv : seen) {
    EXPECT_EQ(inv.op, regs::InvOp::kInvpcidAddr);
    EXPECT_EQ(inv.pcid, 42u);
    EXPECT_EQ(inv.addr, kVa + kPage4K);
  }
  seen.clear();
  PageFlags kernel;
  kernel.user = false;
  kernel.global = true;
  guest.map(p, 0xffff800000000000ull, kPage4K, PagePolicy::k4K, kernel);
  guest.protect(p, 0xffff800000000000ull, kPage4K, PageFlags{});
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].op, regs::InvOp::kInvpcidAllGlobal);  // a global page: flush globals too
}

}  // namespace
}  // namespace mmuvp::stub
