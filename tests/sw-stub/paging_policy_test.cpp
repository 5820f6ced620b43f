// The dynamic paging policy (sw-stub/paging_policy.h) on hand-made samples: its cost measure,
// the minimum dwell, exploring a never-measured mode, hysteresis, re-measuring a stale mode, and
// the reasons it gives.
#include "sw-stub/paging_policy.h"

#include <gtest/gtest.h>

#include "sw-stub/stub_error.h"

namespace mmuvp::stub {
namespace {

constexpr bool kNested = false;
constexpr bool kShadow = true;

PagingPolicyConfig config() {
  PagingPolicyConfig c;
  c.interval = 1000;
  c.ref_cycles = 10;
  c.exit_cycles = 1000;
  c.hysteresis = 0.25;
  c.min_dwell = 2;
  c.stale_after = 4;
  c.explore_above = 1.0;
  return c;
}

// `refs` walk references and `exits` exits in 1000 accesses: (10 refs + 1000 exits) / 1000 each.
PagingSample sample(std::uint64_t refs, std::uint64_t exits) { return {1000, refs, exits}; }

TEST(PagingPolicy, ExploresTheOtherModeAfterTheMinimumDwellWhenTheCurrentOneCosts) {
  PagingPolicy p(config());
  EXPECT_FALSE(p.observe(1, kNested, sample(800, 0)));  // 8 cycles/access, first interval
  const auto d = p.observe(1, kNested, sample(800, 0));
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->to_shadow);
  EXPECT_DOUBLE_EQ(d->cost, 8.0);
  EXPECT_FALSE(d->other_cost);
  EXPECT_NE(d->reason.find("nested costs 8.00 cycles/access (800 walk refs, 0 exits in 1000 "
                           "accesses)"),
            std::string::npos)
      << d->reason;
  EXPECT_NE(d->reason.find("shadow never measured: trying it"), std::string::npos) << d->reason;
}

TEST(PagingPolicy, ACheapModeIsNotQuestioned) {
  PagingPolicy p(config());
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(p.observe(1, kNested, sample(90, 0)));  // 0.9
}

TEST(PagingPolicy, StaysInTheCheaperModeAndReturnsWhenItBecomesDearer) {
  PagingPolicy p(config());
  p.observe(1, kNested, sample(800, 0));
  ASSERT_TRUE(p.observe(1, kNested, sample(800, 0)));  // to shadow: 8 cycles/access nested
  EXPECT_FALSE(p.observe(1, kShadow, sample(400, 1)));  // 5: dwell
  EXPECT_FALSE(p.observe(1, kShadow, sample(400, 1)));  // 5 < 8: stays
  // The guest starts editing its tables: exits make shadow dearer than nested was.
  EXPECT_FALSE(p.observe(1, kShadow, sample(400, 5)));  // 9 < 8 x 1.25: hysteresis holds
  const auto d = p.observe(1, kShadow, sample(400, 8));  // 12 > 10
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->to_shadow);
  ASSERT_TRUE(d->other_cost);
  EXPECT_DOUBLE_EQ(*d->other_cost, 8.0);
  EXPECT_NE(d->reason.find("nested cost 8.00 when measured 4 intervals ago, cheaper by more "
                           "than 25%"),
            std::string::npos)
      << d->reason;
}

TEST(PagingPolicy, RemeasuresAStaleModeAndKeepsProcessesApart) {
  PagingPolicy p(config());
  p.observe(1, kNested, sample(800, 0));
  ASSERT_TRUE(p.observe(1, kNested, sample(800, 0)));
  // Shadow costs 2 (> explore_above): after stale_after intervals nested is measured again.
  int switched_at = -1;
  for (int i = 0; i < 10 && switched_at < 0; ++i)
    if (auto d = p.observe(1, kShadow, sample(200, 0))) {
      EXPECT_FALSE(d->to_shadow);
      EXPECT_NE(d->reason.find("nested last measured 5 intervals ago: trying it"),
                std::string::npos)
          << d->reason;
      switched_at = i;
    }
  EXPECT_EQ(switched_at, 4);
  // Another process has its own history: its first interval never switches.
  EXPECT_FALSE(p.observe(2, kNested, sample(800, 0)));
}

TEST(PagingPolicy, AFailedTrialDoublesTheWaitBeforeTheNextOne) {
  PagingPolicy p(config());
  p.observe(1, kNested, sample(800, 0));
  ASSERT_TRUE(p.observe(1, kNested, sample(800, 0)));  // tries shadow (8 cycles/access nested)
  EXPECT_FALSE(p.observe(1, kShadow, sample(200, 0)));
  EXPECT_FALSE(p.observe(1, kShadow, sample(200, 0)));  // 2 < 8: the trial succeeded, stays
  // Nested, stale after 4 intervals, is tried again; each trial that finds it dearer doubles the
  // wait for the next: nested is tried when its measurement is older than 8, then 16 intervals.
  std::vector<int> tries;
  bool in_shadow = true;
  for (int i = 0; i < 60; ++i) {
    const auto d = in_shadow ? p.observe(1, kShadow, sample(200, 0))  // 2 cycles/access
                             : p.observe(1, kNested, sample(800, 0));  // 8
    if (!d) continue;
    if (!d->to_shadow) tries.push_back(i);
    in_shadow = d->to_shadow;
  }
  ASSERT_GE(tries.size(), 3u);
  EXPECT_EQ(tries[1] - tries[0], 2 + 9);   // 2 intervals of trial, then 9 in shadow (> 2 x 4)
  EXPECT_EQ(tries[2] - tries[1], 2 + 17);  // then 17 (> 4 x 4)
}

TEST(PagingPolicy, EmptyIntervalsAndBadConfigurations) {
  PagingPolicy p(config());
  EXPECT_FALSE(p.observe(1, kNested, {0, 0, 0}));
  PagingPolicyConfig c = config();
  c.interval = 0;
  EXPECT_THROW(PagingPolicy{c}, StubError);
  c = config();
  c.hysteresis = -1;
  EXPECT_THROW(PagingPolicy{c}, StubError);
}

}  // namespace
}  // namespace mmuvp::stub
