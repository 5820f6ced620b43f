#include "sw-stub/vmm.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "arch/golden_translator.h"
#include "arch/mmu_regs.h"
#include "sw-stub/guest_os.h"
#include "sw-stub/mmu_program.h"
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
using testing::ept_only;
using testing::ept_refs;
using testing::probe;
namespace regs = arch::regs;

constexpr std::uint64_t kMiB = 1ull << 20;

struct EptCase {
  PageSize host_pages;
  std::uint64_t memory;
  std::uint64_t leaves_1g, leaves_2m, leaves_4k;
};

class EptBacking : public ::testing::TestWithParam<EptCase> {};

TEST_P(EptBacking, TranslatesEveryRecordedGpa) {
  const EptCase& c = GetParam();
  tb::DirectMachine m;
  Vmm vmm(m.bus, {0, 16 * kPage1G});
  VmConfig vc;
  vc.memory_bytes = c.memory;
  vc.host_pages = c.host_pages;
  VirtualMachine& vm = vmm.create_vm(vc);

  std::uint64_t n1g = 0, n2m = 0, n4k = 0;
  vm.ept_mappings().for_each_leaf([&](const Leaf& l) {
    (l.size == PageSize::k1G ? n1g : l.size == PageSize::k2M ? n2m : n4k)++;
  });
  EXPECT_EQ(n1g, c.leaves_1g);
  EXPECT_EQ(n2m, c.leaves_2m);
  EXPECT_EQ(n4k, c.leaves_4k);
  EXPECT_EQ(vm.ept_mappings().bytes(), c.memory);
  EXPECT_EQ(vm.stats().leaves_mapped, n1g + n2m + n4k);

  arch::GoldenTranslator g(m.memory);
  const arch::TranslationContext ctx = ept_only(vm);
  vm.ept_mappings().for_each_leaf([&](const Leaf& l) {
    for (std::uint64_t off : {std::uint64_t{0}, l.bytes() / 2 + 8, l.bytes() - 8}) {
      const arch::TranslationResult r = probe(g, ctx, l.in + off);
      ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
      EXPECT_EQ(r.hpa, l.out + off);
      EXPECT_EQ(r.host_size, l.size);
      EXPECT_EQ(r.ept_leaf, l.entry());
      EXPECT_EQ(r.refs.size(), ept_refs(l.size));
    }
  });
  EXPECT_EQ(testing::ept_leaves_in_memory(m.bus, vm), vm.ept_mappings().leaves());
  // Nothing beyond guest RAM is mapped.
  const arch::TranslationResult out = probe(g, ctx, c.memory);
  EXPECT_EQ(out.fault.kind, FaultKind::kEptViolation);
  EXPECT_EQ(out.fault.gpa, c.memory);
}

INSTANTIATE_TEST_SUITE_P(
    HostPages, EptBacking,
    ::testing::Values(EptCase{PageSize::k4K, 24 * kMiB, 0, 0, 6144},
                      EptCase{PageSize::k2M, 64 * kMiB + 3 * kPage4K, 0, 32, 3},
                      EptCase{PageSize::k1G, 2 * kPage1G + kPage2M + 2 * kPage4K, 2, 1, 2}),
    [](const auto& info) {
      return std::string("Host") + std::string(arch::to_string(info.param.host_pages));
    });

