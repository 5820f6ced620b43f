// The MMU with the loosely-timed walker over the memory system, programmed by the firmware stub
// through the TLM machine bus (sw-stub/scenario.h inside an SC_THREAD): walk reference counts per
// mode, TLB hits after a walk, invalidations through MMIO, faults, per-write MMIO status, and every
// walk against the golden model run on a DirectMachine built by the same stub (same image).
#include <gtest/gtest.h>

#include <systemc>

#include <memory>
#include <vector>

#include "arch/golden_translator.h"
#include "arch/mmu_regs.h"
#include "sw-stub/scenario.h"
#include "tb/direct_bus.h"
#include "tests/tlm/core_rig.h"
#include "tests/tlm/sc_test_util.h"
#include "tlm/lt_walker.h"
#include "tlm/memory_system.h"
#include "tlm/mmu.h"
#include "tlm/tlm_machine_bus.h"
#include "tlm/walk_cache_set.h"

namespace mmuvp::tlm {
namespace {

using arch::AccessType;
using arch::Mode;
using testing::ThreadRunner;
namespace regs = arch::regs;

// Whole cycles of the default 1 ns clock.
std::uint64_t cycles(const sc_core::sc_time& t) {
  const sc_core::sc_time period = MmuConfig{}.clock_period;
  EXPECT_EQ(t.value() % period.value(), 0u) << "not a whole number of cycles";
  return t.value() / period.value();
}

NestedTlbConfig ntlb_off() {
  NestedTlbConfig c;
  c.geometry = Geometry::disabled();
  return c;
}

// The golden model's memory, recording the value each reference saw (as WalkResponse::values).
class RecordingMemory final : public arch::PhysMem {
 public:
  explicit RecordingMemory(arch::PhysMem& m) : m_(m) {}
  bool read64(std::uint64_t pa, std::uint64_t& v) override {
    const bool ok = m_.read64(pa, v);
    values.push_back(ok ? v : 0);
    return ok;
  }
  bool write64(std::uint64_t pa, std::uint64_t v) override {
    std::uint64_t old = 0;
    m_.read64(pa, old);
    values.push_back(old);
    return m_.write64(pa, v);
  }
  std::vector<std::uint64_t> values;

 private:
  arch::PhysMem& m_;
};

// One core's MMU, LT walker, memory system and firmware bus, and a golden twin: a DirectMachine
// the same stub programs identically, with its own walk caches of the same geometry.
struct Rig : testing::CoreRig {
  Rig(const PwcConfig& pwc, const NestedTlbConfig& ntlb)
      : CoreRig("", setup(pwc, ntlb)),
        twin_caches(pwc, ntlb),
        twin_mem(twin.memory),
        golden(twin_mem) {
    observer = [this](unsigned, const arch::TranslationContext&, const arch::Access&,
                      const WalkRequest* req, const WalkResponse* w, const TlbEntry* hit) {
      if (w != nullptr) {
        last_req = *req;
        last_walk = *w;
        ++walks_seen;
      }
      if (hit != nullptr) ++hits_seen;
    };
    mmu.set_observer(&observer);
  }
  static WalkerSetup setup(const PwcConfig& pwc, const NestedTlbConfig& ntlb) {
    WalkerSetup s;
    s.pwc = pwc;
    s.ntlb = ntlb;
    return s;
  }

  // Programs both machines with the same scenario (call in the thread).
  void build(const stub::ScenarioConfig& cfg) {
    scenario = std::make_unique<stub::Scenario>(bus, cfg);
    twin_scenario = std::make_unique<stub::Scenario>(twin.bus, cfg);
    ASSERT_EQ(scenario->region(), twin_scenario->region());
  }

