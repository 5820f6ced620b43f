// Shadow paging (sw-stub/shadow_pager.h) against the golden model: the hardware walking the shadow
// table natively must give, for every address and access, what the nested walk of the guest's own
// table and the EPT gives (same hPA, same permissions, same fault), before and after the guest
// edits its tables, switches processes, and the VMM moves memory; and every trap is counted.
#include "sw-stub/shadow_pager.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "arch/golden_translator.h"
#include "arch/mmu_regs.h"
#include "sw-stub/guest_os.h"
#include "sw-stub/mmu_program.h"
#include "sw-stub/virtual_machine.h"
#include "sw-stub/vmm.h"
#include "tb/direct_bus.h"

namespace mmuvp::stub {
namespace {

using arch::AccessType;
using arch::kPage1G;
using arch::kPage2M;
using arch::kPage4K;
using arch::Mode;
using arch::PageSize;
namespace regs = arch::regs;

constexpr arch::gva_t kHeap = 1ull << 40;
constexpr arch::gva_t kCode = 0x400000;

struct ShadowCase {
  PageSize host_pages;
  PagePolicy guest_pages;
};

void PrintTo(const ShadowCase& c, std::ostream* os) {
  *os << arch::page_bytes(c.host_pages) / 1024 << "K host, " << to_string(c.guest_pages);
}

std::string case_name(const ::testing::TestParamInfo<ShadowCase>& info) {
  return std::to_string(arch::page_bytes(info.param.host_pages) / 1024) + "KHost_" +
         std::string(to_string(info.param.guest_pages));
}

class ShadowPaging : public ::testing::TestWithParam<ShadowCase> {
 protected:
  explicit ShadowPaging(bool prefault = true, bool dynamic = false)
      : vmm_(m_.bus, {0, 16 * kPage1G}) {
    VmConfig vc;
    vc.memory_bytes = 5 * kPage1G;
    vc.host_pages = GetParam().host_pages;
    vc.shadow_paging = !dynamic;
    vc.dynamic_paging = dynamic;
    vc.preset_ad = true;
    vc.prefault = prefault;
    vm_ = &vmm_.create_vm(vc);
    vmm_.load(0, *vm_);
    vmm_.load(1, *vm_);
    GuestOsConfig gc;
    gc.preset_ad = true;
    guest_ = std::make_unique<GuestOs>(*vm_, gc);
    p_ = &guest_->create_process(1);
    guest_->map(*p_, kHeap, rounded(64ull << 20), GetParam().guest_pages);
    PageFlags code;
    code.writable = false;
    code.executable = true;
    guest_->map(*p_, kCode, 2 * kPage2M, PagePolicy::k4K, code);
    PageFlags ro;
    ro.writable = false;
    guest_->map(*p_, kHeap + kPage1G, rounded(kPage2M), GetParam().guest_pages, ro);
    guest_->context_switch(0, *p_);
    guest_->set_mode(0, Mode::kNested);
  }

  ShadowPager& pager() { return *vm_->shadow(); }
  // `bytes` rounded up to the guest page size of the case.
  static std::uint64_t rounded(std::uint64_t bytes) {
    const std::uint64_t g = GetParam().guest_pages == PagePolicy::k1G   ? kPage1G
                            : GetParam().guest_pages == PagePolicy::k2M ? kPage2M
                                                                        : kPage4K;
    return (bytes + g - 1) & ~(g - 1);
  }

  // Every access type at `va`, the shadow walk (core 0 as programmed) against the nested walk of
  // the process's own tables.
  void expect_same(const Process& p, arch::gva_t va) {
    const arch::TranslationContext& shadow = m_.context(0);
    arch::TranslationContext nested = shadow;
    nested.mode = Mode::kNested;
    nested.cr3 = p.cr3();
    nested.eptp = vm_->eptp();
    for (AccessType t : {AccessType::kRead, AccessType::kWrite, AccessType::kExecute}) {
      const arch::Access a{va, t, true};
      const arch::TranslationResult s = golden_.translate(shadow, a);
      const arch::TranslationResult n = golden_.translate(nested, a);
      ASSERT_EQ(s.ok(), n.ok()) << std::hex << va << " " << arch::describe(s.fault) << " / "
                                << arch::describe(n.fault);
      if (n.ok()) {
        ASSERT_EQ(s.hpa, n.hpa) << std::hex << va;
        ASSERT_EQ(s.perms.w, n.perms.w) << std::hex << va;
        ASSERT_EQ(s.perms.x, n.perms.x) << std::hex << va;
        ASSERT_EQ(s.perms.u, n.perms.u) << std::hex << va;
        ASSERT_LE(arch::page_bytes(s.size), arch::page_bytes(n.size));
        ASSERT_LE(s.read_refs(), 4u);
      } else {
        ASSERT_EQ(s.fault.kind, arch::FaultKind::kGuestPageFault);
        ASSERT_EQ(s.fault.code, n.fault.code) << std::hex << va;
      }
    }
  }

