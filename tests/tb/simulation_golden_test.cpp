// simulate() with --walker golden (no SystemC elaboration): the firmware setup of the workload's
// regions, the architectural walk costs per mode (the seed's Table I), every workload in every mode
// and page-size configuration, multi-core runs with processes and context switches, escaped frames,
// and the one-line errors of bad configurations.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "tb/simulation.h"
#include "tb/workload_setup.h"
#include "tests/tb/simulation_test_util.h"
#include "workloads/config.h"

namespace mmuvp::tb {
namespace {

using arch::Mode;
using arch::PageSize;
using stub::PagePolicy;
using test::small_run;

constexpr std::uint64_t kMiB = 1ull << 20;
constexpr std::uint64_t kGiB = 1ull << 30;

// ---- plan_areas ------------------------------------------------------------------------------

std::vector<workloads::Region> sample_regions() {
  // A heap of two primary arrays, a stack, and a 4 KiB-granular read-only area (as a trace has).
  return {
      {workloads::kHeapBase, 4 * kMiB, true, false, true, "a"},
      {workloads::kHeapBase + 4 * kMiB, 2 * kMiB, true, false, true, "b"},
      {0x7fffc0001000ull, 0x3000, false, true, false, "code"},
      {0x7fffffc00000ull, 2 * kMiB, true, false, false, "stack"},
  };
}

TEST(PlanAreas, FourKilobytePagesKeepRegionsAndMergeTheAdjacentHeap) {
  const auto a = plan_areas(sample_regions(), PagePolicy::k4K, false);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].lo, workloads::kHeapBase);
  EXPECT_EQ(a[0].hi, workloads::kHeapBase + 6 * kMiB);
  EXPECT_FALSE(a[0].primary);
  EXPECT_EQ(a[1].lo, 0x7fffc0001000ull);
  EXPECT_EQ(a[1].hi, 0x7fffc0004000ull);
  EXPECT_FALSE(a[1].writable);
  EXPECT_TRUE(a[1].executable);
  EXPECT_EQ(a[2].bytes(), 2 * kMiB);
}

TEST(PlanAreas, PrimarySpanIsOneAreaInSegmentModes) {
  const auto a = plan_areas(sample_regions(), PagePolicy::k2M, true);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_TRUE(a[0].primary);
  EXPECT_EQ(a[0].bytes(), 6 * kMiB);
  // The 12 KiB code area is rounded out to its 2 MiB page.
  EXPECT_EQ(a[1].lo, 0x7fffc0000000ull);
  EXPECT_EQ(a[1].bytes(), 2 * kMiB);
}

TEST(PlanAreas, GigabytePagesRoundOutAndMerge) {
  const auto a = plan_areas(sample_regions(), PagePolicy::k1G, true);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_TRUE(a[0].primary);
  EXPECT_EQ(a[0].lo, workloads::kHeapBase);
  EXPECT_EQ(a[0].bytes(), kGiB);
  // The code page and the stack fall in the same last gigabyte of the user half: one area with
  // the union of their permissions.
  EXPECT_EQ(a[1].lo, 0x7fffc0000000ull);
  EXPECT_EQ(a[1].hi, 0x800000000000ull);
  EXPECT_TRUE(a[1].writable);
  EXPECT_TRUE(a[1].executable);
}

TEST(PlanAreas, NoPrimaryRegionForASegmentModeIsAnError) {
  std::vector<workloads::Region> r = sample_regions();
  for (auto& x : r) x.primary = false;
  EXPECT_THROW(plan_areas(r, PagePolicy::k4K, true), SimulationError);
  EXPECT_THROW(plan_areas({}, PagePolicy::k4K, false), SimulationError);
}

// ---- the cost matrix (seed Table I), caches off, 4K+4K -----------------------------------------

