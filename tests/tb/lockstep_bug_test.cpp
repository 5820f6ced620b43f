// `--walker cosim` against the RTL with the injected segment-offset bug (walker_top's
// InjectOffsetXor: OFFSET_G/OFFSET_V written 4 KiB off), linked through mmuvp_sim_bug: in the modes that translate
// through a segment the platform's lockstep must stop at the first walk that uses the segment,
// flag the run (one lockstep mismatch, fewer walks compared than served) and report the request,
// both responses with the hPA that differs, the edge and the waveform window. In nested mode (no
// segment) the same RTL agrees on every walk. Each case elaborates SystemC once (its own process).
#include <gtest/gtest.h>

#include <string>

#include "arch/mode.h"
#include "tb/simulation.h"

namespace mmuvp::tb {
namespace {

RunConfig small(arch::Mode mode) {
  RunConfig c;
  c.mode = mode;
  c.workload = "gups";
  c.accesses = 2000;
  c.footprint = 16ull << 20;
  c.seed = 3;
  c.walker = WalkerKind::kCosim;
  return c;
}

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

struct BugCase {
  arch::Mode mode;
  const char* what;  // the first difference the lockstep must see
};

class CosimBug : public ::testing::TestWithParam<BugCase> {};

TEST_P(CosimBug, InjectedBugStopsTheRunWithAReport) {
  std::string report;
  const RunStats s = simulate(small(GetParam().mode), {}, &report);
  EXPECT_EQ(s.total.cosim_mismatches, 1u);
  EXPECT_EQ(s.per_core.at(0).cosim_mismatches, 1u);
  EXPECT_LT(s.total.cosim_compared, s.total.walk_requests);
  EXPECT_LT(s.total.accesses, 2000u) << "the run must stop at the mismatch";
  EXPECT_TRUE(has(report, "MISMATCH in core 0 (" + std::string(arch::to_string(GetParam().mode)) +
                              ", gups): " + GetParam().what + " differs\n"))
      << report;
  EXPECT_TRUE(has(report, "\n  request ")) << report;
  // Both responses, the refs of each listed.
  EXPECT_TRUE(has(report, "\n  cycle-level walker: slot ")) << report;
  EXPECT_TRUE(has(report, "\n  RTL walker:         slot ")) << report;
  EXPECT_TRUE(has(report, "waveform window: edges ")) << report;
  EXPECT_TRUE(has(report, "rerun with --wave FILE.fst")) << report;
}

// The bug is in the segment offsets: the modes that translate through a segment. Where the
// segment yields the final address the hPA differs; where it translates the gPA of a guest table
// or of an EPT walk, the RTL's next memory request already does.
INSTANTIATE_TEST_SUITE_P(
    SegmentModes, CosimBug,
    ::testing::Values(BugCase{arch::Mode::kNativeDs, "hPA"},
                      BugCase{arch::Mode::kDualDirect, "memory request"},
                      BugCase{arch::Mode::kVmmDirect, "memory request"},
                      BugCase{arch::Mode::kGuestDirect, "memory request"}),
    [](const ::testing::TestParamInfo<BugCase>& info) {
      std::string s(arch::to_string(info.param.mode));
      for (char& c : s)
        if (c == '-') c = '_';
      return s;
    });

// Without a segment the bug is invisible: the lockstep compares every walk and agrees.
TEST(CosimBugNested, NoSegmentNoMismatch) {
  std::string report;
  const RunStats s = simulate(small(arch::Mode::kNested), {}, &report);
  EXPECT_EQ(s.total.cosim_mismatches, 0u) << report;
  EXPECT_EQ(s.total.cosim_compared, s.total.walk_requests);
  EXPECT_EQ(s.total.accesses, 2000u);
  EXPECT_TRUE(report.empty()) << report;
}

}  // namespace
}  // namespace mmuvp::tb
