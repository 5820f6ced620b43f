// Seed §3: self-ballooning, the I/O gap, and host compaction (the latter in vmm_test.cpp).
#include <gtest/gtest.h>

#include <vector>

#include "arch/golden_translator.h"
#include "sw-stub/bare_metal.h"
#include "sw-stub/guest_os.h"
#include "sw-stub/mmu_program.h"
#include "sw-stub/stub_error.h"
#include "sw-stub/vmm.h"
#include "tb/direct_bus.h"
#include "tests/sw-stub/stub_test_util.h"

namespace mmuvp::stub {
namespace {

using arch::FaultKind;
using arch::kPage1G;
using arch::kPage4K;
using arch::PageSize;
using testing::ept_only;
using testing::probe;

constexpr std::uint64_t kMiB = 1ull << 20;
constexpr arch::gva_t kVa = 1ull << 40;

TEST(Fragmentation, BalloonAndHotAddMakeRoomForThePrimaryRegion) {
  tb::DirectMachine m;
  Vmm vmm(m.bus, {0, 2 * kPage1G});
  VmConfig vc;
  vc.memory_bytes = 64 * kMiB;
  VirtualMachine& vm = vmm.create_vm(vc);
  GuestOs guest(vm);
  Process& p = guest.create_process(1);

  // Fragment guest-physical memory: every other free frame in use.
  FrameAllocator& ga = guest.allocator();
  std::vector<arch::gpa_t> frames;
  while (ga.free_bytes() > 0) frames.push_back(ga.alloc(PageSize::k4K));
  for (std::size_t i = 0; i < frames.size(); i += 2) ga.free({frames[i], frames[i] + kPage4K});
  EXPECT_EQ(ga.largest_free_run(), kPage4K);
  EXPECT_THROW(guest.map_primary_region(p, kVa, 16 * kMiB), OutOfMemory);

  const std::uint64_t host_free = vmm.host_memory().free_bytes();
  const std::size_t ept_tables = vm.ept_tables();
  const Range added = guest.balloon_inflate(16 * kMiB);
  EXPECT_EQ(added, (Range{64 * kMiB, 80 * kMiB}));  // contiguous above the old top
  ASSERT_EQ(vm.ram().size(), 1u);
  EXPECT_EQ(vm.ram()[0], (Range{0, 80 * kMiB}));
  EXPECT_EQ(guest.balloon().bytes(), 16 * kMiB);
  EXPECT_EQ(guest.stats().ballooned_bytes, 16 * kMiB);
  for (const Range& r : guest.balloon().ranges())
    for (arch::gpa_t g = r.lo; g < r.hi; g += kPage4K)
      ASSERT_FALSE(vm.lookup(g).has_value()) << std::hex << g;  // reclaimed by the host
  // The host got back what it gave: only the new EPT tables differ.
  EXPECT_EQ(vmm.host_memory().free_bytes() + kPage4K * (vm.ept_tables() - ept_tables), host_free);
  EXPECT_GE(ga.largest_free_run(), 16 * kMiB);

  const arch::gpa_t gpa = guest.map_primary_region(p, kVa, 16 * kMiB);
  EXPECT_TRUE(added.contains(Range{gpa, gpa + 16 * kMiB}));
  vmm.load(0, vm);
  guest.context_switch(0, p);
  guest.set_mode(0, arch::Mode::kGuestDirect);
  mmu::set_ad_updates(m.bus, 0, false);
  arch::GoldenTranslator g(m.memory);
  const arch::TranslationResult r = probe(g, m.context(0), kVa + 5 * kMiB + 0x28);
  ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
  EXPECT_TRUE(r.guest_seg_hit);
  EXPECT_EQ(r.gpa, gpa + 5 * kMiB + 0x28);
  EXPECT_EQ(r.hpa, vm.gpa_to_hpa(r.gpa));
  EXPECT_EQ(r.refs.size(), 4u);
  EXPECT_EQ(r.adds.size(), 1u);
}

TEST(Fragmentation, IoGapRamMovesAboveTheTop) {
  tb::DirectMachine m;
  Vmm vmm(m.bus, {0, 16 * kPage1G});
  VmConfig vc;
  vc.memory_bytes = 4 * kPage1G;
  vc.host_pages = PageSize::k1G;
  vc.io_gap = true;
  VirtualMachine& vm = vmm.create_vm(vc);
  GuestOs guest(vm);
  // RAM [0, 3G) + [4G, 5G): no run of 3 GiB (the first megabyte is the firmware's).
  EXPECT_EQ(guest.allocator().largest_free_run(), 3 * kPage1G - (1ull << 20));

  // At boot, the guest moves RAM from below the gap to above the top.
  const Range moved = guest.relocate_memory({kPage1G, 3 * kPage1G});
  EXPECT_EQ(moved, (Range{5 * kPage1G, 7 * kPage1G}));
  const std::vector<Range> ram = vm.ram();
  ASSERT_EQ(ram.size(), 2u);
  EXPECT_EQ(ram[0], (Range{0, kPage1G}));
  EXPECT_EQ(ram[1], (Range{4 * kPage1G, 7 * kPage1G}));
  EXPECT_FALSE(vm.ept_mappings().overlaps({kPage1G, 4 * kPage1G}));
  EXPECT_EQ(vm.ept_mappings().bytes(), 4 * kPage1G);
  EXPECT_EQ(guest.allocator().largest_free_run(), 3 * kPage1G);

  Process& p = guest.create_process(1);
  const arch::gpa_t gpa = guest.map_primary_region(p, kVa, 3 * kPage1G, PagePolicy::k1G);
  EXPECT_EQ(gpa, 4 * kPage1G);
  arch::GoldenTranslator g(m.memory);
  const arch::TranslationContext ctx = ept_only(vm);
  for (arch::gpa_t a : {kPage1G, 3 * kPage1G + 0x5000, 4 * kPage1G - 8})
    EXPECT_EQ(probe(g, ctx, a).fault.kind, FaultKind::kEptViolation) << std::hex << a;
  EXPECT_EQ(probe(g, ctx, 7 * kPage1G - 8).hpa, vm.gpa_to_hpa(7 * kPage1G - 8));
  EXPECT_THROW(guest.relocate_memory({0, kPage1G}), StubError);  // holds firmware and tables
}

TEST(Fragmentation, BareMetalHasNoBalloonOrHotplug) {
  tb::DirectMachine m;
  BareMetal hw(m.bus, 64 * kMiB);
  GuestOs guest(hw);
  EXPECT_THROW(guest.balloon_inflate(kPage4K), StubError);
  EXPECT_THROW(guest.relocate_memory({32 * kMiB, 33 * kMiB}), StubError);
  EXPECT_EQ(guest.allocator().free_bytes(), 63 * kMiB);  // nothing taken
}

}  // namespace
}  // namespace mmuvp::stub