// stream touches only its primary heap: every walk costs the architectural count exactly, every
// page is walked once (sequential: no TLB capacity misses), and the segment modes walk nothing.
TEST(GoldenCostMatrix, StreamInsideTheSegmentsCostsExactlyTableOne) {
  struct Row {
    Mode mode;
    std::uint64_t refs_per_walk;  // 0: no walk at all
  };
  for (const Row& row : {Row{Mode::kNative, 4}, Row{Mode::kNested, 24}, Row{Mode::kVmmDirect, 4},
                         Row{Mode::kGuestDirect, 4}, Row{Mode::kDualDirect, 0},
                         Row{Mode::kNativeDs, 0}, Row{Mode::kFlatNested, 14}}) {
    SCOPED_TRACE(std::string(arch::to_string(row.mode)));
    const RunConfig c = small_run(row.mode, "stream", WalkerKind::kGolden, 30'000);
    const test::StreamPages pages = test::stream_pages(c);
    ASSERT_TRUE(pages.outside.empty());
    const RunStats s = simulate(c);
    EXPECT_EQ(s.total.accesses, c.accesses);
    EXPECT_EQ(s.total.faults, 0u);
    if (row.refs_per_walk == 0) {
      EXPECT_EQ(s.total.walks, 0u);
      EXPECT_EQ(s.total.walk_mem_refs, 0u);
      EXPECT_EQ(s.mem_refs_per_walk, 0.0);
      EXPECT_GT(s.total.segment_hits, 0u);
    } else {
      EXPECT_EQ(s.total.walks, pages.inside.size());
      EXPECT_EQ(s.total.walk_mem_refs, row.refs_per_walk * s.total.walks);
      EXPECT_EQ(s.mem_refs_per_walk, static_cast<double>(row.refs_per_walk));
    }
  }
}

// gups also touches its stack (the HPCC `ran` array), which no segment covers: those pages cost a
// full walk of the mode's fallback (guest-direct: 2D, 24; dual-direct: guest walk, 4).
TEST(GoldenCostMatrix, GupsCostsTableOneWithTheStackOutsideTheSegments) {
  const RunConfig base = small_run(Mode::kNative, "gups", WalkerKind::kGolden, 40'000);
  const test::StreamPages pages = test::stream_pages(base);
  const std::uint64_t stack = pages.outside.size();
  ASSERT_GE(stack, 1u);
  auto run = [&](Mode m) {
    RunConfig c = base;
    c.mode = m;
    return simulate(c);
  };
  const RunStats native = run(Mode::kNative);
  EXPECT_GT(native.total.walks, pages.inside.size());  // random: capacity misses too
  EXPECT_EQ(native.mem_refs_per_walk, 4.0);
  const RunStats nested = run(Mode::kNested);
  EXPECT_EQ(nested.total.walks, native.total.walks);  // the same TLB sees the same pages
  EXPECT_EQ(nested.mem_refs_per_walk, 24.0);
  const RunStats vmm = run(Mode::kVmmDirect);
  EXPECT_EQ(vmm.total.walks, native.total.walks);
  EXPECT_EQ(vmm.mem_refs_per_walk, 4.0);
  const RunStats guest = run(Mode::kGuestDirect);
  // Inside the guest segment only the final gPA is walked (4); the stack pages need 24.
  EXPECT_GE(guest.total.walks, stack);
  EXPECT_EQ(guest.total.walk_mem_refs, 4 * guest.total.walks + 20 * stack);
  const RunStats dual = run(Mode::kDualDirect);
  EXPECT_EQ(dual.total.walks, stack);
  EXPECT_EQ(dual.total.walk_mem_refs, 4 * stack);
}

TEST(GoldenCostMatrix, WalkCachesCutTheReferences) {
  RunConfig c = small_run(Mode::kNested, "gups", WalkerKind::kGolden, 40'000);
  const RunStats off = simulate(c);
  c.pwc = true;
  const RunStats on = simulate(c);
  EXPECT_EQ(on.total.walks, off.total.walks);
  EXPECT_LT(on.total.walk_mem_refs, off.total.walk_mem_refs);
  EXPECT_LT(on.mem_refs_per_walk, 24.0);
  EXPECT_GT(on.total.pwc_hits, 0u);
  EXPECT_GT(on.total.ntlb_hits, 0u);
  EXPECT_EQ(off.total.pwc_hits + off.total.ntlb_hits, 0u);
  c.mode = Mode::kNative;
  const RunStats native_on = simulate(c);
  EXPECT_LT(native_on.mem_refs_per_walk, 4.0);
}

TEST(GoldenCostMatrix, AccessedDirtyUpdatesAddWriteReferences) {
  // stream writes `a` before reading it: the walk sets A and D at once, no extra walk.
  RunConfig c = small_run(Mode::kNative, "stream", WalkerKind::kGolden, 30'000);
  const RunStats off = simulate(c);
  c.ad_updates = true;
  c.preset_ad = false;
  const RunStats on = simulate(c);
  EXPECT_EQ(on.total.walks, off.total.walks);
  EXPECT_GT(on.total.walk_mem_refs, off.total.walk_mem_refs);
  EXPECT_LE(on.total.walk_mem_refs, off.total.walk_mem_refs + 4 * on.total.walks);
  // gups reads a word, then writes it: the read's TLB entry is not dirty, so the write walks again
  // to set D.
  c = small_run(Mode::kNative, "gups", WalkerKind::kGolden, 30'000);
  const RunStats gups_off = simulate(c);
  c.ad_updates = true;
  c.preset_ad = false;
  const RunStats gups_on = simulate(c);
  EXPECT_GT(gups_on.total.walks, gups_off.total.walks);
}

// ---- every workload in every configuration -----------------------------------------------------

struct PageConfig {
  Mode mode;
  PagePolicy guest;
  PageSize host;
};

std::vector<PageConfig> all_configs() {
  return {
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
      {Mode::kVmmDirect, PagePolicy::k2M, PageSize::k2M},
      {Mode::kGuestDirect, PagePolicy::k4K, PageSize::k4K},
  };
}

// A small lackey trace: loads, stores and modifies over a few pages of a heap and a stack.
std::string write_trace() {
  const std::string path = ::testing::TempDir() + "simulation_golden_trace.lackey";  // one case
  std::ofstream f(path);
  f << "==123== Lackey\n";
  for (int i = 0; i < 400; ++i) {
    f << "I  00400" << std::hex << (0x100 + 4 * (i % 64)) << ",4\n";
    f << " L " << std::hex << (0x5000000 + 64 * i) << ",8\n";
    f << " S " << std::hex << (0x5100000 + 8 * (i * 37 % 4096)) << ",8\n";
    f << " M " << std::hex << (0x7ff000100 + 16 * (i % 32)) << ",8\n";
  }
  return path;
}

TEST(GoldenEveryWorkload, RunsInEveryModeAndPageSize) {
  const std::string trace = write_trace();
  std::vector<std::string> names = workloads::workload_names();
  names.push_back("trace");
  for (const std::string& name : names) {
    for (const PageConfig& pc : all_configs()) {
      SCOPED_TRACE(fmt::format("{} {} {}+{}", name, arch::to_string(pc.mode),
                               stub::to_string(pc.guest), arch::to_string(pc.host)));
      RunConfig c = small_run(pc.mode, name == "trace" ? "gups" : name, WalkerKind::kGolden, 4'000,
                              8 * kMiB);
      if (name == "trace") c.trace = trace;
      c.guest_pages = pc.guest;
      c.host_pages = pc.host;
      c.pwc = true;
      const RunStats s = simulate(c);
      // Every access ran, none faulted: every region was mapped with what it needs.
      EXPECT_EQ(s.total.faults, 0u);
      if (name == "trace") {
        EXPECT_EQ(s.total.accesses, 400u * 4);  // a modify is a load and a store
        EXPECT_EQ(s.workload_name, "trace:simulation_golden_trace.lackey");
      } else {
        EXPECT_EQ(s.total.accesses, c.accesses);
        EXPECT_EQ(s.workload_name, name);
      }
      EXPECT_GT(s.total.l1_tlb_misses, 0u);
      EXPECT_EQ(s.total.l1_tlb_misses >= s.total.l2_tlb_misses, true);
      EXPECT_EQ(s.total.total_cycles, 0u);  // the golden run does not model time
    }
  }
  std::remove(trace.c_str());
}

// ---- multi-core, processes, context switches ----------------------------------------------------

TEST(GoldenMultiCore, EightProcessesOnFourCoresSwitchEveryInterval) {
  RunConfig c = small_run(Mode::kNested, "gups", WalkerKind::kGolden, 10'000);
  c.cores = 4;
  c.processes = 8;
  c.switch_interval = 1'000;
  c.pwc = true;
  const RunStats s = simulate(c);
  ASSERT_EQ(s.per_core.size(), 4u);
  for (const CoreStats& k : s.per_core) {
    EXPECT_EQ(k.accesses, 10'000u);
    EXPECT_EQ(k.context_switches, 10u);  // after every 1000 accesses, the last one included
    EXPECT_EQ(k.faults, 0u);
    EXPECT_GT(k.walks, 0u);
  }
  EXPECT_EQ(s.total.context_switches, 40u);
  EXPECT_EQ(s.total.accesses, 40'000u);
  // Switching between two processes with their own tables: more walks than one process per core.
  RunConfig one = c;
  one.processes = 4;
  const RunStats t = simulate(one);
  EXPECT_EQ(t.total.context_switches, 0u);
  EXPECT_GT(s.total.walks, t.total.walks);
}

TEST(GoldenMultiCore, ProcessesHaveTheirOwnGuestSegments) {
  RunConfig c = small_run(Mode::kDualDirect, "stream", WalkerKind::kGolden, 8'000);
  c.cores = 2;
  c.processes = 4;
  c.switch_interval = 500;
  const RunStats s = simulate(c);
  EXPECT_EQ(s.total.context_switches, 2u * 16);
  EXPECT_EQ(s.total.walks, 0u);  // every process's primary region is in its own segment
  EXPECT_EQ(s.total.faults, 0u);
}

// ---- escaped frames -----------------------------------------------------------------------------

TEST(GoldenEscapeFilter, EscapedFramesAreWalkedThroughTheEpt) {
  RunConfig c = small_run(Mode::kVmmDirect, "stream", WalkerKind::kGolden, 30'000, 4 * kMiB);
  const RunStats clean = simulate(c);
  EXPECT_EQ(clean.total.escape_filter_hits, 0u);
  c.escaped_frames = 64;
  const RunStats s = simulate(c);
  EXPECT_EQ(s.total.faults, 0u);
  EXPECT_GT(s.total.escape_filter_hits, 0u);
  EXPECT_LE(s.total.escape_filter_false_positives, s.total.escape_filter_hits);
  EXPECT_GT(s.total.escape_filter_hits - s.total.escape_filter_false_positives, 0u);
  // Every gPA inside the VMM segment is checked against the filter: 4 guest tables and the final
  // gPA per walk (caches off).
  EXPECT_EQ(clean.total.escape_filter_lookups, 5 * clean.total.walks);
  EXPECT_EQ(s.total.escape_filter_lookups, 5 * s.total.walks);
  EXPECT_GT(s.total.walk_mem_refs, clean.total.walk_mem_refs);
  c.mode = Mode::kNested;
  EXPECT_THROW(simulate(c), SimulationError);
}

// ---- bad configurations: one line each ------------------------------------------------------------

void expect_error(const RunConfig& c, const std::string& fragment) {
  try {
    simulate(c);
    ADD_FAILURE() << "no error; expected one containing '" << fragment << "'";
  } catch (const SimulationError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(fragment), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(SimulateErrors, OneLineEach) {
  RunConfig c = small_run(Mode::kNative, "gups", WalkerKind::kGolden);
  RunConfig bad = c;
  bad.workload = "nosuch";
  expect_error(bad, "unknown workload 'nosuch'");
  bad = c;
  bad.trace = "/nonexistent/dir/x.trace";
  expect_error(bad, "x.trace");
  bad = c;
  bad.cores = 0;
  expect_error(bad, "--cores 0");
  bad.cores = 65;
  expect_error(bad, "--cores 65");
  bad = c;
  bad.walker = WalkerKind::kCosim;  // small_run has the walk caches off: the RTL's are fixed
  expect_error(bad, "the RTL walker is built with the default paging-structure cache");
  bad = c;
  bad.check = true;
  expect_error(bad, "--check");
  bad = c;
  bad.accesses = 0;
  expect_error(bad, "--accesses");
  bad = c;
  bad.footprint = 1000;
  expect_error(bad, "footprint");
  bad = c;
  bad.footprint = 64ull << 30;
  bad.processes = 8;
  expect_error(bad, "guest memory");
  bad = c;
  bad.processes = 5000;
  expect_error(bad, "5000 processes");
}

}  // namespace
}  // namespace mmuvp::tb

namespace mmuvp::tb {
namespace {

// Speed of the golden runner (the reference the SystemC layer is held to): run with
// --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'.
TEST(GoldenThroughput, DISABLED_StreamAndGupsNested) {
  for (const char* name : {"stream", "gups"}) {
    for (Mode m : {Mode::kNative, Mode::kNested}) {
      RunConfig c;
      c.mode = m;
      c.workload = name;
      c.walker = WalkerKind::kGolden;
      c.accesses = 4'000'000;
      c.footprint = 1ull << 30;
      const RunStats s = simulate(c);
      std::printf("%-6s %-7s %9.3f M accesses/s  walks %llu  refs/walk %.2f\n", name,
                  std::string(arch::to_string(m)).c_str(), s.accesses_per_second / 1e6,
                  static_cast<unsigned long long>(s.total.walks), s.mem_refs_per_walk);
      RecordProperty(std::string(name) + "_" + std::string(arch::to_string(m)),
                     static_cast<int>(s.accesses_per_second));
    }
  }
}

}  // namespace
}  // namespace mmuvp::tb