// A flat EPT (mode flat-nested): 2 MiB nodes, 4K and 1G leaves only (2M host pages back with 4K
// leaves), every recorded gPA translated by the flat walk in 2 references (1 for a 1G leaf), and a
// 1G leaf split into 2^18 4K leaves when one of its frames is retired.
TEST(Vmm, FlatEptBacksWithFourKAndOneGLeavesAndSplitsOneGIntoFourK) {
  tb::DirectMachine m;
  Vmm vmm(m.bus, {0, 16 * kPage1G});
  VmConfig vc;
  vc.memory_bytes = kPage1G + 4 * kPage2M;
  vc.host_pages = PageSize::k1G;
  vc.flat_ept = true;
  VirtualMachine& vm = vmm.create_vm(vc);
  std::uint64_t n1g = 0, n4k = 0;
  vm.ept_mappings().for_each_leaf([&](const Leaf& l) {
    ASSERT_NE(l.size, PageSize::k2M);
    (l.size == PageSize::k1G ? n1g : n4k)++;
  });
  EXPECT_EQ(n1g, 1u);
  EXPECT_EQ(n4k, 4 * kPage2M / kPage4K);
  EXPECT_EQ(vm.ept_root() % kPage2M, 0u);  // a node

  // A guest process mapping gPAs in the 1G leaf and in the 4K-backed range, run flat-nested.
  vmm.load(0, vm);
  GuestOs guest(vm);
  Process& p = guest.create_process(1);
  guest.map(p, 1ull << 40, 8 * kMiB, PagePolicy::k4K);
  guest.context_switch(0, p);
  guest.set_mode(0, arch::Mode::kFlatNested);
  arch::GoldenTranslator g(m.memory);
  const auto expect_flat_walks = [&] {
    std::uint64_t in_1g = 0, in_4k = 0;
    p.mappings().for_each_leaf([&](const Leaf& l) {
      const arch::TranslationResult r = probe(g, m.context(0), l.in + 0x18);
      ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
      ASSERT_EQ(r.hpa, vm.gpa_to_hpa(l.out) + 0x18);
      const bool big = vm.ept_mappings().find(l.out)->size == PageSize::k1G;
      (big ? in_1g : in_4k)++;
      // Each of the 4 guest entries and the data gPA: 2 flat-EPT reads, 1 for a 1G leaf (the
      // guest's tables may sit in either range).
      EXPECT_GE(r.read_refs(), big ? 9u : 4u + 2);
      EXPECT_LE(r.read_refs(), 14u);
    });
    EXPECT_GT(in_1g + in_4k, 1000u);
  };
  expect_flat_walks();

  // Retire a frame inside the 1G leaf: the VMM splits it into 2^18 4K leaves and moves one.
  const Leaf big = *vm.ept_mappings().find(0);
  ASSERT_EQ(big.size, PageSize::k1G);
  vmm.mark_bad_frame(big.out + 5 * kPage4K);
  EXPECT_EQ(vm.ept_mappings().find(0)->size, PageSize::k4K);
  EXPECT_EQ(vm.ept_mappings().leaf_count(), (kPage1G + 4 * kPage2M) / kPage4K);
  EXPECT_NE(vm.gpa_to_hpa(5 * kPage4K), big.out + 5 * kPage4K);
  expect_flat_walks();
}

TEST(Vmm, IoGapIsNeverBacked) {
  tb::DirectMachine m;
  Vmm vmm(m.bus, {0, 16 * kPage1G});
  VmConfig vc;
  vc.memory_bytes = 5 * kPage1G;
  vc.host_pages = PageSize::k1G;
  vc.io_gap = true;
  VirtualMachine& vm = vmm.create_vm(vc);
  const std::vector<Range> ram = vm.ram();
  ASSERT_EQ(ram.size(), 2u);
  EXPECT_EQ(ram[0], (Range{0, 3 * kPage1G}));
  EXPECT_EQ(ram[1], (Range{4 * kPage1G, 6 * kPage1G}));
  EXPECT_FALSE(vm.ept_mappings().overlaps(kIoGap));
  EXPECT_EQ(vm.ept_mappings().bytes(), 5 * kPage1G);
  EXPECT_TRUE(vm.lookup(6 * kPage1G - 8).has_value());

  arch::GoldenTranslator g(m.memory);
  const arch::TranslationContext ctx = ept_only(vm);
  for (arch::gpa_t gpa : {kIoGap.lo, kIoGap.lo + 0x123456, kIoGap.hi - 8}) {
    const arch::TranslationResult r = probe(g, ctx, gpa);
    EXPECT_EQ(r.fault.kind, FaultKind::kEptViolation) << std::hex << gpa;
    EXPECT_FALSE(vm.handle_ept_violation(gpa));  // MMIO, not RAM: nothing to back
  }
  EXPECT_TRUE(probe(g, ctx, kIoGap.hi).ok());
}

