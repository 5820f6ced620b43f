#include "sw-stub/mapping_record.h"

#include <gtest/gtest.h>

#include "sw-stub/range_set.h"
#include "sw-stub/stub_error.h"

namespace mmuvp::stub {
namespace {

using arch::kPage2M;
using arch::kPage4K;
using arch::PageSize;

TEST(RangeSet, AddCoalescesAndRemoveSplits) {
  RangeSet s;
  s.add({0x1000, 0x3000});
  s.add({0x5000, 0x6000});
  s.add({0x3000, 0x5000});  // touches both: one range
  EXPECT_EQ(s.count(), 1u);
  EXPECT_EQ(s.bytes(), 0x5000u);
  s.remove({0x2000, 0x4000});
  ASSERT_EQ(s.count(), 2u);
  EXPECT_TRUE(s.covers({0x1000, 0x2000}));
  EXPECT_FALSE(s.covers({0x1000, 0x3000}));
  EXPECT_FALSE(s.contains(0x2000));
  EXPECT_TRUE(s.contains(0x4000));
  EXPECT_TRUE(s.intersects({0x1fff, 0x2001}));
  EXPECT_FALSE(s.intersects({0x2000, 0x4000}));
  EXPECT_EQ(format_bytes(3 * kPage2M), "6 MiB");
  EXPECT_EQ(format_bytes(1536), "1.50 KiB");
}

TEST(MappingRecord, ConsecutiveLeavesShareOneRun) {
  MappingRecord r;
  for (int i = 0; i < 100; ++i)
    r.add({0x400000 + i * kPage4K, 0x9000000 + i * kPage4K, PageSize::k4K, 0x7});
  EXPECT_EQ(r.runs().size(), 1u);
  EXPECT_EQ(r.leaf_count(), 100u);
  r.add({0x400000 + 100 * kPage4K, 0x1000, PageSize::k4K, 0x7});  // output not contiguous
  r.add({0x400000 + 101 * kPage4K, 0x2000, PageSize::k4K, 0x5});  // other flags
  EXPECT_EQ(r.runs().size(), 3u);
  const auto leaf = r.find(0x400000 + 7 * kPage4K + 0x123);
  ASSERT_TRUE(leaf.has_value());
  EXPECT_EQ(leaf->in, 0x400000 + 7 * kPage4K);
  EXPECT_EQ(leaf->out, 0x9000000 + 7 * kPage4K);
  EXPECT_EQ(leaf->entry(), 0x9000000 + 7 * kPage4K + 0x7);
  EXPECT_EQ(leaf->translate(0x400000 + 7 * kPage4K + 0x123), 0x9000000 + 7 * kPage4K + 0x123);
  EXPECT_FALSE(r.find(0x3ff000).has_value());
  const auto back = r.find_output(0x9000000 + 99 * kPage4K + 8);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->in, 0x400000 + 99 * kPage4K);
}

TEST(MappingRecord, OverlapIsRefused) {
  MappingRecord r;
  r.add({0, 0, PageSize::k2M, 0x87});
  EXPECT_THROW(r.add({0x1000, 0x5000, PageSize::k4K, 0x7}), StubError);
  EXPECT_THROW(r.add({0x1000, 0x5000, PageSize::k2M, 0x87}), StubError);  // misaligned
}

TEST(MappingRecord, RemoveCutsRunsButNeverLeaves) {
  MappingRecord r;
  for (int i = 0; i < 4; ++i) r.add({i * kPage2M, 0x40000000 + i * kPage2M, PageSize::k2M, 0x87});
  EXPECT_THROW(r.remove({kPage2M + kPage4K, 2 * kPage2M}), StubError);  // cuts a 2M leaf
  EXPECT_EQ(r.leaf_count(), 4u);
  r.remove({kPage2M, 3 * kPage2M});
  EXPECT_EQ(r.leaf_count(), 2u);
  EXPECT_EQ(r.runs().size(), 2u);
  EXPECT_FALSE(r.find(kPage2M).has_value());
  ASSERT_TRUE(r.find(3 * kPage2M).has_value());
  EXPECT_EQ(r.find(3 * kPage2M)->out, 0x40000000 + 3 * kPage2M);
  const std::vector<Leaf> l = r.leaves_in({0, 4 * kPage2M});
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[1].in, 3 * kPage2M);
  EXPECT_EQ(r.find_from(kPage2M)->in, 3 * kPage2M);
}

}  // namespace
}  // namespace mmuvp::stub
