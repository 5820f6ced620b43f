// The checker catches a deliberately broken RTL walker: linked against mmuvp_rtl_walker_bug
// (walker_top's InjectOffsetXor: every OFFSET_G/OFFSET_V write lands 4 KiB off), the same stimulus
// that the correct walker passes must be rejected in every segment mode, on a segment
// translation, and the report must name the differing host (or guest) physical address. Walks
// that use no segment (native, nested) must still pass: the bug is in the segment path only.
#include <gtest/gtest.h>

#include <string>

#include "arch/address.h"
#include "tests/rtl/rtl_stub_bench.h"

namespace mmuvp::rtltest {
namespace {

using arch::AccessType;
using arch::Mode;

StubCase bug_case(Mode mode) {
  StubCase c;
  c.mode = mode;
  c.guest = stub::PagePolicy::k4K;
  c.host = arch::PageSize::k4K;
  c.accesses = 150;
  c.timing.min_latency = 1;
  c.timing.max_latency = 4;
  c.timing.seed = 11 + static_cast<unsigned>(mode);
  return c;
}

class BugCaught : public ::testing::TestWithParam<Mode> {};

// A direct probe of the segment: the first page of the region (the guest segment covers the
// primary region; the VMM segment the guest RAM) must come back one page off.
TEST_P(BugCaught, SegmentTranslationIsRejected) {
  StubBench b(bug_case(GetParam()));
  const arch::gva_t va = b.scenario().region().lo + 0x40;
  b.rtl().submit({va, AccessType::kRead, true});
  ASSERT_TRUE(b.rtl().run_until_idle());
  ASSERT_EQ(b.rtl().completed().size(), 1u);
  const Completed& c = b.rtl().completed()[0];
  const tlm::CheckOutcome o = b.checker().check_walk(c.request, c.response);
  EXPECT_FALSE(o.ok) << "the injected offset bug went unnoticed";
  EXPECT_FALSE(o.report.empty());
  EXPECT_EQ(b.checker().mismatches(), 1u);
}

// The randomized regression stops at a mismatch.
TEST_P(BugCaught, RandomRegressionFails) {
  StubBench b(bug_case(GetParam()));
  std::string report;
  EXPECT_FALSE(b.run(report));
  EXPECT_FALSE(report.empty());
}

INSTANTIATE_TEST_SUITE_P(SegmentModes, BugCaught,
                         ::testing::Values(Mode::kNativeDs, Mode::kDualDirect, Mode::kVmmDirect,
                                           Mode::kGuestDirect),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           std::string s(arch::to_string(info.param));
                           for (char& ch : s)
                             if (ch == '-') ch = '_';
                           return s;
                         });

// Without segments the broken build is still right: the bug is confined to the offset path.
TEST(BugConfined, ModesWithoutSegmentsPass) {
  for (Mode mode : {Mode::kNative, Mode::kNested}) {
    StubBench b(bug_case(mode));
    std::string report;
    EXPECT_TRUE(b.run(report)) << arch::to_string(mode) << ": " << report;
    EXPECT_GT(b.checked(), 100u);
  }
}

}  // namespace
}  // namespace mmuvp::rtltest