TEST(Vmm, EptViolationBacksThePage) {
  tb::DirectMachine m;
  Vmm vmm(m.bus, {0, 4 * kPage1G});
  VmConfig vc;
  vc.memory_bytes = 64 * kMiB;
  vc.host_pages = PageSize::k2M;
  vc.prefault = false;
  VirtualMachine& vm = vmm.create_vm(vc);
  EXPECT_TRUE(vm.ept_mappings().empty());

  arch::GoldenTranslator g(m.memory);
  const arch::TranslationContext ctx = ept_only(vm);
  const arch::gpa_t gpa = 0x2345678;
  arch::TranslationResult r = probe(g, ctx, gpa, AccessType::kWrite);
  ASSERT_EQ(r.fault.kind, FaultKind::kEptViolation);
  EXPECT_EQ(r.fault.level, 4);  // an empty EPT
  EXPECT_TRUE(vm.handle_ept_violation(r.fault.gpa));
  EXPECT_FALSE(vm.handle_ept_violation(gpa));  // already backed
  r = probe(g, ctx, gpa, AccessType::kWrite);
  ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
  EXPECT_EQ(r.host_size, PageSize::k2M);
  EXPECT_EQ(r.hpa, vm.gpa_to_hpa(gpa));
  EXPECT_EQ(vm.ept_mappings().leaf_count(), 1u);
  EXPECT_EQ(vm.stats().ept_violations, 1u);
  EXPECT_FALSE(vm.handle_ept_violation(64 * kMiB));  // not RAM
  EXPECT_THROW(vm.gpa_to_hpa(0x4000000 - 8), StubError);
}

TEST(Vmm, VmContextIsProgrammedOverMmio) {
  tb::DirectMachine m(2);
  Vmm vmm(m.bus, {0, 4 * kPage1G});
  VmConfig vc;
  vc.vmid = 7;
  vc.memory_bytes = 64 * kMiB;
  vc.host_pages = PageSize::k2M;
  vc.contiguous = true;
  vc.ept_ad = true;
  VirtualMachine& vm = vmm.create_vm(vc);
  vmm.load(1, vm);
  EXPECT_EQ(m.bus.mmio_read(1, regs::kEptp), vm.eptp());
  EXPECT_TRUE(arch::ept::eptp::ad_enabled(m.context(1).eptp));
  EXPECT_EQ(m.bus.mmio_read(1, regs::kVmid), 7u);
  EXPECT_FALSE(m.context(1).vmm_seg.enabled());
  EXPECT_EQ(m.bus.mmio_read(0, regs::kVmid), 0u);  // core 0 untouched

  vm.set_vmm_segment({0, 64 * kMiB});
  ASSERT_EQ(vm.host_blocks().size(), 1u);
  const std::uint64_t offset = vm.host_blocks()[0].hpa;
  EXPECT_EQ(offset % kPage2M, 0u);
  EXPECT_EQ(m.bus.mmio_read(1, regs::kBaseV), 0u);
  EXPECT_EQ(m.bus.mmio_read(1, regs::kLimitV), 64 * kMiB);
  EXPECT_EQ(m.bus.mmio_read(1, regs::kOffsetV), offset);
  EXPECT_EQ(m.context(1).vmm_seg.offset, offset);
  // The EPT still maps the whole segment, to the same frames.
  vm.ept_mappings().for_each_leaf([&](const Leaf& l) { EXPECT_EQ(l.out, l.in + offset); });

  vm.clear_vmm_segment();
  EXPECT_FALSE(m.context(1).vmm_seg.enabled());
}

