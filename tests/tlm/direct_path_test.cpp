// The MMU's direct path (Mmu::direct_access, the platform's DMI) against the sockets: two copies
// of one core's MMU, LT walker and memory system, programmed by the stub identically, take the
// same random access stream; one tries the direct path first and transports what it refuses, the
// other transports every access. After every access both report the same outcome and delay, and
// at checkpoints every counter (MMU, TLB levels and arrays, walker, memory ports, each cache
// level) and the contents and LRU order of every TLB and cache set are equal. The stream mixes
// what the direct path must get right: repeats within recently used pages and lines, writes
// through entries without the dirty permission (A/D updates on), supervisor accesses, accesses
// outside the mapped region (faults), INVLPG and PCID switches that must revoke its grants.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <systemc>
#include <vector>

#include "arch/mmu_regs.h"
#include "sw-stub/scenario.h"
#include "tests/tlm/core_rig.h"
#include "tests/tlm/model_state_compare.h"

namespace mmuvp::tlm {
namespace {

using arch::AccessType;
using arch::Mode;
using testing::ThreadRunner;
namespace regs = arch::regs;

// A core rig (tests/tlm/core_rig.h) and the stub's scenario built on it.
struct Rig : testing::CoreRig {
  explicit Rig(const std::string& prefix) : CoreRig(prefix + "_") {}
  std::unique_ptr<stub::Scenario> scenario;
};

struct Outcome {
  bool ok = false;
  arch::Fault fault;
  sc_core::sc_time delay;
};

void expect_same_state(const Rig& a, const Rig& b) {
  const MmuCounters& x = a.mmu.counters();
  const MmuCounters& y = b.mmu.counters();
  EXPECT_EQ(x.translations, y.translations);
  EXPECT_EQ(x.l1_hits, y.l1_hits);
  EXPECT_EQ(x.l2_hits, y.l2_hits);
  EXPECT_EQ(x.walks, y.walks);
  EXPECT_EQ(x.faults, y.faults);
  EXPECT_EQ(x.denied_hits, y.denied_hits);
  EXPECT_EQ(x.invalidations, y.invalidations);
  testing::expect_same_tlb_level(a.mmu.tlb().l1(), b.mmu.tlb().l1());
  testing::expect_same_tlb_level(a.mmu.tlb().l2(), b.mmu.tlb().l2());
  const WalkerStats& w = a.walker.stats();
  const WalkerStats& v = b.walker.stats();
  EXPECT_EQ(w.walks, v.walks);
  EXPECT_EQ(w.walk_mem_refs, v.walk_mem_refs);
  EXPECT_EQ(w.walk_cycles, v.walk_cycles);
  for (Initiator who : {Initiator::kData, Initiator::kWalker}) {
    const MemPortCounters& p = a.memory.counters(who);
    const MemPortCounters& q = b.memory.counters(who);
    EXPECT_EQ(p.reads, q.reads);
    EXPECT_EQ(p.writes, q.writes);
    EXPECT_EQ(p.set_bits, q.set_bits);
    EXPECT_EQ(p.errors, q.errors);
    EXPECT_EQ(p.cycles, q.cycles);
  }
  // Lines of the first 64 MiB of host memory (page tables and the region's frames).
  constexpr std::uint64_t kLines = (64ull << 20) / 64;
  testing::expect_same_core(a.memory.caches().core(0), b.memory.caches().core(0), kLines);
  testing::expect_same_shared(a.memory.caches().shared(), b.memory.caches().shared(), kLines);
}

void invlpg(Rig& r, arch::gva_t va) {
  ASSERT_EQ(r.bus.mmio_write(0, regs::kInvAddr, va), regs::RegStatus::kOk);
  ASSERT_EQ(r.bus.mmio_write(0, regs::kInvCmd, static_cast<std::uint64_t>(regs::InvOp::kInvlpg)),
            regs::RegStatus::kOk);
}

void set_pcid(Rig& r, std::uint64_t pcid) {
  ASSERT_EQ(r.bus.mmio_write(0, regs::kPcid, pcid), regs::RegStatus::kOk);
}

void run_stream(Mode mode, unsigned seed) {
  ASSERT_TRUE(testing::fresh_kernel());
  Rig direct("direct"), sockets("sockets");
  direct.mmu.set_direct_memory(&direct.memory);
  ThreadRunner runner("test", [&] {
    stub::ScenarioConfig cfg;
    cfg.mode = mode;
    cfg.footprint = 4ull << 20;
    cfg.ad_updates = true;  // entries start without A/D: writes find entries without `dirty`
    cfg.ept_ad = true;
    direct.scenario = std::make_unique<stub::Scenario>(direct.bus, cfg);
    sockets.scenario = std::make_unique<stub::Scenario>(sockets.bus, cfg);
    const stub::Range region = direct.scenario->region();
    ASSERT_EQ(region.lo, sockets.scenario->region().lo);
    ASSERT_EQ(region.hi, sockets.scenario->region().hi);

    std::mt19937_64 rng(seed);
    auto pick = [&](std::uint64_t n) { return rng() % n; };
    std::vector<arch::gva_t> recent{region.lo};
    std::uint64_t served_directly = 0, faults = 0;
    constexpr unsigned kAccesses = 60000;
    for (unsigned i = 0; i < kAccesses; ++i) {
      const unsigned kind = static_cast<unsigned>(pick(1000));
      arch::gva_t va;
      if (kind < 700) {  // near a recent address: the same line, page or a neighbour line
        va = recent[pick(recent.size())] + pick(3) * 64 + pick(64);
      } else if (kind < 980) {  // anywhere in the region
        va = region.lo + pick(region.hi - region.lo);
      } else {  // beyond it: not mapped
        va = region.hi + pick(1u << 20);
      }
      if (kind < 990) {
        recent.push_back(va);
        if (recent.size() > 12) recent.erase(recent.begin() + static_cast<long>(pick(12)));
        const AccessType type = pick(4) == 0 ? AccessType::kWrite : AccessType::kRead;
        const bool user = pick(16) != 0;
        const unsigned size = pick(8) == 0 ? 1 + static_cast<unsigned>(pick(128)) : 8;
        Outcome a, b;
        if (direct.mmu.direct_access(va, type, user, size, a.delay)) {
          a.ok = true;
          ++served_directly;
        } else {
          const TranslateAttr t = direct.cpu.access(va, type, size, user, &a.delay);
          a.ok = t.fault.ok();
          a.fault = t.fault;
        }
        const TranslateAttr t = sockets.cpu.access(va, type, size, user, &b.delay);
        b.ok = t.fault.ok();
        b.fault = t.fault;
        faults += b.ok ? 0 : 1;
        ASSERT_EQ(a.ok, b.ok) << "access " << i << " va " << std::hex << va;
        ASSERT_EQ(a.fault, b.fault) << "access " << i;
        ASSERT_EQ(a.delay, b.delay) << "access " << i << " va " << std::hex << va;
      } else if (kind < 995) {
        const arch::gva_t page = recent[pick(recent.size())];
        invlpg(direct, page);
        invlpg(sockets, page);
      } else {
        const std::uint64_t pcid = 1 + pick(3);
        set_pcid(direct, pcid);
        set_pcid(sockets, pcid);
      }
      if (i % 10000 == 9999) {
        expect_same_state(direct, sockets);
        if (::testing::Test::HasFailure()) return;
      }
    }
    expect_same_state(direct, sockets);
    EXPECT_EQ(direct.mmu.counters().direct, served_directly);
    EXPECT_EQ(sockets.mmu.counters().direct, 0u);
    // The stream exercised both paths and the refusals.
    EXPECT_GT(served_directly, kAccesses / 6);
    EXPECT_GT(direct.mmu.counters().l1_hits, served_directly);  // L1 hits without a live hint
    EXPECT_GT(direct.mmu.tlb().l1().counters().dirty_misses, 0u);
    EXPECT_GT(faults, 0u);
  });
  sc_core::sc_start();
  EXPECT_TRUE(runner.finished());
}

TEST(DirectPath, EqualsTheSocketsNative) { run_stream(Mode::kNative, 1); }
TEST(DirectPath, EqualsTheSocketsNested) { run_stream(Mode::kNested, 2); }
TEST(DirectPath, EqualsTheSocketsVmmDirect) { run_stream(Mode::kVmmDirect, 3); }

}  // namespace
}  // namespace mmuvp::tlm
