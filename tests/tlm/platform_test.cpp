// The platform end to end (tlm/platform.h): the firmware stub programs it over the TLM bus in a
// setup thread, the cores run workloads, and every number is checked against an independent count
// (the stream itself, the golden model, the cache model's counters): accesses, instructions,
// walks, and total = instructions + translation + data cycles. Faults with the default handler and
// with retries, the periodic hook, and two cores sharing the memory system.
#include "tlm/platform.h"

#include <gtest/gtest.h>

#include <systemc>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <set>
#include <vector>

#include "arch/ept.h"
#include "arch/golden_translator.h"
#include "arch/mmu_regs.h"
#include "arch/pte.h"
#include "sw-stub/scenario.h"
#include "tests/tlm/sc_test_util.h"
#include "tlm/core.h"
#include "tlm/memory_system.h"
#include "tlm/mmu.h"
#include "tlm/translation_checker.h"
#include "workloads/factory.h"

namespace mmuvp::tlm {
namespace {

using arch::Mode;
using testing::ThreadRunner;
namespace regs = arch::regs;

workloads::WorkloadConfig stream_config(std::uint64_t accesses, unsigned thread = 0,
                                        unsigned threads = 1) {
  workloads::WorkloadConfig w;
  w.footprint = 6ull << 20;
  w.accesses = accesses;
  w.thread = thread;
  w.threads = threads;
  return w;
}

stub::ScenarioConfig scenario(Mode mode) {
  stub::ScenarioConfig c;
  c.mode = mode;
  c.footprint = 16ull << 20;
  c.ad_updates = true;
  c.ept_ad = true;
  return c;
}

// Sums what the stream will do, from a second copy of it.
struct StreamFacts {
  std::uint64_t accesses = 0, instructions = 0;
  std::set<std::uint64_t> pages;
};
StreamFacts facts(const workloads::WorkloadConfig& cfg) {
  StreamFacts f;
  auto w = workloads::make_workload("stream", cfg);
  workloads::MemAccess buf[256];
  while (std::size_t n = w->next(buf, 256)) {
    for (std::size_t i = 0; i < n; ++i) {
      ++f.accesses;
      f.instructions += buf[i].insns == 0 ? 1 : buf[i].insns;
      f.pages.insert(buf[i].va >> arch::kPageShift);
    }
  }
  return f;
}

// Checks every walk against a full golden walk of the memory as it is (A/D bits already set, so
// the golden walk runs with A/D updates off and the entries compare with A/D masked).
struct WalkAudit {
  explicit WalkAudit(Platform& p) : platform(p), golden(p.memory()) {}
  void operator()(unsigned, const arch::TranslationContext& ctx, const arch::Access& access,
                  const WalkRequest* req, const WalkResponse* walk, const TlbEntry* hit) {
    if (hit != nullptr) {
      ++hits;
      return;
    }
    ASSERT_NE(req, nullptr);
    ASSERT_NE(walk, nullptr);
    ++walks;
    refs += walk->result.refs.size();
    cycles += walk->cycles;
    EXPECT_EQ(req->access.va, access.va);
    EXPECT_EQ(walk->id, req->id);
    arch::TranslationContext quiet = ctx;
    quiet.ad_updates = false;
    const arch::TranslationResult g = golden.translate(quiet, access);
    EXPECT_EQ(walk->result.fault, g.fault);
    EXPECT_EQ(walk->result.hpa, g.hpa);
    EXPECT_EQ(walk->result.size, g.size);
    EXPECT_EQ(walk->result.perms, g.perms);
    ASSERT_EQ(walk->values.size(), walk->result.refs.size());
    constexpr std::uint64_t kAd = arch::pte::kA | arch::pte::kD | arch::ept::kA | arch::ept::kD;
    for (std::size_t i = 0; i < walk->values.size(); ++i) {
      std::uint64_t now = 0;
      platform.memory().read64(walk->result.refs[i].addr, now);
      EXPECT_EQ(walk->values[i] & ~kAd, now & ~kAd) << "reference " << i;
    }
  }
  Platform& platform;
  arch::GoldenTranslator golden;
  std::uint64_t walks = 0, hits = 0, refs = 0, cycles = 0;
};

TEST(Platform, StreamRunsEndToEndWithExactCounts) {
  ASSERT_TRUE(testing::fresh_kernel());
  PlatformConfig pc;
  Platform p("platform", pc);
  const workloads::WorkloadConfig wc = stream_config(30'000);
  auto w = workloads::make_workload("stream", wc);
  p.set_workload(0, w.get(), wc.accesses);
  WalkAudit audit(p);
  p.set_translation_observer(std::ref(audit));
  bool done = false;
  ThreadRunner firmware("firmware", [&] {
    stub::Scenario s(p.bus(), scenario(Mode::kNative));
    p.start_event().notify();
    sc_core::wait(p.done_event());
    done = true;
  });
  sc_core::sc_start();
  ASSERT_TRUE(done);

  const StreamFacts f = facts(wc);
  const CoreCounters& c = p.core_counters(0);
  EXPECT_EQ(c.accesses, f.accesses);
  EXPECT_EQ(c.instructions, f.instructions);
  EXPECT_EQ(c.faults, 0u);
  EXPECT_EQ(c.total_cycles, c.instructions + c.translation_cycles + c.data_cycles);
  EXPECT_EQ(c.data_cycles, p.caches().core(0).counters().cycles[0]);
  // Every page is walked once (the stream never comes back to a page it left).
  const WalkerStats& ws = p.walker_stats(0);
  EXPECT_EQ(ws.walks, f.pages.size());
  EXPECT_EQ(audit.walks, ws.walks);
  EXPECT_EQ(audit.hits + audit.walks, f.accesses);
  EXPECT_EQ(audit.refs, ws.walk_mem_refs);
  EXPECT_EQ(ws.walk_cycles, audit.cycles);
  const MmuCounters& m = p.mmu_counters(0);
  EXPECT_EQ(c.translation_cycles,
            m.l2_hits * pc.l2_tlb_latency + ws.walks * (pc.l2_tlb_latency - 1) + ws.walk_cycles);
  // The first walk reads 4 entries; the others start from the PD cache: 1 entry (+ A/D updates).
  EXPECT_EQ(ws.pwc_lookups, ws.walks);
  EXPECT_EQ(ws.pwc_hits, ws.walks - 1);
  EXPECT_EQ(p.memory_system().counters(Initiator::kWalker, 0).transactions(), ws.walk_mem_refs);
  EXPECT_EQ(p.tlb(0).l1().counters().lookups, f.accesses);
}

TEST(Platform, FaultsWithTheDefaultHandlerAreCountedAndSkipped) {
  ASSERT_TRUE(testing::fresh_kernel());
  Platform p("platform", PlatformConfig{});
  workloads::WorkloadConfig wc = stream_config(300);
  wc.heap_base = 4ull << 40;  // nothing is mapped there
  auto w = workloads::make_workload("stream", wc);
  p.set_workload(0, w.get(), wc.accesses);
  std::uint64_t fault_gva = 0;
  ThreadRunner firmware("firmware", [&] {
    stub::Scenario s(p.bus(), scenario(Mode::kNested));
    p.start_event().notify();
    sc_core::wait(p.done_event());
    fault_gva = p.bus().mmio_read(0, regs::kFaultGva);
  });
  sc_core::sc_start();
  const CoreCounters& c = p.core_counters(0);
  EXPECT_EQ(c.accesses, 0u);
  EXPECT_EQ(c.faults, 300u);
  EXPECT_EQ(c.retries, 0u);
  EXPECT_EQ(p.walker_stats(0).faults, 300u);
  EXPECT_EQ(p.mmu_counters(0).walks, 300u);
  workloads::MemAccess last[300];
  auto again = workloads::make_workload("stream", wc);
  ASSERT_EQ(again->next(last, 300), 300u);
  EXPECT_EQ(fault_gva, last[299].va);
  EXPECT_EQ(p.memory_system().counters(Initiator::kData, 0).transactions(), 0u);
}

TEST(Platform, RetriedFaultsStopAtTheRetryLimit) {
  ASSERT_TRUE(testing::fresh_kernel());
  Platform p("platform", PlatformConfig{});
  workloads::WorkloadConfig wc = stream_config(10);
  wc.heap_base = 4ull << 40;
  auto w = workloads::make_workload("stream", wc);
  p.set_workload(0, w.get(), wc.accesses);
  std::uint64_t handled = 0;
  p.set_fault_handler([&](unsigned core, const arch::Fault& f) {
    EXPECT_EQ(core, 0u);
    EXPECT_EQ(f.kind, arch::FaultKind::kGuestPageFault);
    ++handled;
    return FaultAction::kRetry;
  });
  ThreadRunner firmware("firmware", [&] {
    stub::Scenario s(p.bus(), scenario(Mode::kNative));
    p.start_event().notify();
  });
  sc_core::sc_start();
  const CoreCounters& c = p.core_counters(0);
  EXPECT_EQ(c.faults, 10u * (Core::kRetryLimit + 1));
  EXPECT_EQ(c.retries, 10u * Core::kRetryLimit);
  EXPECT_EQ(handled, c.faults);
  EXPECT_EQ(c.accesses, 0u);
}

TEST(Platform, PeriodicHookRunsInTheCoreThreadAndMayUseTheBus) {
  ASSERT_TRUE(testing::fresh_kernel());
  PlatformConfig pc;
  pc.quantum_cycles = 1000;
  Platform p("platform", pc);
  const workloads::WorkloadConfig wc = stream_config(3'000);
  auto w = workloads::make_workload("stream", wc);
  p.set_workload(0, w.get(), wc.accesses);
  std::vector<sc_core::sc_time> calls;
  p.set_periodic_hook(1000, [&](unsigned core) {
    calls.push_back(sc_core::sc_time_stamp());
    // A full flush, as a context switch without PCIDs would do.
    EXPECT_EQ(p.bus().mmio_write(core, regs::kInvCmd,
                                 static_cast<std::uint64_t>(regs::InvOp::kFlushAll)),
              regs::RegStatus::kOk);
  });
  ThreadRunner firmware("firmware", [&] {
    stub::Scenario s(p.bus(), scenario(Mode::kNative));
    p.start_event().notify();
  });
  sc_core::sc_start();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_LT(calls[0], calls[1]);  // the core synced before each call
  EXPECT_EQ(p.core_counters(0).accesses, 3000u);
  // Each flush empties the TLBs: the page in use is walked again after each of the first two.
  EXPECT_EQ(p.mmu_counters(0).invalidations, 3u);
  EXPECT_GE(p.walker_stats(0).walks, facts(wc).pages.size() + 2);
}

TEST(Platform, TwoCoresShareTheMemorySystem) {
  ASSERT_TRUE(testing::fresh_kernel());
  PlatformConfig pc;
  pc.cores = 2;
  Platform p("platform", pc);
  std::vector<std::unique_ptr<workloads::Workload>> ws;
  for (unsigned t = 0; t < 2; ++t) {
    ws.push_back(workloads::make_workload("stream", stream_config(20'000, t, 2)));
    p.set_workload(t, ws.back().get(), 20'000);
  }
  bool done = false;
  ThreadRunner firmware("firmware", [&] {
    stub::Scenario s(p.bus(), scenario(Mode::kNative));
    // Core 1 runs the same process: copy core 0's context.
    for (std::uint32_t r : {regs::kCr3, regs::kPcid, regs::kConfig, regs::kMode})
      ASSERT_EQ(p.bus().mmio_write(1, r, p.bus().mmio_read(0, r)), regs::RegStatus::kOk);
    p.start_event().notify();
    sc_core::wait(p.done_event());
    done = true;
  });
  sc_core::sc_start();
  ASSERT_TRUE(done);
  for (unsigned t = 0; t < 2; ++t) {
    const CoreCounters& c = p.core_counters(t);
    EXPECT_EQ(c.accesses, 20'000u) << "core " << t;
    EXPECT_EQ(c.faults, 0u);
    EXPECT_EQ(c.total_cycles, c.instructions + c.translation_cycles + c.data_cycles);
    EXPECT_EQ(p.walker_stats(t).walks, facts(stream_config(20'000, t, 2)).pages.size());
  }
  // Both cores' walkers and data accesses reached the shared LLC.
  const CacheLevelCounters& llc = p.caches().shared().llc().counters();
  EXPECT_GT(llc.total().accesses, 0u);
}

TEST(Platform, TraceRecordsEveryWalkAtItsOwnTime) {
  ASSERT_TRUE(testing::fresh_kernel());
  Platform p("platform", PlatformConfig{});
  const workloads::WorkloadConfig wc = stream_config(3'000);
  auto w = workloads::make_workload("stream", wc);
  p.set_workload(0, w.get(), wc.accesses);
  const std::string base = ::testing::TempDir() + "platform_trace_test";
  sc_core::sc_trace_file* vcd = sc_core::sc_create_vcd_trace_file(base.c_str());
  p.trace(vcd);
  ThreadRunner firmware("firmware", [&] {
    stub::Scenario s(p.bus(), scenario(Mode::kNative));
    p.start_event().notify();
  });
  sc_core::sc_start();
  sc_core::sc_close_vcd_trace_file(vcd);
  const CoreCounters& c = p.core_counters(0);
  EXPECT_EQ(c.accesses, 3000u);
  // Tracing waits out each walk instead of annotating it: the time adds up the same way.
  EXPECT_EQ(c.total_cycles, c.instructions + c.translation_cycles + c.data_cycles);
  std::ifstream in(base + ".vcd");
  ASSERT_TRUE(in.good());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("req_va"), std::string::npos);
  EXPECT_NE(text.find("mem_req_addr"), std::string::npos);
  // Each walk raises and drops `busy` at distinct times: at least 2 time stamps per walk.
  std::size_t stamps = 0;
  for (std::size_t pos = text.find("\n#"); pos != std::string::npos; pos = text.find("\n#", pos + 1))
    ++stamps;
  EXPECT_GE(stamps, 2 * p.walker_stats(0).walks);
  std::remove((base + ".vcd").c_str());
}

// The cycle-level walker behind the same platform: a nested gups run with the caches on, every walk
// and every TLB hit checked by the golden cross-check (replay of references and values, full walk
// for the cache hits), and the core's time advanced by exactly the walker's cycles.
TEST(Platform, CycleLevelWalkerRunsNestedGupsAndAgreesWithGolden) {
  ASSERT_TRUE(testing::fresh_kernel());
  PlatformConfig pc;
  pc.walker = WalkerFidelity::kCycle;
  Platform p("platform", pc);
  workloads::WorkloadConfig wc;
  wc.footprint = 8ull << 20;
  wc.accesses = 3'000;
  auto w = workloads::make_workload("gups", wc);
  p.set_workload(0, w.get(), wc.accesses);
  TranslationChecker checker(p.memory());
  std::uint64_t walks = 0, hits = 0, refs = 0;
  p.set_translation_observer([&](unsigned, const arch::TranslationContext& ctx,
                                 const arch::Access& access, const WalkRequest* req,
                                 const WalkResponse* walk, const TlbEntry* hit) {
    if (hit != nullptr) {
      ++hits;
      const CheckOutcome o = checker.check_hit(ctx, access, *hit);
      EXPECT_TRUE(o.ok) << o.report;
      return;
    }
    ++walks;
    refs += walk->result.refs.size();
    const CheckOutcome o = checker.check_walk(*req, *walk);
    EXPECT_TRUE(o.ok) << o.report;
  });
  bool done = false;
  ThreadRunner firmware("firmware", [&] {
    stub::Scenario s(p.bus(), scenario(Mode::kNested));
    p.start_event().notify();
    sc_core::wait(p.done_event());
    done = true;
    sc_core::sc_stop();  // the walker's clock runs forever
  });
  sc_core::sc_start();
  ASSERT_TRUE(done);
  const WalkerStats& ws = p.walker_stats(0);
  EXPECT_EQ(checker.mismatches(), 0u) << checker.first_mismatch();
  EXPECT_EQ(walks, ws.walks);
  EXPECT_EQ(refs, ws.walk_mem_refs);
  EXPECT_GT(ws.walks, 100u);
  EXPECT_GT(ws.ntlb_hits, 0u);
  EXPECT_GT(ws.pwc_hits, 0u);
  const CoreCounters& c = p.core_counters(0);
  // gups also touches its stack, which the scenario leaves unmapped: those accesses fault once
  // each and the default handler drops them.
  EXPECT_EQ(hits + walks, c.accesses + c.faults);
  EXPECT_EQ(c.accesses + c.faults, wc.accesses);
  EXPECT_EQ(c.total_cycles, c.instructions + c.translation_cycles + c.data_cycles);
}

TEST(Platform, RejectsBadConfigurations) {
  PlatformConfig pc;
  pc.cores = 0;
  EXPECT_THROW(Platform("p0", pc), std::invalid_argument);
  pc.cores = 65;
  EXPECT_THROW(Platform("p1", pc), std::invalid_argument);
  pc.cores = 1;
  pc.walker = WalkerFidelity::kCycle;
  pc.walk_slots = 17;
  EXPECT_THROW(Platform("p2", pc), std::invalid_argument);
  pc.walker = WalkerFidelity::kLooselyTimed;
  pc.walk_slots = 0;
  EXPECT_THROW(Platform("p3", pc), std::invalid_argument);
}

}  // namespace
}  // namespace mmuvp::tlm