  // Each mapped leaf's first and last byte and a random byte, plus neighbours outside.
  void expect_same_everywhere(const Process& p) {
    std::mt19937_64 rng(11);
    p.mappings().for_each_leaf([&](const Leaf& l) {
      if (l.in % kPage2M != 0 && rng() % 8 != 0) return;  // a sample of the 4K leaves
      expect_same(p, l.in);
      expect_same(p, l.in + l.bytes() - 1);
      expect_same(p, l.in + rng() % l.bytes());
    });
    const std::vector<arch::gva_t> outside{kHeap - kPage4K, kHeap + rounded(64ull << 20),
                                           kCode - kPage4K, 0, kHeap + kPage1G + rounded(kPage2M)};
    for (arch::gva_t va : outside)
      expect_same(p, va);
  }

  tb::DirectMachine m_{2};
  Vmm vmm_;
  VirtualMachine* vm_ = nullptr;
  std::unique_ptr<GuestOs> guest_;
  Process* p_ = nullptr;
  arch::GoldenTranslator golden_{m_.memory};
};

TEST_P(ShadowPaging, HardwareRunsNativeOnTheShadowRootAndTheGuestReadsItsOwnValues) {
  ASSERT_NE(vm_->shadow(), nullptr);
  EXPECT_EQ(m_.context(0).mode, Mode::kNative);
  EXPECT_EQ(m_.context(0).cr3, *pager().shadow_root(p_->cr3()));
  EXPECT_EQ(m_.context(0).vmid, vm_->vmid());
  EXPECT_EQ(m_.context(0).pcid, p_->pcid());
  EXPECT_EQ(vm_->bus().mmio_read(0, regs::kCr3), p_->cr3());
  EXPECT_EQ(vm_->bus().mmio_read(0, regs::kMode), static_cast<std::uint64_t>(Mode::kNested));
  EXPECT_EQ(pager().stats().shadow_roots, 1u);
  EXPECT_EQ(pager().stats().cr3_exits, 1u);
  // The tables were written before the shadow existed: no stores trapped yet.
  EXPECT_EQ(pager().stats().table_write_exits, 0u);
}

TEST_P(ShadowPaging, ShadowTranslatesEveryAddressAsTheNestedWalk) { expect_same_everywhere(*p_); }

TEST_P(ShadowPaging, GuestTableStoresAreExitsThatKeepTheShadowInSync) {
  const ShadowStats before = pager().stats();
  guest_->map(*p_, kHeap + 2 * kPage1G, rounded(8 * kPage2M), GetParam().guest_pages);
  EXPECT_GT(pager().stats().table_write_exits, before.table_write_exits);
  expect_same_everywhere(*p_);

  // Unmapping across large pages (splits), then new permissions across another edge.
  const std::uint64_t maps = pager().stats().table_write_exits;
  guest_->unmap(*p_, kHeap + kPage2M + 5 * kPage4K, kPage2M);
  guest_->protect(*p_, kHeap + 3 * kPage2M - 3 * kPage4K, 6 * kPage4K,
                  PageFlags{false, true, false, false, 0});
  EXPECT_GT(pager().stats().table_write_exits, maps);
  EXPECT_GT(pager().stats().leaves_dropped, 0u);
  EXPECT_GT(pager().stats().invalidations, 0u);
  expect_same_everywhere(*p_);
}

TEST_P(ShadowPaging, Cr3WritesAreExitsAndEachProcessHasItsShadow) {
  Process& q = guest_->create_process(2);
  guest_->map(q, kHeap, rounded(16ull << 20), GetParam().guest_pages);
  guest_->context_switch(0, q);
  EXPECT_EQ(pager().stats().cr3_exits, 2u);
  EXPECT_EQ(pager().stats().shadow_roots, 2u);
  EXPECT_EQ(m_.context(0).cr3, *pager().shadow_root(q.cr3()));
  EXPECT_EQ(m_.context(0).pcid, q.pcid());
  expect_same_everywhere(q);
  // The other core runs p: its own shadow, reused.
  guest_->context_switch(1, *p_);
  EXPECT_EQ(pager().stats().shadow_roots, 2u);
  EXPECT_EQ(m_.context(1).cr3, *pager().shadow_root(p_->cr3()));
  EXPECT_EQ(m_.context(1).mode, Mode::kNative);  // MODE never written on core 1: reset value
}

TEST_P(ShadowPaging, HostFrameRetirementRebuildsTheShadow) {
  const std::optional<Leaf> leaf = p_->mappings().find(kHeap + 3 * kPage4K);
  ASSERT_TRUE(leaf);
  const arch::hpa_t old_hpa = vm_->gpa_to_hpa(leaf->translate(kHeap + 3 * kPage4K));
  vmm_.mark_bad_frame(old_hpa & ~(kPage4K - 1));
  const arch::TranslationResult r =
      golden_.translate(m_.context(0), arch::Access{kHeap + 3 * kPage4K, AccessType::kRead, true});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r.hpa & ~(kPage4K - 1), old_hpa & ~(kPage4K - 1));
  expect_same_everywhere(*p_);
}

// Host compaction moves the backing of guest memory page by page, self-ballooning unbacks free
// guest pages: each EPT change rebuilds the shadows, which keep translating as the nested walk.
TEST_P(ShadowPaging, CompactionAndBallooningRebuildTheShadow) {
  const std::optional<Leaf> leaf = p_->mappings().find(kHeap);
  ASSERT_TRUE(leaf);
  const arch::gpa_t gpa = leaf->translate(kHeap) & ~(kPage1G - 1);
  const arch::hpa_t before = vm_->gpa_to_hpa(leaf->translate(kHeap));
  vm_->begin_compaction({gpa, gpa + kPage1G});
  while (!vm_->compaction_step(4096)) expect_same(*p_, kHeap + 7 * kPage4K);
  expect_same_everywhere(*p_);
  if (GetParam().host_pages == PageSize::k4K) {
    EXPECT_NE(vm_->gpa_to_hpa(leaf->translate(kHeap)), before);  // the page moved
  }
  guest_->balloon_inflate(8ull << 20);
  expect_same_everywhere(*p_);
}

INSTANTIATE_TEST_SUITE_P(
    Pages, ShadowPaging,
    ::testing::Values(ShadowCase{PageSize::k4K, PagePolicy::k4K},
                      ShadowCase{PageSize::k4K, PagePolicy::k2M},
                      ShadowCase{PageSize::k2M, PagePolicy::k2M},
                      ShadowCase{PageSize::k2M, PagePolicy::kThp},
                      ShadowCase{PageSize::k1G, PagePolicy::k2M},
                      ShadowCase{PageSize::k1G, PagePolicy::k1G}),
    case_name);

// Guest memory backed on demand: the shadow lags the guest where the EPT does not back a gPA yet.
class ShadowPagingOnDemand : public ShadowPaging {
 protected:
  ShadowPagingOnDemand() : ShadowPaging(false) {}
};

TEST_P(ShadowPagingOnDemand, HiddenFaultsBackAndFillOrInjectTheGuestsOwn) {
  const arch::gva_t va = kHeap + 5 * kPage4K + 0x18;
  const arch::Access a{va, AccessType::kWrite, true};
  // Backing the guest tables backed their frames only: the data page is not in the shadow.
  arch::TranslationResult r = golden_.translate(m_.context(0), a);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.fault.kind, arch::FaultKind::kGuestPageFault);
  EXPECT_TRUE(pager().hidden_fault(0, va, r.fault.code));
  EXPECT_EQ(pager().stats().injected_faults, 0u);
  r = golden_.translate(m_.context(0), a);
  ASSERT_TRUE(r.ok());
  expect_same(*p_, va);

