#include "sw-stub/frame_allocator.h"

#include <gtest/gtest.h>

#include <string>

#include "sw-stub/stub_error.h"

namespace mmuvp::stub {
namespace {

using arch::kPage1G;
using arch::kPage2M;
using arch::kPage4K;
using arch::PageSize;

TEST(FrameAllocator, BlocksAreNaturallyAligned) {
  FrameAllocator a(3 * kPage4K, 4 * kPage1G);
  EXPECT_EQ(a.alloc(PageSize::k4K), 3 * kPage4K);
  EXPECT_EQ(a.alloc(PageSize::k2M), kPage2M);  // first 2M boundary above 0x4000
  EXPECT_EQ(a.alloc(PageSize::k1G), kPage1G);
  // The 4K request goes to the hole below 2M (best fit), not above the 1G block.
  EXPECT_EQ(a.alloc(PageSize::k4K), 4 * kPage4K);
  EXPECT_EQ(a.free_bytes(), 4 * kPage1G - 5 * kPage4K - kPage2M - kPage1G);
}

TEST(FrameAllocator, BestFitFillsTheSmallestHole) {
  FrameAllocator a(0, 64 * kPage4K);
  std::uint64_t f[8];
  for (auto& x : f) x = a.alloc(PageSize::k4K);
  a.free({f[2], f[2] + 2 * kPage4K});  // a 2-frame hole at frame 2
  a.free({f[6], f[6] + kPage4K});      // a 1-frame hole at frame 6
  EXPECT_EQ(a.alloc(PageSize::k4K), f[6]);
  EXPECT_EQ(a.alloc_contiguous(2 * kPage4K), f[2]);
  EXPECT_EQ(a.alloc(PageSize::k4K), 8 * kPage4K);
}

TEST(FrameAllocator, ContiguousRunHonoursAlignment) {
  FrameAllocator a(kPage4K, 8 * kPage2M);
  EXPECT_EQ(a.alloc_contiguous(3 * kPage2M, kPage2M), kPage2M);
  EXPECT_EQ(a.alloc_contiguous(5 * kPage4K), kPage4K);
  EXPECT_THROW(a.alloc_contiguous(3 * kPage4K, 3 * kPage4K), StubError);  // not a power of two
  EXPECT_THROW(a.alloc_contiguous(100), StubError);                       // not 4K multiple
}

TEST(FrameAllocator, ExcludedRangesAreNeverHandedOut) {
  FrameAllocator a(0, 8 * kPage1G);
  a.exclude({3 * kPage1G, 4 * kPage1G});  // the I/O gap
  int blocks = 0;
  try {
    for (;;) {
      const std::uint64_t b = a.alloc(PageSize::k1G);
      EXPECT_FALSE(b >= 3 * kPage1G && b < 4 * kPage1G) << std::hex << b;
      ++blocks;
    }
  } catch (const OutOfMemory&) {
  }
  EXPECT_EQ(blocks, 7);
  EXPECT_EQ(a.free_bytes(), 0u);
}

TEST(FrameAllocator, ExhaustionIsAClearError) {
  FrameAllocator a(0, 3 * kPage2M, "guest memory");
  a.alloc(PageSize::k4K);
  try {
    a.alloc(PageSize::k1G);
    FAIL() << "a 1G block cannot exist in 6 MiB";
  } catch (const OutOfMemory& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("guest memory: out of memory"), std::string::npos) << m;
    EXPECT_NE(m.find("1G"), std::string::npos) << m;
    EXPECT_NE(m.find("largest 5.99 MiB"), std::string::npos) << m;
  }
  EXPECT_THROW(a.alloc_contiguous(4 * kPage2M), OutOfMemory);
}

TEST(FrameAllocator, FreeChecksOwnership) {
  FrameAllocator a(0, 16 * kPage4K);
  const std::uint64_t f = a.alloc(PageSize::k4K);
  a.free({f, f + kPage4K});
  EXPECT_THROW(a.free({f, f + kPage4K}), StubError);              // double free
  EXPECT_THROW(a.free({64 * kPage4K, 65 * kPage4K}), StubError);  // not managed
  EXPECT_THROW(a.free({f + 8, f + kPage4K + 8}), StubError);      // misaligned
}

TEST(FrameAllocator, ExcludingAnAllocatedFrameKeepsItOutAfterFree) {
  FrameAllocator a(0, 4 * kPage4K);
  const std::uint64_t run = a.alloc_contiguous(4 * kPage4K);
  a.exclude({run + kPage4K, run + 2 * kPage4K});  // goes bad while in use
  EXPECT_TRUE(a.in_use({run, run + 4 * kPage4K}));
  a.free({run, run + 4 * kPage4K});
  EXPECT_EQ(a.free_bytes(), 3 * kPage4K);
  EXPECT_FALSE(a.free_set().contains(run + kPage4K));
}

TEST(FrameAllocator, SpanningRunCrossesBadFramesOnly) {
  FrameAllocator a(0, 8 * kPage4K);
  a.exclude({2 * kPage4K, 3 * kPage4K});
  EXPECT_THROW(a.alloc_contiguous(8 * kPage4K), OutOfMemory);
  const FrameAllocator::SpanningRun run = a.alloc_spanning(8 * kPage4K, kPage4K);
  EXPECT_EQ(run.addr, 0u);
  ASSERT_EQ(run.bad_frames.size(), 1u);
  EXPECT_EQ(run.bad_frames[0], 2 * kPage4K);
  EXPECT_EQ(a.free_bytes(), 0u);
  a.free({0, 8 * kPage4K});
  EXPECT_EQ(a.free_bytes(), 7 * kPage4K);
  // A frame in use blocks a spanning run.
  a.reserve({5 * kPage4K, 6 * kPage4K});
  EXPECT_THROW(a.alloc_spanning(8 * kPage4K, kPage4K), OutOfMemory);
}

TEST(FrameAllocator, HotAddAndHotUnplug) {
  FrameAllocator a(0, 4 * kPage4K);
  a.add_memory({8 * kPage4K, 12 * kPage4K});
  EXPECT_EQ(a.managed_bytes(), 8 * kPage4K);
  EXPECT_THROW(a.add_memory({2 * kPage4K, 9 * kPage4K}), StubError);  // overlaps
  const std::uint64_t f = a.alloc(PageSize::k4K);
  EXPECT_THROW(a.remove_memory({0, 4 * kPage4K}), StubError);  // holds f
  a.free({f, f + kPage4K});
  a.remove_memory({0, 4 * kPage4K});
  EXPECT_EQ(a.managed_bytes(), 4 * kPage4K);
  EXPECT_EQ(a.alloc(PageSize::k4K), 8 * kPage4K);
}

TEST(FrameAllocator, TakeFragmentsPrefersTheSmallestRuns) {
  FrameAllocator a(0, 32 * kPage4K);
  a.reserve({0, 32 * kPage4K});
  a.free({1 * kPage4K, 2 * kPage4K});    // 1 frame
  a.free({4 * kPage4K, 7 * kPage4K});    // 3 frames
  a.free({10 * kPage4K, 30 * kPage4K});  // 20 frames
  const std::vector<Range> got = a.take_fragments(6 * kPage4K);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], (Range{1 * kPage4K, 2 * kPage4K}));
  EXPECT_EQ(got[1], (Range{4 * kPage4K, 7 * kPage4K}));
  EXPECT_EQ(got[2], (Range{10 * kPage4K, 12 * kPage4K}));
  EXPECT_EQ(a.largest_free_run(), 18 * kPage4K);
  EXPECT_THROW(a.take_fragments(19 * kPage4K), OutOfMemory);
}

TEST(FrameAllocator, BlockAlignmentFollowsAddressAndSize) {
  EXPECT_EQ(block_alignment(0, 4 * kPage1G), kPage1G);
  EXPECT_EQ(block_alignment(kPage2M, 4 * kPage1G), kPage2M);
  EXPECT_EQ(block_alignment(0, kPage1G - kPage4K), kPage2M);
  EXPECT_EQ(block_alignment(kPage4K, kPage1G), kPage4K);
}

}  // namespace
}  // namespace mmuvp::stub