  // The access on the platform and on the golden twin; expects identical walks (when one ran).
  TranslateAttr access_and_compare(arch::gva_t va, AccessType type) {
    const std::uint64_t before = walks_seen;
    const TranslateAttr a = cpu.access(va, type);
    if (walks_seen == before) return a;
    twin_mem.values.clear();
    const arch::TranslationResult g =
        golden.translate(twin.context(0), arch::Access{va, type, true}, &twin_caches);
    const arch::TranslationResult& r = last_walk.result;
    EXPECT_EQ(r.fault, g.fault) << "va " << std::hex << va;
    EXPECT_EQ(r.hpa, g.hpa);
    EXPECT_EQ(r.gpa, g.gpa);
    EXPECT_EQ(r.size, g.size);
    EXPECT_EQ(r.perms, g.perms);
    EXPECT_EQ(r.global, g.global);
    EXPECT_EQ(r.dirty, g.dirty);
    EXPECT_TRUE(r.refs == g.refs) << "refs " << r.refs.size() << " vs golden " << g.refs.size();
    EXPECT_TRUE(r.adds == g.adds);
    std::vector<std::uint64_t> values(last_walk.values.begin(), last_walk.values.end());
    EXPECT_EQ(values, twin_mem.values);
    EXPECT_EQ(last_walk.values.size(), r.refs.size());
    // After the walk both memories hold the same entries (A/D bits set alike).
    for (const arch::MemRef& ref : r.refs) {
      std::uint64_t mine = 0, theirs = 0;
      memory.memory().read64(ref.addr, mine);
      twin.memory.read64(ref.addr, theirs);
      EXPECT_EQ(mine, theirs) << "entry at " << std::hex << ref.addr;
    }
    if (a.fault.ok()) {
      EXPECT_EQ(a.hpa, g.hpa);
    } else {
      EXPECT_EQ(a.fault, g.fault);
    }
    return a;
  }

  MmuObserver observer;
  WalkRequest last_req;
  WalkResponse last_walk;
  std::uint64_t walks_seen = 0, hits_seen = 0;
  std::unique_ptr<stub::Scenario> scenario;