TEST(Vmm, SegmentNeedsOneContiguousBlock) {
  tb::DirectMachine m;
  Vmm vmm(m.bus, {0, 4 * kPage1G});
  VmConfig vc;
  vc.memory_bytes = 16 * kMiB;
  VirtualMachine& vm = vmm.create_vm(vc);
  try {
    vm.set_vmm_segment({0, 16 * kMiB});
    FAIL() << "scattered backing cannot carry a segment";
  } catch (const StubError& e) {
    EXPECT_NE(std::string(e.what()).find("compact"), std::string::npos) << e.what();
  }
  EXPECT_THROW(vm.set_vmm_segment({0, 32 * kMiB}), StubError);  // beyond RAM
}

TEST(Vmm, RefusedSegmentProgrammingIsAnError) {
  tb::DirectMachine m;
  try {
    mmu::write_vmm_segment(m.bus, 0, arch::Segment{0x2000, 0x1000, 0});
    FAIL() << "LIMIT below BASE must be refused";
  } catch (const RegisterRefused& e) {
    EXPECT_EQ(e.status(), regs::RegStatus::kSegLimitBelowBase);
    EXPECT_EQ(e.offset(), regs::kSegCommit);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("VMM segment"), std::string::npos) << msg;
    EXPECT_NE(msg.find("SEG_COMMIT"), std::string::npos) << msg;
  }
  EXPECT_FALSE(m.context(0).vmm_seg.enabled());  // never half-applied
  try {
    mmu::write_vmm_segment(m.bus, 0, arch::Segment{0x1800, 0x4000, 0});
    FAIL() << "a misaligned BASE must be refused";
  } catch (const RegisterRefused& e) {
    EXPECT_EQ(e.status(), regs::RegStatus::kSegMisaligned);
    EXPECT_EQ(e.offset(), regs::kBaseV);
  }
  EXPECT_THROW(mmu::write(m.bus, 0, regs::kMode, 99), RegisterRefused);
  EXPECT_THROW(mmu::write(m.bus, 3, regs::kMode, 0), StubError);  // no core 3
  // A VMM whose host memory the MMU cannot address is refused up front.
  tb::DirectMachine small(1, arch::MmuParams{36});
  EXPECT_THROW(Vmm(small.bus, {0, 128 * kPage1G}), StubError);
}

TEST(Vmm, BadFrameInsideTheSegmentIsEscaped) {
  tb::DirectMachine m;
  Vmm vmm(m.bus, {0, 4 * kPage1G});
  VmConfig vc;
  vc.memory_bytes = 64 * kMiB;
  vc.host_pages = PageSize::k2M;
  vc.contiguous = true;
  VirtualMachine& vm = vmm.create_vm(vc);
  vm.set_vmm_segment({0, 64 * kMiB});
  vmm.load(0, vm);
  const std::uint64_t offset = vm.vmm_segment().offset;

  const arch::gpa_t bad_gpa = 0x1234000;
  const arch::hpa_t bad_hpa = bad_gpa + offset;
  m.bus.mem_write64(bad_hpa + 0x18, 0xfeedface);
  vmm.mark_bad_frame(bad_hpa);

  // The 2M leaf around it was split for real; the frame now lives elsewhere, contents copied.
  const Leaf moved = *vm.ept_mappings().find(bad_gpa);
  EXPECT_EQ(moved.size, PageSize::k4K);
  EXPECT_NE(moved.out, bad_hpa);
  EXPECT_EQ(m.bus.mem_read64(moved.out + 0x18), 0xfeedfaceu);
  EXPECT_EQ(vm.ept_mappings().leaves_in({0x1200000, 0x1400000}).size(), 512u);
  EXPECT_EQ(vm.stats().splits, 1u);
  EXPECT_EQ(testing::ept_leaves_in_memory(m.bus, vm), vm.ept_mappings().leaves());
  EXPECT_TRUE(vmm.host_memory().is_excluded(bad_hpa));
  EXPECT_EQ(vm.escaped_frames(), (std::set<std::uint64_t>{bad_gpa >> 12}));
  EXPECT_EQ(regs::get(m.bus.mmio_read(0, regs::kFilterCtrl), regs::field::kFilterAdded), 1u);

  // Dual direct with an identity guest segment: gPA -> hPA by the VMM segment or the escape path.
  arch::TranslationContext ctx = m.context(0);
  ctx.mode = arch::Mode::kDualDirect;
  ctx.guest_seg = arch::Segment{0, 1ull << 47, 0};
  ctx.ad_updates = false;
  arch::GoldenTranslator g(m.memory);
  const arch::TranslationResult r = probe(g, ctx, bad_gpa + 0x18);
  ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
  EXPECT_EQ(r.hpa, moved.out + 0x18);
  EXPECT_EQ(r.filter_hits, 1u);
  EXPECT_FALSE(r.vmm_seg_hit);
  EXPECT_EQ(r.refs.size(), 4u);

  std::uint64_t false_positives = 0;
  for (arch::gpa_t gpa = 0; gpa < 64 * kMiB; gpa += kPage4K) {
    if (gpa == bad_gpa) continue;
    const arch::TranslationResult n = probe(g, ctx, gpa + 0x40);
    ASSERT_TRUE(n.ok()) << std::hex << gpa;
    EXPECT_EQ(n.hpa, gpa + 0x40 + offset) << std::hex << gpa;  // same frame either way
    if (ctx.filter->maybe_contains(gpa >> 12)) {
      ++false_positives;
      EXPECT_EQ(n.filter_hits, 1u);
      EXPECT_GT(n.refs.size(), 0u);
    } else {
      EXPECT_TRUE(n.vmm_seg_hit);
      EXPECT_EQ(n.refs.size(), 0u);
    }
  }
  RecordProperty("filter_false_positives", static_cast<int>(false_positives));
  EXPECT_LT(false_positives, 16u);  // one frame in a 256-bit, 4-hash filter: a few at most
}

