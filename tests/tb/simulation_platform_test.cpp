// simulate() on the SystemC platform with the loosely-timed walker (each case elaborates once, in
// its own process): the cost matrix, every workload in every mode and page-size configuration
// against the golden runner (the same TLB and walk-cache structures: exactly equal counts), the
// golden cross-check of >= 100k translations per mode, a checker that catches a stale TLB entry,
// multi-core runs with processes and context switches, the waveform and progress reports.
#include <gtest/gtest.h>

#include <systemc>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

#include "arch/golden_translator.h"
#include "tb/firmware.h"
#include "tb/golden_run.h"
#include "tb/simulation.h"
#include "tests/tb/simulation_test_util.h"
#include "tlm/platform.h"
#include "tlm/translation_checker.h"
#include "workloads/config.h"

namespace mmuvp::tb {
namespace {

using arch::Mode;
using arch::PageSize;
using stub::PagePolicy;
using test::expect_same_translation_counts;
using test::small_run;

constexpr std::uint64_t kMiB = 1ull << 20;

// Everything the walks and TLBs counted, equal between two runs of the same stream.

// ---- the cost matrix, caches off, 4K+4K, on the LT platform ----------------------------------

struct CostRow {
  Mode mode;
  std::uint64_t refs_per_walk;  // 0: no walk
};

void PrintTo(const CostRow& r, std::ostream* os) { *os << arch::to_string(r.mode); }

class PlatformCostMatrix : public ::testing::TestWithParam<CostRow> {};

TEST_P(PlatformCostMatrix, StreamCostsExactlyTableOneAndMatchesGolden) {
  const CostRow row = GetParam();
  RunConfig c = small_run(row.mode, "stream", WalkerKind::kGolden, 30'000);
  const test::StreamPages pages = test::stream_pages(c);
  const RunStats golden = simulate(c);
  c.walker = WalkerKind::kTlm;
  const RunStats s = simulate(c);
  EXPECT_EQ(s.total.accesses, c.accesses);
  EXPECT_EQ(s.total.faults, 0u);
  if (row.refs_per_walk == 0) {
    EXPECT_EQ(s.total.walks, 0u);
    EXPECT_EQ(s.total.walk_mem_refs, 0u);
  } else {
    EXPECT_EQ(s.total.walks, pages.inside.size());
    EXPECT_EQ(s.total.walk_mem_refs, row.refs_per_walk * s.total.walks);
    EXPECT_EQ(s.mem_refs_per_walk, static_cast<double>(row.refs_per_walk));
  }
  expect_same_translation_counts(golden.total, s.total);
  // Timed: cycles were counted, and the walks cost some of them.
  EXPECT_GT(s.total.total_cycles, 0u);
  if (s.total.walks > 0) {
    EXPECT_GT(s.total.walk_cycles, 0u);
    EXPECT_GT(s.cycles_per_walk, 0.0);
  }
  EXPECT_GT(s.translation_overhead, 0.0);
  EXPECT_LT(s.translation_overhead, 1.0);
}

// The command: `mmuvp run --mode M --workload gups --no-pwc --guest-pages 4k --host-pages
// 4k` with the workload inside both segments (its stack in the heap: --private-in-heap) and the
// entries preset as a running system's are.
TEST_P(PlatformCostMatrix, GupsInsideTheSegmentsCostsExactlyTableOne) {
  const CostRow row = GetParam();
  RunConfig c = small_run(row.mode, "gups", WalkerKind::kTlm, 40'000);
  c.ad_updates = true;  // CONFIG.AD on; nothing to set: the entries are preset
  c.private_in_heap = true;
  const RunStats s = simulate(c);
  EXPECT_EQ(s.total.accesses, c.accesses);
  EXPECT_EQ(s.total.faults, 0u);
  if (row.refs_per_walk == 0) {
    EXPECT_EQ(s.total.walks, 0u);
  } else {
    EXPECT_GT(s.total.walks, 1'000u);
    EXPECT_EQ(s.total.walk_mem_refs, row.refs_per_walk * s.total.walks);
    EXPECT_EQ(s.mem_refs_per_walk, static_cast<double>(row.refs_per_walk));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Modes, PlatformCostMatrix,
    ::testing::Values(CostRow{Mode::kNative, 4}, CostRow{Mode::kNested, 24},
                      CostRow{Mode::kVmmDirect, 4}, CostRow{Mode::kGuestDirect, 4},
                      CostRow{Mode::kDualDirect, 0}, CostRow{Mode::kNativeDs, 0},
                      CostRow{Mode::kFlatNested, 14}),
    [](const auto& info) {
      std::string n(arch::to_string(info.param.mode));
      for (char& ch : n) ch = ch == '-' ? '_' : ch;
      return n;
    });

TEST(PlatformCostMatrixCaches, NestedWalkCachesCutTheReferences) {
  RunConfig c = small_run(Mode::kNested, "gups", WalkerKind::kGolden, 40'000);
  const RunStats off = simulate(c);  // golden: no elaboration
  c.pwc = true;
  c.walker = WalkerKind::kTlm;
  const RunStats on = simulate(c);
  EXPECT_EQ(off.mem_refs_per_walk, 24.0);
  EXPECT_EQ(on.total.walks, off.total.walks);
  EXPECT_LT(on.total.walk_mem_refs, off.total.walk_mem_refs);
  EXPECT_LT(on.mem_refs_per_walk, 24.0);
}

// ---- every workload, every configuration: LT == golden ------------------------------------------

struct WorkloadCase {
  std::string workload;  // "trace": a lackey trace written by the test
  Mode mode;
  PagePolicy guest;
  PageSize host;
};

std::string case_name(const WorkloadCase& w) {
  std::string n = fmt::format("{}_{}_{}_{}", w.workload, arch::to_string(w.mode),
                              stub::to_string(w.guest), arch::to_string(w.host));
  for (char& ch : n) ch = (ch == '-' || ch == '+') ? '_' : ch;
  return n;
}

std::vector<WorkloadCase> workload_cases() {
  const std::vector<std::tuple<Mode, PagePolicy, PageSize>> configs = {
      {Mode::kNative, PagePolicy::k4K, PageSize::k4K},
      {Mode::kNative, PagePolicy::k2M, PageSize::k4K},
      {Mode::kNative, PagePolicy::k1G, PageSize::k4K},
      {Mode::kNative, PagePolicy::kThp, PageSize::k4K},
      {Mode::kNativeDs, PagePolicy::k4K, PageSize::k4K},
      {Mode::kNested, PagePolicy::k4K, PageSize::k4K},
      {Mode::kNested, PagePolicy::k2M, PageSize::k2M},
      {Mode::kNested, PagePolicy::k1G, PageSize::k1G},
      {Mode::kNested, PagePolicy::kThp, PageSize::k2M},
      {Mode::kDualDirect, PagePolicy::k4K, PageSize::k4K},
      {Mode::kVmmDirect, PagePolicy::k4K, PageSize::k4K},
      {Mode::kGuestDirect, PagePolicy::k4K, PageSize::k4K},
  };
  std::vector<WorkloadCase> out;
  for (const char* w : {"gups", "graph", "kv", "cg", "stream", "trace"})
    for (const auto& [m, g, h] : configs) out.push_back({w, m, g, h});
  return out;
}

// Each test process writes its own file (cases run in parallel).
std::string write_trace() {
  const std::string path =
      ::testing::TempDir() + fmt::format("simulation_platform_trace_{}.lackey", ::getpid());
  std::ofstream f(path);
  f << "==1== Lackey trace\n";
  for (int i = 0; i < 500; ++i) {
    f << "I  00400" << std::hex << (0x100 + 4 * (i % 64)) << ",4\n";
    f << " L " << std::hex << (0x5000000 + 64 * i) << ",8\n";
    f << " S " << std::hex << (0x5200000 + 8 * (i * 37 % 4096)) << ",8\n";
    f << " M " << std::hex << (0x7ff000100 + 16 * (i % 32)) << ",8\n";
  }
  return path;
}

void PrintTo(const WorkloadCase& w, std::ostream* os) { *os << case_name(w); }

class PlatformEveryWorkload : public ::testing::TestWithParam<WorkloadCase> {};

TEST_P(PlatformEveryWorkload, RunsAndCountsLikeTheGoldenRunner) {
  const WorkloadCase w = GetParam();
  RunConfig c = small_run(w.mode, w.workload == "trace" ? "gups" : w.workload,
                          WalkerKind::kGolden, 5'000, 8 * kMiB);
  std::string trace;
  if (w.workload == "trace") c.trace = trace = write_trace();
  c.guest_pages = w.guest;
  c.host_pages = w.host;
  c.pwc = true;         // identical caches on both sides
  c.ad_updates = true;
  c.preset_ad = false;  // one core: the same order of A/D updates on both sides
  const RunStats golden = simulate(c);
  c.walker = WalkerKind::kTlm;
  const RunStats s = simulate(c);
  if (!trace.empty()) std::remove(trace.c_str());
  EXPECT_EQ(s.total.faults, 0u);
  EXPECT_EQ(s.total.accesses, w.workload == "trace" ? 2000u : c.accesses);
  EXPECT_GT(s.total.l1_tlb_misses, 0u);
  expect_same_translation_counts(golden.total, s.total);
  EXPECT_EQ(s.workload_name, golden.workload_name);
}

INSTANTIATE_TEST_SUITE_P(All, PlatformEveryWorkload, ::testing::ValuesIn(workload_cases()),
                         [](const auto& info) { return case_name(info.param); });

// ---- the golden cross-check ----------------------------------------------------------------------

class PlatformCrossCheck : public ::testing::TestWithParam<Mode> {};

TEST_P(PlatformCrossCheck, HundredThousandTranslationsWithoutMismatch) {
  RunConfig c = small_run(GetParam(), "gups", WalkerKind::kTlm, 100'000, 32 * kMiB);
  c.pwc = true;
  c.ad_updates = true;
  c.preset_ad = false;
  c.check = true;
  std::string first;
  const RunStats s = simulate(c, {}, &first);
  EXPECT_EQ(s.total.accesses, c.accesses);
  EXPECT_GE(s.total.checked_translations, 100'000u);
  EXPECT_EQ(s.total.mismatches, 0u) << first;
  EXPECT_TRUE(first.empty());
  // The check saw walks, not only TLB hits (gups stays inside the guest segment but its stack).
  if (!arch::uses_guest_segment(GetParam())) {
    EXPECT_GT(s.total.walks, 1'000u);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, PlatformCrossCheck,
                         ::testing::Values(Mode::kNative, Mode::kNativeDs, Mode::kNested,
                                           Mode::kDualDirect, Mode::kVmmDirect,
                                           Mode::kGuestDirect),
                         [](const auto& info) {
                           std::string n(arch::to_string(info.param));
                           for (char& ch : n) ch = ch == '-' ? '_' : ch;
                           return n;
                         });

// Demand paging: the guest OS maps kv's non-primary regions on first touch and the VMM backs guest
// memory on EPT violations, both as firmware called from the faulting core's thread. Nothing is
// dropped, the faults and VM exits are counted alike by the LT platform and the golden runner, and
// every translation (the faulting ones included) agrees with the golden model.
class PlatformDemandPaging : public ::testing::TestWithParam<Mode> {};

TEST_P(PlatformDemandPaging, FirmwareMapsAndBacksOnFaults) {
  RunConfig c = small_run(GetParam(), "kv", WalkerKind::kTlm, 40'000, 32 * kMiB);
  c.pwc = true;
  c.demand_paging = true;
  c.check = true;
  std::string first;
  const RunStats s = simulate(c, {}, &first);
  EXPECT_EQ(s.total.accesses, c.accesses) << "an access was dropped";
  EXPECT_EQ(s.total.mismatches, 0u) << first;
  EXPECT_GT(s.total.faults, 0u);
  if (GetParam() == Mode::kNested) {
    EXPECT_GT(s.total.vm_exits, 0u);
  }
  c.walker = WalkerKind::kGolden;
  c.check = false;
  const RunStats g = simulate(c);
  EXPECT_EQ(g.total.accesses, s.total.accesses);
  EXPECT_EQ(g.total.faults, s.total.faults);
  EXPECT_EQ(g.total.vm_exits, s.total.vm_exits);
  EXPECT_EQ(g.total.walks, s.total.walks);
}

INSTANTIATE_TEST_SUITE_P(Modes, PlatformDemandPaging,
                         ::testing::Values(Mode::kNative, Mode::kNested, Mode::kDualDirect),
                         [](const auto& info) {
                           std::string n(arch::to_string(info.param));
                           for (char& ch : n) ch = ch == '-' ? '_' : ch;
                           return n;
                         });

TEST(PlatformCrossCheck, EscapedFramesWithoutMismatch) {
  RunConfig c = small_run(Mode::kVmmDirect, "gups", WalkerKind::kGolden, 100'000, 8 * kMiB);
  c.pwc = true;
  c.ad_updates = true;
  c.preset_ad = false;
  c.escaped_frames = 32;
  const RunStats golden = simulate(c);
  c.walker = WalkerKind::kTlm;
  c.check = true;
  std::string first;
  const RunStats s = simulate(c, {}, &first);
  EXPECT_EQ(s.total.mismatches, 0u) << first;
  EXPECT_GE(s.total.checked_translations, 100'000u);
  EXPECT_GT(s.total.escape_filter_hits, 0u);
  EXPECT_GT(s.total.escape_filter_lookups, s.total.escape_filter_hits);
  expect_same_translation_counts(golden.total, s.total);
}

// A firmware bug the checker must catch: a leaf PTE rewritten to another frame without an
// invalidation. The TLB keeps serving the old frame; the golden walk of memory disagrees.
class PteFlipper : public sc_core::sc_module {
 public:
  PteFlipper(sc_core::sc_module_name name, tlm::Platform& p, arch::gva_t va)
      : sc_module(name), platform_(p), va_(va) {
    SC_HAS_PROCESS(PteFlipper);
    SC_THREAD(run);
  }
  bool flipped = false;

 private:
  void run() {
    wait(platform_.start_event());
    wait(sc_core::sc_time(50, sc_core::SC_US));  // the core has run and cached the page by now
    arch::SparseMemory& mem = platform_.memory();
    arch::GoldenTranslator golden(mem);
    const arch::TranslationResult r =
        golden.translate(platform_.registers(0).context(), arch::Access{va_});
    ASSERT_TRUE(r.ok());
    const arch::MemRef& leaf = r.refs[r.refs.size() - 1];
    ASSERT_EQ(leaf.target, arch::RefTarget::kGuestEntry);
    ASSERT_EQ(leaf.level, 1);
    std::uint64_t pte = 0;
    ASSERT_TRUE(mem.read64(leaf.addr, pte));
    ASSERT_TRUE(mem.write64(leaf.addr, pte ^ (1ull << 13)));  // another frame, nothing else
    flipped = true;
  }
  tlm::Platform& platform_;
  arch::gva_t va_;
};

TEST(PlatformCrossCheck, CatchesAStaleTlbEntry) {
  RunConfig c = small_run(Mode::kNative, "gups", WalkerKind::kTlm, 200'000, 8 * kMiB);
  c.pwc = true;
  c.check = true;
  auto stream = workloads::make_workload("gups", tb::workload_config(c, 0));
  tlm::PlatformConfig pc;
  pc.pwc = effective_pwc(c);
  pc.ntlb = effective_ntlb(c);
  tlm::Platform platform("platform", pc);
  Firmware firmware("firmware", platform, c, stream->regions());
  platform.set_workload(0, stream.get(), c.accesses);
  tlm::TranslationChecker checker(platform.memory());
  platform.set_translation_observer(
      [&](unsigned, const arch::TranslationContext& ctx, const arch::Access& access,
          const tlm::WalkRequest* req, const tlm::WalkResponse* walk, const tlm::TlbEntry* hit) {
        if (walk != nullptr) checker.check_walk(*req, *walk);
        if (hit != nullptr) checker.check_hit(ctx, access, *hit);
      });
  // The HPCC `ran` array on the stack: read and written by every update, always in the TLB.
  const arch::gva_t hot = workloads::kStackTop - 64 - 8;  // inside ran[128] below the frame top
  PteFlipper flipper("flipper", platform, hot);
  sc_core::sc_start();
  ASSERT_TRUE(firmware.error().empty()) << firmware.error();
  ASSERT_TRUE(flipper.flipped);
  EXPECT_GT(checker.mismatches(), 0u);
  EXPECT_NE(checker.first_mismatch().find("TLB hit"), std::string::npos)
      << checker.first_mismatch();
  EXPECT_NE(checker.first_mismatch().find("hPA"), std::string::npos) << checker.first_mismatch();
}

// ---- multi-core -----------------------------------------------------------------------------------

TEST(PlatformMultiCore, FourCoresEightProcessesMatchGoldenAndCheck) {
  RunConfig c = small_run(Mode::kNested, "gups", WalkerKind::kGolden, 30'000, 16 * kMiB);
  c.cores = 4;
  c.processes = 8;
  c.switch_interval = 2'000;
  c.pwc = true;
  const RunStats golden = simulate(c);
  c.walker = WalkerKind::kTlm;
  c.check = true;
  std::string first;
  const RunStats s = simulate(c, {}, &first);
  EXPECT_EQ(s.total.mismatches, 0u) << first;
  EXPECT_EQ(s.total.checked_translations, 4u * 30'000);
  ASSERT_EQ(s.per_core.size(), 4u);
  for (unsigned i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(s.per_core[i].accesses, 30'000u);
    EXPECT_EQ(s.per_core[i].context_switches, 15u);
    EXPECT_GT(s.per_core[i].total_cycles, 0u);
    // A/D updates off: the cores share nothing the counts depend on, so each core counts exactly
    // what it counts alone in the golden runner, whatever the interleaving.
    expect_same_translation_counts(golden.per_core[i], s.per_core[i]);
  }
  EXPECT_EQ(s.total.context_switches, 60u);
}

TEST(PlatformMultiCore, GuestSegmentsFollowTheProcesses) {
  RunConfig c = small_run(Mode::kDualDirect, "stream", WalkerKind::kTlm, 20'000);
  c.cores = 4;
  c.processes = 6;  // cores 0 and 1 alternate between two processes, cores 2 and 3 run one
  c.switch_interval = 1'000;
  c.check = true;
  std::string first;
  const RunStats s = simulate(c, {}, &first);
  EXPECT_EQ(s.total.mismatches, 0u) << first;
  EXPECT_EQ(s.per_core[0].context_switches, 20u);
  EXPECT_EQ(s.per_core[1].context_switches, 20u);
  EXPECT_EQ(s.per_core[2].context_switches, 0u);
  EXPECT_EQ(s.per_core[3].context_switches, 0u);
  EXPECT_EQ(s.total.walks, 0u);
}

// ---- waveform, progress, errors --------------------------------------------------------------------

TEST(PlatformRun, WritesAWaveformAndReportsProgress) {
  RunConfig c = small_run(Mode::kNested, "gups", WalkerKind::kTlm, 2'000);
  const std::string wave = ::testing::TempDir() + "simulation_platform_wave.vcd";
  std::remove(wave.c_str());
  c.wave = wave;
  std::uint64_t last_done = 0, last_total = 0, calls = 0;
  const RunStats s = simulate(c, [&](std::uint64_t done, std::uint64_t total) {
    EXPECT_GE(done, last_done);
    last_done = done;
    last_total = total;
    ++calls;
  });
  EXPECT_GE(calls, 1u);
  EXPECT_EQ(last_done, 2'000u);
  EXPECT_EQ(last_total, 2'000u);
  EXPECT_GT(s.sim_seconds, 0.0);
  EXPECT_GT(s.accesses_per_second, 0.0);
  std::ifstream f(wave);
  ASSERT_TRUE(f.good()) << wave;
  std::stringstream text;
  text << f.rdbuf();
  EXPECT_NE(text.str().find("$var"), std::string::npos);
  EXPECT_NE(text.str().find("req_va"), std::string::npos);
  std::remove(wave.c_str());
}

TEST(PlatformRun, RefusedSetupIsOneLineError) {
  RunConfig c = small_run(Mode::kNested, "gups", WalkerKind::kTlm, 1'000);
  c.escaped_frames = 4;  // nested has no VMM segment
  try {
    simulate(c);
    FAIL() << "no error";
  } catch (const SimulationError& e) {
    EXPECT_NE(std::string(e.what()).find("escaped frames"), std::string::npos) << e.what();
  }
}

// ---- speed against the golden runner (the SystemC layer may cost at most 3x) ------------------
// Run with --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'.

void throughput(const char* workload, Mode mode) {
  RunConfig c;
  c.mode = mode;
  c.workload = workload;
  c.walker = WalkerKind::kGolden;
  c.accesses = 4'000'000;
  c.footprint = 1ull << 30;
  const RunStats g = simulate(c);
  c.walker = WalkerKind::kTlm;
  const RunStats s = simulate(c);
  const double ratio = g.accesses_per_second / s.accesses_per_second;
  std::printf("%-6s %-7s golden %8.3f M/s   LT platform %8.3f M/s   golden/LT %.2fx\n", workload,
              std::string(arch::to_string(mode)).c_str(), g.accesses_per_second / 1e6,
              s.accesses_per_second / 1e6, ratio);
  EXPECT_EQ(s.total.walks, g.total.walks);
  EXPECT_LE(ratio, 3.0);
}

TEST(PlatformThroughput, DISABLED_StreamNested) { throughput("stream", Mode::kNested); }
TEST(PlatformThroughput, DISABLED_GupsNested) { throughput("gups", Mode::kNested); }
TEST(PlatformThroughput, DISABLED_GupsNative) { throughput("gups", Mode::kNative); }

}  // namespace
}  // namespace mmuvp::tb