  // Not mapped by the guest: its own fault, injected.
  const arch::gva_t hole = kHeap - kPage4K;
  r = golden_.translate(m_.context(0), arch::Access{hole, AccessType::kRead, true});
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(pager().hidden_fault(0, hole, r.fault.code));
  EXPECT_EQ(pager().stats().injected_faults, 1u);
  // A read of a read-only page backs it (unless its gPA shares a host page already backed); a
  // write then finds a present shadow entry that refuses it: the guest's fault too.
  std::uint64_t hidden = 2;
  r = golden_.translate(m_.context(0), arch::Access{kCode, AccessType::kRead, true});
  if (!r.ok()) {
    EXPECT_TRUE(pager().hidden_fault(0, kCode, r.fault.code));
    ++hidden;
  }
  r = golden_.translate(m_.context(0), arch::Access{kCode, AccessType::kWrite, true});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.fault.code & arch::pf::kP, 0u);
  EXPECT_FALSE(pager().hidden_fault(0, kCode, r.fault.code));
  EXPECT_EQ(pager().stats().injected_faults, 2u);
  EXPECT_EQ(pager().stats().hidden_fault_exits, hidden + 1);
  expect_same(*p_, kCode);
}

INSTANTIATE_TEST_SUITE_P(Pages, ShadowPagingOnDemand,
                         ::testing::Values(ShadowCase{PageSize::k4K, PagePolicy::k4K},
                                           ShadowCase{PageSize::k2M, PagePolicy::k2M}),
                         case_name);