TEST(Vmm, KnownBadFramesAreEscapedWhenTheSegmentIsBuilt) {
  tb::DirectMachine m;
  Vmm vmm(m.bus, {0, 4 * kPage1G});
  vmm.mark_bad_frame(0x2003000);  // before any VM: just never allocated again
  VmConfig vc;
  vc.memory_bytes = 64 * kMiB;
  vc.host_pages = PageSize::k2M;
  vc.contiguous = true;
  VirtualMachine& vm = vmm.create_vm(vc);
  ASSERT_EQ(vm.host_blocks().size(), 1u);
  const HostBlock b = vm.host_blocks()[0];
  ASSERT_TRUE(b.host().contains(0x2003000)) << std::hex << b.hpa;  // the block spans it
  const arch::gpa_t gpa = 0x2003000 - b.hpa;
  EXPECT_NE(vm.gpa_to_hpa(gpa), 0x2003000u);
  vm.set_vmm_segment({0, 64 * kMiB});
  EXPECT_EQ(vm.escaped_frames(), (std::set<std::uint64_t>{gpa >> 12}));
  vmm.load(0, vm);
  arch::TranslationContext ctx = m.context(0);
  ctx.mode = arch::Mode::kDualDirect;
  ctx.guest_seg = arch::Segment{0, 1ull << 47, 0};
  arch::GoldenTranslator g(m.memory);
  const arch::TranslationResult r = probe(g, ctx, gpa);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.hpa, vm.gpa_to_hpa(gpa));
  EXPECT_EQ(r.filter_hits, 1u);
}

TEST(Vmm, EptTableFramesCannotBeRetired) {
  tb::DirectMachine m;
  Vmm vmm(m.bus, {0, 4 * kPage1G});
  VmConfig vc;
  vc.memory_bytes = 8 * kMiB;
  VirtualMachine& vm = vmm.create_vm(vc);
  EXPECT_THROW(vmm.mark_bad_frame(vm.ept_root()), StubError);
}

