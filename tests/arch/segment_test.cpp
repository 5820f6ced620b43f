#include "arch/segment.h"

#include <gtest/gtest.h>

using namespace mmuvp::arch;

TEST(Segment, ContainsIsHalfOpen) {
  const Segment s{0x10000, 0x20000, 0x1000};
  EXPECT_TRUE(s.contains(0x10000));   // a = BASE
  EXPECT_TRUE(s.contains(0x1ffff));   // a = LIMIT - 1
  EXPECT_FALSE(s.contains(0x20000));  // a = LIMIT
  EXPECT_FALSE(s.contains(0xffff));
  EXPECT_EQ(s.translate(0x10008), 0x11008u);
}

TEST(Segment, BaseEqualLimitDisables) {
  const Segment s{0x10000, 0x10000, 0};
  EXPECT_FALSE(s.enabled());
  EXPECT_FALSE(s.contains(0x10000));
  EXPECT_EQ(s.validate(1ull << 47, 1ull << 52), SegmentError::kOk);
}

TEST(Segment, ValidateRules) {
  const std::uint64_t in = 1ull << 47, out = 1ull << 52;
  EXPECT_EQ((Segment{0x1001, 0x2000, 0}.validate(in, out)), SegmentError::kMisaligned);
  EXPECT_EQ((Segment{0x1000, 0x2000, 8}.validate(in, out)), SegmentError::kMisaligned);
  EXPECT_EQ((Segment{0x3000, 0x2000, 0}.validate(in, out)), SegmentError::kLimitBelowBase);
  EXPECT_EQ((Segment{0x1000, in + 0x1000, 0}.validate(in, out)), SegmentError::kInputOutOfRange);
  EXPECT_EQ((Segment{0x1000, 0x2000, out - 0x1000}.validate(in, out)),
            SegmentError::kOutputOutOfRange);
  EXPECT_EQ((Segment{0x1000, 0x2000, ~0xfffull}.validate(in, out)), SegmentError::kOk);  // -4 KiB
  EXPECT_EQ((Segment{0x1000, 0x2000, ~0x1fffull}.validate(in, out)),
            SegmentError::kOutputOutOfRange);  // BASE + OFFSET wraps below 0
}

TEST(Segment, BlockSizeFollowsAlignment) {
  const Segment s{0, 4 * kPage1G, 2 * kPage1G};
  EXPECT_EQ(s.block_size(0x12345678, true), PageSize::k1G);
  EXPECT_EQ(s.block_size(0x12345678, false), PageSize::k4K);
  const Segment t{kPage2M, kPage1G + kPage2M, kPage2M};  // 2M-aligned offset, not 1G
  EXPECT_EQ(t.block_size(kPage2M + 5, true), PageSize::k2M);
  const Segment u{0x1000, kPage1G, 0x1000};
  EXPECT_EQ(u.block_size(0x200000, true), PageSize::k4K);
}