// Dynamic paging: processes start nested and the VMM moves them between nested and shadow.
class ShadowPagingDynamic : public ShadowPaging {
 protected:
  ShadowPagingDynamic() : ShadowPaging(true, true) {}
};

TEST_P(ShadowPagingDynamic, ProcessesStartNestedAndSwitchBothWays) {
  EXPECT_EQ(m_.context(0).mode, Mode::kNested);
  EXPECT_EQ(m_.context(0).cr3, p_->cr3());
  EXPECT_FALSE(pager().shadowed(p_->cr3()));
  EXPECT_FALSE(pager().shadowing(0));
  // Under nested paging the guest's table stores do not trap.
  guest_->map(*p_, kHeap + 2 * kPage1G, rounded(4 * kPage2M), GetParam().guest_pages);
  EXPECT_EQ(pager().stats().table_write_exits, 0u);

  ASSERT_TRUE(pager().set_shadowed(p_->cr3(), true));
  EXPECT_FALSE(pager().set_shadowed(p_->cr3(), true));  // already so: nothing done
  EXPECT_EQ(pager().stats().switch_exits, 1u);
  EXPECT_EQ(m_.context(0).mode, Mode::kNative);
  EXPECT_EQ(m_.context(0).cr3, *pager().shadow_root(p_->cr3()));
  EXPECT_TRUE(pager().shadowing(0));
  EXPECT_EQ(vm_->bus().mmio_read(0, regs::kCr3), p_->cr3());
  expect_same_everywhere(*p_);
  guest_->unmap(*p_, kHeap + kPage2M + 5 * kPage4K, kPage2M);
  EXPECT_GT(pager().stats().table_write_exits, 0u);
  expect_same_everywhere(*p_);

  ASSERT_TRUE(pager().set_shadowed(p_->cr3(), false));
  EXPECT_EQ(pager().stats().switch_exits, 2u);
  EXPECT_EQ(m_.context(0).mode, Mode::kNested);
  EXPECT_EQ(m_.context(0).cr3, p_->cr3());
  EXPECT_TRUE(pager().shadow_mappings(p_->cr3())->empty());
  const std::uint64_t stores = pager().stats().table_write_exits;
  guest_->unmap(*p_, kHeap + 2 * kPage1G, rounded(4 * kPage2M));
  EXPECT_EQ(pager().stats().table_write_exits, stores);  // no longer write-protected
  // A process switched to shadow while not loaded anywhere runs on it from its next CR3 load.
  Process& q = guest_->create_process(2);
  guest_->map(q, kHeap, rounded(16ull << 20), GetParam().guest_pages);
  ASSERT_TRUE(pager().set_shadowed(q.cr3(), true));
  guest_->context_switch(0, q);
  EXPECT_EQ(m_.context(0).mode, Mode::kNative);
  EXPECT_EQ(m_.context(0).cr3, *pager().shadow_root(q.cr3()));
  expect_same_everywhere(q);
  guest_->context_switch(0, *p_);
  EXPECT_EQ(m_.context(0).mode, Mode::kNested);
}

INSTANTIATE_TEST_SUITE_P(Pages, ShadowPagingDynamic,
                         ::testing::Values(ShadowCase{PageSize::k4K, PagePolicy::k4K},
                                           ShadowCase{PageSize::k2M, PagePolicy::kThp}),
                         case_name);

}  // namespace
}  // namespace mmuvp::stub
