// Co-simulation (tb/cosim.h): a short lockstep run of the cycle-level and RTL walkers in each mode
// must compare every translation with zero mismatches; built against the RTL with the injected
// segment-offset bug (walker_top's InjectOffsetXor, MMUVP_COSIM_BUG) the same run must stop at a
// mismatch with a report naming the request and both responses. Each case elaborates SystemC once
// (its own process through ctest).
#include <gtest/gtest.h>

#include <string>

#include "arch/mode.h"
#include "tb/cosim.h"

namespace mmuvp::tb {
namespace {

constexpr std::uint64_t kTranslations = 400;

CosimConfig small(arch::Mode mode) {
  CosimConfig c;
  c.modes = {mode};
  c.translations = kTranslations;
  c.seed = 1;
  return c;
}

class Cosim : public ::testing::TestWithParam<arch::Mode> {};

#ifndef MMUVP_COSIM_BUG
TEST_P(Cosim, NoMismatch) {
  const CosimResult r = run_cosim(small(GetParam()));
  ASSERT_EQ(r.lanes.size(), 1u);
  EXPECT_EQ(r.mismatches, 0u) << r.report;
  EXPECT_EQ(r.compared, kTranslations);
  EXPECT_GE(r.lanes[0].context_switches, 2u);
  EXPECT_GT(r.lanes[0].mem_refs, 0u);
  EXPECT_TRUE(r.report.empty());
}
#else
TEST_P(Cosim, InjectedBugIsCaught) {
  const CosimResult r = run_cosim(small(GetParam()));
  EXPECT_EQ(r.mismatches, 1u);
  EXPECT_LT(r.compared, kTranslations);
  EXPECT_NE(r.report.find("MISMATCH"), std::string::npos);
  EXPECT_NE(r.report.find("request"), std::string::npos) << r.report;
  EXPECT_NE(r.report.find("RTL walker"), std::string::npos) << r.report;
}
#endif

std::string mode_name(const ::testing::TestParamInfo<arch::Mode>& info) {
  std::string s(arch::to_string(info.param));
  for (char& c : s)
    if (c == '-') c = '_';
  return s;
}

#ifndef MMUVP_COSIM_BUG
INSTANTIATE_TEST_SUITE_P(EveryMode, Cosim,
                         ::testing::Values(arch::Mode::kNative, arch::Mode::kNativeDs,
                                           arch::Mode::kNested, arch::Mode::kDualDirect,
                                           arch::Mode::kVmmDirect, arch::Mode::kGuestDirect),
                         mode_name);
#else
// The bug is in the segment offsets: the modes that translate through a segment.
INSTANTIATE_TEST_SUITE_P(SegmentModes, Cosim,
                         ::testing::Values(arch::Mode::kNativeDs, arch::Mode::kDualDirect,
                                           arch::Mode::kVmmDirect, arch::Mode::kGuestDirect),
                         mode_name);
#endif

}  // namespace
}  // namespace mmuvp::tb