TEST(Vmm, CompactionRunsNestedThenTurnsTheSegmentOn) {
  tb::DirectMachine m;
  Vmm vmm(m.bus, {0, 256 * kMiB});
  // Fragment host memory: every other frame of the first 32 MiB stays in use.
  FrameAllocator& host = vmm.host_memory();
  std::vector<arch::hpa_t> frames;
  for (int i = 0; i < 8192; ++i) frames.push_back(host.alloc(PageSize::k4K));
  for (std::size_t i = 0; i < frames.size(); i += 2) host.free({frames[i], frames[i] + kPage4K});

  VmConfig vc;
  vc.memory_bytes = 8 * kMiB;
  VirtualMachine& vm = vmm.create_vm(vc);
  EXPECT_THROW(vm.set_vmm_segment({0, 8 * kMiB}), StubError);
  GuestOs guest(vm);
  Process& p = guest.create_process(1);
  const arch::gva_t va = 1ull << 40;
  guest.map(p, va, 64 * kPage4K, PagePolicy::k4K);
  vmm.load(0, vm);
  guest.context_switch(0, p);
  guest.set_mode(0, arch::Mode::kVmmDirect);
  mmu::set_ad_updates(m.bus, 0, false);
  const arch::gpa_t data_gpa = p.mappings().find(va)->out;
  guest.platform().write64(data_gpa + 0x100, 0x5eed);

  arch::GoldenTranslator g(m.memory);
  arch::TranslationResult r = probe(g, m.context(0), va + 0x100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.refs.size(), 24u);  // no VMM segment: VMM Direct works as nested

  vm.begin_compaction({0, 8 * kMiB});
  EXPECT_FALSE(m.context(0).vmm_seg.enabled());
  EXPECT_FALSE(vm.compaction_step(100));
  EXPECT_EQ(vm.stats().pages_moved, 100u);
  r = probe(g, m.context(0), va + 0x100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.refs.size(), 24u);
  EXPECT_EQ(r.hpa, vm.gpa_to_hpa(data_gpa) + 0x100);

  while (!vm.compaction_step(500)) {
  }
  EXPECT_FALSE(vm.compacting());
  ASSERT_EQ(vm.host_blocks().size(), 1u);
  const std::uint64_t offset = vm.host_blocks()[0].hpa;
  EXPECT_EQ(m.context(0).vmm_seg.base, 0u);
  EXPECT_EQ(m.context(0).vmm_seg.limit, 8 * kMiB);
  EXPECT_EQ(m.context(0).vmm_seg.offset, offset);
  EXPECT_EQ(vm.stats().pages_moved, vm.ept_mappings().leaf_count());
  vm.ept_mappings().for_each_leaf([&](const Leaf& l) { EXPECT_EQ(l.out, l.in + offset); });
  EXPECT_EQ(testing::ept_leaves_in_memory(m.bus, vm), vm.ept_mappings().leaves());
  r = probe(g, m.context(0), va + 0x100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.refs.size(), 4u);
  EXPECT_EQ(r.adds.size(), 5u);
  EXPECT_EQ(r.hpa, data_gpa + 0x100 + offset);
  EXPECT_EQ(m.bus.mem_read64(r.hpa), 0x5eedu);  // contents moved with the page
}

TEST(Vmm, DestroyingAVmReturnsItsHostMemory) {
  tb::DirectMachine m;
  Vmm vmm(m.bus, {0, 4 * kPage1G});
  const std::uint64_t before = vmm.host_memory().free_bytes();
  VmConfig vc;
  vc.memory_bytes = 64 * kMiB;
  vc.host_pages = PageSize::k2M;
  vc.contiguous = true;
  VirtualMachine& vm = vmm.create_vm(vc);
  vm.set_vmm_segment({0, 64 * kMiB});
  vmm.mark_bad_frame(vm.gpa_to_hpa(0x300000));
  EXPECT_THROW(vmm.create_vm(vc), StubError);  // VMID 1 exists
  vmm.destroy_vm(1);
  EXPECT_EQ(vmm.host_memory().free_bytes(), before - kPage4K);  // the bad frame stays out
  EXPECT_THROW(vmm.vm(1), StubError);
}

}  // namespace
}  // namespace mmuvp::stub