  tb::DirectMachine twin;
  WalkCacheSet twin_caches;
  RecordingMemory twin_mem;
  arch::GoldenTranslator golden;
  std::unique_ptr<stub::Scenario> twin_scenario;
};

void run(Rig&, std::function<void()> body) {
  ThreadRunner t("test", std::move(body));
  sc_core::sc_start();
  EXPECT_TRUE(t.finished());
}

stub::ScenarioConfig scenario(Mode mode, bool ad = false) {
  stub::ScenarioConfig c;
  c.mode = mode;
  c.footprint = 16ull << 20;
  c.ad_updates = ad;
  c.ept_ad = ad;
  return c;
}

TEST(PlatformMmu, Native4KWalkMakesFourReferencesAtDramLatency) {
  ASSERT_TRUE(testing::fresh_kernel());
  Rig rig(PwcConfig::disabled_all(), ntlb_off());
  run(rig, [&] {
    rig.build(scenario(Mode::kNative));
    const arch::gva_t va = rig.scenario->region().lo + 0x12345;
    const TranslateAttr a = rig.access_and_compare(va, AccessType::kRead);
    ASSERT_TRUE(a.fault.ok());
    EXPECT_EQ(a.tlb_level, TlbHitLevel::kMiss);
    const WalkResponse& w = rig.last_walk;
    ASSERT_EQ(w.result.refs.size(), 4u);
    for (unsigned i = 0; i < 4; ++i) {
      EXPECT_EQ(w.result.refs[i].level, 4 - i);
      EXPECT_EQ(w.result.refs[i].target, arch::RefTarget::kGuestEntry);
    }
    // Cold caches (the firmware's writes bypass them): every reference comes from DRAM.
    const MemPortCounters& port = rig.memory.counters(Initiator::kWalker, 0);
    EXPECT_EQ(port.reads, 4u);
    EXPECT_EQ(port.cycles, 4u * CacheConfig{}.dram_latency);
    // The cycle-level walker's figure for native 4K, caches off: 4L + 11.
    EXPECT_EQ(w.cycles, 4 * CacheConfig{}.dram_latency + 11);
    EXPECT_EQ(rig.walker.stats().pwc_lookups, 1u);
    EXPECT_EQ(rig.walker.stats().pwc_hits, 0u);
    EXPECT_EQ(rig.walker.stats().walk_mem_refs, 4u);
    // The MMU: the walk's first cycle overlaps the L2 TLB lookup.
    EXPECT_EQ(cycles(a.translation_time), MmuConfig{}.l2_tlb_latency - 1 + w.cycles);
    // The data access missed every cache level too.
    EXPECT_EQ(cycles(a.data_time), CacheConfig{}.dram_latency);
    EXPECT_EQ(rig.memory.counters(Initiator::kData, 0).reads, 1u);
  });
}

TEST(PlatformMmu, Nested4KPlus4KWalkMakes24References) {
  ASSERT_TRUE(testing::fresh_kernel());
  Rig rig(PwcConfig::disabled_all(), ntlb_off());
  run(rig, [&] {
    rig.build(scenario(Mode::kNested));
    const arch::gva_t va = rig.scenario->region().lo + 0x345678;
    const TranslateAttr a = rig.access_and_compare(va, AccessType::kWrite);
    ASSERT_TRUE(a.fault.ok());
    EXPECT_EQ(rig.last_walk.result.refs.size(), 24u);
    EXPECT_EQ(rig.walker.stats().ntlb_lookups, 5u);  // 4 guest tables + the final gPA
    // The cycle-level figure 24L + 61, with the sum of the references' own latencies for 24L
    // (EPT entries of neighbouring guest tables share cache lines, so not all come from DRAM).
    const std::uint64_t latencies = rig.memory.counters(Initiator::kWalker, 0).cycles;
    EXPECT_LT(latencies, 24u * CacheConfig{}.dram_latency);
    EXPECT_EQ(rig.last_walk.cycles, latencies + 61);
    EXPECT_EQ(rig.walker.stats().walks, 1u);
    EXPECT_EQ(rig.memory.counters(Initiator::kWalker, 0).reads, 24u);
    EXPECT_EQ(rig.memory.counters(Initiator::kData, 0).writes, 1u);
  });
}

TEST(PlatformMmu, TlbHitsAfterTheWalkAndL2RefillsL1) {
  ASSERT_TRUE(testing::fresh_kernel());
  Rig rig(PwcConfig{}, NestedTlbConfig{});
  run(rig, [&] {
    rig.build(scenario(Mode::kNested));
    const arch::gva_t va = rig.scenario->region().lo + 0x5000;
    ASSERT_TRUE(rig.access_and_compare(va, AccessType::kRead).fault.ok());
    EXPECT_EQ(rig.walks_seen, 1u);
    sc_core::sc_time d;
    const TranslateAttr hit = rig.cpu.access(va + 0x18, AccessType::kRead, 8, true, &d);
    EXPECT_EQ(hit.tlb_level, TlbHitLevel::kL1);
    EXPECT_EQ(cycles(hit.translation_time), 0u);
    EXPECT_EQ(hit.hpa, rig.last_walk.result.hpa + 0x18);
    EXPECT_EQ(rig.walks_seen, 1u);
    EXPECT_EQ(rig.hits_seen, 1u);
    // Same line as the walk's data access: an L1D hit, and that is all the access cost.
    EXPECT_EQ(cycles(hit.data_time), CacheConfig{}.l1d.latency);
    EXPECT_EQ(d, sc_core::sc_time(CacheConfig{}.l1d.latency, sc_core::SC_NS));

    // Evict the page from L1 (64 entries, 4-way: 16 sets) with 4 more pages of its set; it
    // stays in the 512-entry L2.
    for (unsigned k = 1; k <= 4; ++k)
      ASSERT_TRUE(rig.access_and_compare(va + k * 16 * arch::kPage4K, AccessType::kRead).fault.ok());
    const TranslateAttr l2 = rig.cpu.access(va, AccessType::kRead);
    EXPECT_EQ(l2.tlb_level, TlbHitLevel::kL2);
    EXPECT_EQ(cycles(l2.translation_time), MmuConfig{}.l2_tlb_latency);
    EXPECT_EQ(rig.cpu.access(va, AccessType::kRead).tlb_level, TlbHitLevel::kL1);
    EXPECT_EQ(rig.mmu.counters().l2_hits, 1u);
    EXPECT_EQ(rig.mmu.counters().walks, 5u);
  });
}

TEST(PlatformMmu, InvalidationsThroughMmioDropEntries) {
  ASSERT_TRUE(testing::fresh_kernel());
  Rig rig(PwcConfig{}, NestedTlbConfig{});
  run(rig, [&] {
    rig.build(scenario(Mode::kNested));
    const arch::gva_t va = rig.scenario->region().lo + 0x7000;
    const arch::gva_t other = va + arch::kPage4K;
    ASSERT_TRUE(rig.access_and_compare(va, AccessType::kRead).fault.ok());
    ASSERT_TRUE(rig.access_and_compare(other, AccessType::kRead).fault.ok());
    const arch::TranslationContext& ctx = rig.mmu.registers().context();
    ASSERT_NE(rig.mmu.tlb().l1().peek(va, ctx.vmid, ctx.pcid), nullptr);

    // INVLPG va: that page only, in both levels.
    EXPECT_EQ(rig.bus.mmio_write(0, regs::kInvAddr, va), regs::RegStatus::kOk);
    EXPECT_EQ(rig.bus.mmio_write(0, regs::kInvCmd, static_cast<std::uint64_t>(regs::InvOp::kInvlpg)),
              regs::RegStatus::kOk);
    EXPECT_EQ(rig.mmu.tlb().l1().peek(va, ctx.vmid, ctx.pcid), nullptr);
    EXPECT_EQ(rig.mmu.tlb().l2().peek(va, ctx.vmid, ctx.pcid), nullptr);
    EXPECT_NE(rig.mmu.tlb().l1().peek(other, ctx.vmid, ctx.pcid), nullptr);
    EXPECT_EQ(rig.cpu.access(other, AccessType::kRead).tlb_level, TlbHitLevel::kL1);
    EXPECT_EQ(rig.cpu.access(va, AccessType::kRead).tlb_level, TlbHitLevel::kMiss);
    EXPECT_EQ(rig.walks_seen, 3u);

    // Flush all: TLBs, paging-structure cache and nested TLB are empty.
    ASSERT_GT(rig.walker.caches().pwc().valid_entries(2), 0u);
    ASSERT_GT(rig.walker.caches().ntlb().valid_entries(), 0u);
    EXPECT_EQ(rig.bus.mmio_write(0, regs::kInvCmd,
                                 static_cast<std::uint64_t>(regs::InvOp::kFlushAll)),
              regs::RegStatus::kOk);
    EXPECT_EQ(rig.mmu.tlb().l1().valid_entries(), 0u);
    EXPECT_EQ(rig.mmu.tlb().l2().valid_entries(), 0u);
    EXPECT_EQ(rig.walker.caches().pwc().valid_entries(2), 0u);
    EXPECT_EQ(rig.walker.caches().ntlb().valid_entries(), 0u);
    // The twin's caches are flushed alike so the next walk compares exactly.
    rig.twin_caches.invalidate(arch::Invalidation{regs::InvOp::kFlushAll, 0, 0, 0});
    const TranslateAttr again = rig.access_and_compare(other, AccessType::kRead);
    EXPECT_EQ(again.tlb_level, TlbHitLevel::kMiss);
    EXPECT_EQ(rig.last_walk.result.refs.size(), 24u);  // everything cold again
  });
}

TEST(PlatformMmu, FaultIsReturnedAndRecordedInTheRegisters) {
  ASSERT_TRUE(testing::fresh_kernel());
  Rig rig(PwcConfig{}, NestedTlbConfig{});
  run(rig, [&] {
    rig.build(scenario(Mode::kNested));
    const arch::gva_t outside = rig.scenario->region().hi + 0x40000000ull;  // not mapped
    const TranslateAttr a = rig.access_and_compare(outside, AccessType::kWrite);
    EXPECT_EQ(a.fault.kind, arch::FaultKind::kGuestPageFault);
    EXPECT_EQ(a.fault.gva, outside);
    EXPECT_EQ(rig.bus.mmio_read(0, regs::kFaultGva), outside);
    EXPECT_EQ(regs::get(rig.bus.mmio_read(0, regs::kFaultInfo), regs::field::kFaultKind),
              static_cast<std::uint64_t>(arch::FaultKind::kGuestPageFault));
    EXPECT_EQ(rig.mmu.counters().faults, 1u);
    EXPECT_EQ(rig.memory.counters(Initiator::kData, 0).transactions(), 0u);
    // A non-canonical address faults without a TLB lookup.
    const TranslateAttr nc = rig.cpu.access(0x0000900000000000ull, AccessType::kRead);
    EXPECT_EQ(nc.fault.kind, arch::FaultKind::kNonCanonical);
  });
}

TEST(PlatformMmu, MmioWriteReturnsTheStatusOfThatWrite) {
  ASSERT_TRUE(testing::fresh_kernel());
  Rig rig(PwcConfig{}, NestedTlbConfig{});
  run(rig, [&] {
    EXPECT_EQ(rig.bus.mmio_read(0, regs::kId), regs::kIdValue);
    EXPECT_EQ(rig.bus.mmio_write(0, regs::kCr3, 0x1234), regs::RegStatus::kBadCr3);
    EXPECT_EQ(rig.bus.mmio_write(0, regs::kCr3, 0x5000), regs::RegStatus::kOk);  // not sticky
    EXPECT_EQ(rig.bus.mmio_write(0, regs::kMode, 99), regs::RegStatus::kBadMode);
    EXPECT_EQ(rig.bus.mmio_write(0, 0x4, 1), regs::RegStatus::kBadOffset);
    EXPECT_EQ(rig.bus.mmio_read(0, regs::kCr3), 0x5000u);
    EXPECT_THROW(rig.bus.mmio_read(1, regs::kCr3), std::out_of_range);
    EXPECT_EQ(rig.mmu.counters().mmio_writes, 4u);
  });
}

TEST(PlatformMmu, AccessedDirtyUpdatesAreLockedOrsAndMatchTheGoldenModel) {
  ASSERT_TRUE(testing::fresh_kernel());
  Rig rig(PwcConfig{}, NestedTlbConfig{});
  run(rig, [&] {
    rig.build(scenario(Mode::kNested, /*ad=*/true));
    const arch::gva_t lo = rig.scenario->region().lo;
    // Reads then writes over a few pages, with and without walk-cache hits: every walk, its
    // references, A/D writes and the values they saw equal the golden model's.
    for (unsigned i = 0; i < 24; ++i) {
      const arch::gva_t va = lo + (i % 8) * 0x201000ull + i * 64;
      const AccessType t = i < 8 ? AccessType::kRead : AccessType::kWrite;
      ASSERT_TRUE(rig.access_and_compare(va, t).fault.ok());
    }
    const MemPortCounters& port = rig.memory.counters(Initiator::kWalker, 0);
    EXPECT_GT(port.set_bits, 0u);
    EXPECT_EQ(port.writes, port.set_bits);
    EXPECT_EQ(rig.walker.stats().walk_mem_refs, port.transactions());
  });
}

}  // namespace
}  // namespace mmuvp::tlm
