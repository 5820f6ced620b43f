// Properties every synthetic generator must have: seeded determinism, exact length, batch-size
// independence, reset, accesses inside regions() and well-formed, a contiguous primary heap, and
// consistent regions across the threads of one process.
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "tests/workloads/test_util.h"
#include "workloads/factory.h"

namespace mmuvp::workloads {
namespace {

using testing::collect;
using testing::small_config;

class Generator : public ::testing::TestWithParam<std::string> {};

TEST_P(Generator, SameSeedSameStream) {
  const WorkloadConfig cfg = small_config();
  auto a = make_workload(GetParam(), cfg);
  auto b = make_workload(GetParam(), cfg);
  const auto sa = collect(*a, cfg.accesses);
  const auto sb = collect(*b, cfg.accesses);
  ASSERT_EQ(sa.size(), cfg.accesses);
  EXPECT_TRUE(sa == sb);
}

TEST_P(Generator, DifferentSeedDifferentStream) {
  WorkloadConfig cfg = small_config();
  if (GetParam() == "stream") GTEST_SKIP() << "STREAM's addresses do not depend on the seed";
  auto a = make_workload(GetParam(), cfg);
  cfg.seed += 1;
  auto b = make_workload(GetParam(), cfg);
  const auto sa = collect(*a, cfg.accesses);
  const auto sb = collect(*b, cfg.accesses);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < sa.size(); ++i) differ += sa[i] != sb[i];
  EXPECT_GT(differ, sa.size() / 10);
}

TEST_P(Generator, BatchSizeDoesNotChangeTheStream) {
  const WorkloadConfig cfg = small_config(64 * kMiB, 50'000);
  auto a = make_workload(GetParam(), cfg);
  auto b = make_workload(GetParam(), cfg);
  const auto big = collect(*a, cfg.accesses, 8192);
  // Odd sizes below any generator's step size exercise the pending-buffer path.
  std::vector<MemAccess> small;
  std::vector<MemAccess> buf(7);
  for (std::size_t i = 0;; ++i) {
    const std::size_t n = b->next(buf.data(), 1 + i % 7);
    if (n == 0) break;
    small.insert(small.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  }
  ASSERT_EQ(big.size(), cfg.accesses);
  EXPECT_TRUE(big == small);
}

TEST_P(Generator, ExactLengthThenEnd) {
  const WorkloadConfig cfg = small_config(64 * kMiB, 12'345);
  auto w = make_workload(GetParam(), cfg);
  ASSERT_TRUE(w->length().has_value());
  EXPECT_EQ(*w->length(), cfg.accesses);
  const auto s = collect(*w, 10 * cfg.accesses);
  EXPECT_EQ(s.size(), cfg.accesses);
  MemAccess one;
  EXPECT_EQ(w->next(&one, 1), 0u);
}

TEST_P(Generator, ResetRestartsTheSameStream) {
  const WorkloadConfig cfg = small_config(64 * kMiB, 30'000);
  auto w = make_workload(GetParam(), cfg);
  const auto first = collect(*w, cfg.accesses);
  w->reset();
  const auto again = collect(*w, cfg.accesses);
  EXPECT_TRUE(first == again);
}

TEST_P(Generator, AccessesInsideRegionsAndWellFormed) {
  const WorkloadConfig cfg = small_config();
  auto w = make_workload(GetParam(), cfg);
  const std::vector<Region> regions = w->regions();
  ASSERT_FALSE(regions.empty());
  for (std::size_t i = 1; i < regions.size(); ++i) {
    ASSERT_LE(regions[i - 1].end(), regions[i].va) << "regions sorted and disjoint";
  }
  const auto s = collect(*w, cfg.accesses);
  std::set<std::string> touched;
  std::uint64_t insns = 0, writes = 0;
  for (const MemAccess& a : s) {
    const Region* r = find_region(regions, a.va, a.size);
    ASSERT_NE(r, nullptr) << std::hex << "access 0x" << a.va << "+" << std::dec << a.size;
    ASSERT_GE(a.size, 1u);
    ASSERT_LE(a.size, 64u);
    ASSERT_EQ(a.va / 64, (a.va + a.size - 1) / 64) << "generator accesses stay in one line";
    ASSERT_FALSE(a.ifetch());
    if (a.write()) {
      ASSERT_TRUE(r->writable);
      ++writes;
    }
    touched.insert(r->label);
    insns += a.insns;
  }
  EXPECT_GT(writes, 0u);
  EXPECT_GT(insns, s.size() / 4) << "instruction counts are modelled";
  // The stream reaches the workload's main arrays, not just one of them.
  EXPECT_GE(touched.size(), 2u);
}

TEST_P(Generator, RegionsAlignedAndPrimaryHeapContiguous) {
  WorkloadConfig cfg = small_config();
  auto w = make_workload(GetParam(), cfg);
  const std::vector<Region> regions = w->regions();
  std::uint64_t primary_bytes = 0;
  for (const Region& r : regions) {
    EXPECT_EQ(r.va % kRegionAlign, 0u) << r.label;
    EXPECT_EQ(r.bytes % kRegionAlign, 0u) << r.label;
    if (r.primary) primary_bytes += r.bytes;
  }
  const auto span = primary_span(regions);
  ASSERT_TRUE(span.has_value());
  EXPECT_EQ(span->base, cfg.heap_base);
  EXPECT_EQ(span->limit - span->base, primary_bytes) << "no holes in the primary heap";
  // Sized to the footprint: within 2x (power-of-two tables, 2 MiB rounding), never far beyond.
  EXPECT_LE(primary_bytes, 2 * cfg.footprint + 16 * kRegionAlign);
  EXPECT_GE(primary_bytes, cfg.footprint / 2);
}

// private_in_heap: stacks and per-thread buffers move into the heap, so every access of every
// thread's stream lies in the primary span (what a direct segment covers); off, some do not.
TEST_P(Generator, PrivateInHeapPutsEveryAccessInThePrimarySpan) {
  for (const bool in_heap : {false, true}) {
    WorkloadConfig cfg = small_config();
    cfg.private_in_heap = in_heap;
    cfg.threads = 2;
    std::uint64_t outside = 0, total = 0;
    for (unsigned t = 0; t < cfg.threads; ++t) {
      cfg.thread = t;
      auto w = make_workload(GetParam(), cfg);
      const std::vector<Region> regions = w->regions();
      const auto span = primary_span(regions);
      ASSERT_TRUE(span.has_value());
      for (const Region& r : regions) {
        if (in_heap) {
          EXPECT_TRUE(r.primary) << r.label;
        }
      }
      for (const MemAccess& a : collect(*w, cfg.accesses)) {
        ASSERT_NE(find_region(regions, a.va, a.size), nullptr);
        ++total;
        outside += (a.va < span->base || a.va + a.size > span->limit) ? 1 : 0;
      }
    }
    if (in_heap) {
      EXPECT_EQ(outside, 0u);
    } else if (GetParam() == "gups" || GetParam() == "kv") {  // their stack / buffers
      EXPECT_GT(outside, 0u) << "the generator keeps private data outside the heap";
    }
    EXPECT_GT(total, 0u);
  }
}

TEST_P(Generator, ThreadsShareRegionsAndSplitWork) {
  WorkloadConfig cfg = small_config(64 * kMiB, 40'000);
  cfg.threads = 4;
  std::vector<Region> first;
  std::vector<std::vector<MemAccess>> streams;
  for (unsigned t = 0; t < cfg.threads; ++t) {
    cfg.thread = t;
    auto w = make_workload(GetParam(), cfg);
    const std::vector<Region> regions = w->regions();
    if (t == 0) first = regions;
    ASSERT_EQ(regions.size(), first.size());
    for (std::size_t i = 0; i < regions.size(); ++i) {
      EXPECT_EQ(regions[i].va, first[i].va);
      EXPECT_EQ(regions[i].bytes, first[i].bytes);
      EXPECT_EQ(regions[i].label, first[i].label);
    }
    streams.push_back(collect(*w, cfg.accesses));
    ASSERT_EQ(streams.back().size(), cfg.accesses);
    for (const MemAccess& a : streams.back())
      ASSERT_NE(find_region(regions, a.va, a.size), nullptr);
  }
  for (unsigned t = 1; t < cfg.threads; ++t) EXPECT_FALSE(streams[t] == streams[0]);
}

TEST_P(Generator, DescribeAndName) {
  auto w = make_workload(GetParam(), small_config());
  EXPECT_EQ(w->name(), GetParam());
  EXPECT_EQ(w->describe().rfind(GetParam() + ":", 0), 0u) << w->describe();
}

TEST_P(Generator, TooSmallFootprintIsAClearError) {
  WorkloadConfig cfg = small_config(64);
  try {
    make_workload(GetParam(), cfg);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("footprint"), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(All, Generator, ::testing::ValuesIn(workload_names()),
                         [](const auto& info) { return info.param; });

TEST(Factory, UnknownNameListsTheValidOnes) {
  try {
    make_workload("gupz", small_config());
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "unknown workload 'gupz' (valid: gups, graph, kv, cg, stream)");
  }
}

TEST(Config, RejectsBadThreadsAndBase) {
  WorkloadConfig cfg = small_config();
  cfg.threads = 0;
  EXPECT_THROW(validate(cfg), std::invalid_argument);
  cfg.threads = 2;
  cfg.thread = 2;
  EXPECT_THROW(validate(cfg), std::invalid_argument);
  cfg.thread = 1;
  EXPECT_NO_THROW(validate(cfg));
  cfg.heap_base += 4096;
  EXPECT_THROW(validate(cfg), std::invalid_argument);
  cfg = small_config();
  cfg.footprint = kMaxFootprint + 1;
  EXPECT_THROW(validate(cfg), std::invalid_argument);
}

TEST(Config, FormatBytes) {
  EXPECT_EQ(format_bytes(4 * kGiB), "4 GiB");
  EXPECT_EQ(format_bytes(3 * kMiB / 2), "1536 KiB");
  EXPECT_EQ(format_bytes(100), "100 B");
  EXPECT_EQ(format_bytes(123457), "120.6 KiB");
}

TEST(Regions, FindRegionIsExactAtTheEdges) {
  const std::vector<Region> rs = {{0x1000, 0x2000, true, false, false, "a"},
                                  {0x5000, 0x1000, true, false, false, "b"}};
  EXPECT_EQ(find_region(rs, 0xfff), nullptr);
  EXPECT_EQ(find_region(rs, 0x1000)->label, "a");
  EXPECT_EQ(find_region(rs, 0x2ff8, 8)->label, "a");
  EXPECT_EQ(find_region(rs, 0x2ff9, 8), nullptr);  // crosses the end
  EXPECT_EQ(find_region(rs, 0x3000), nullptr);
  EXPECT_EQ(find_region(rs, 0x5fff)->label, "b");
  EXPECT_EQ(find_region(rs, 0x6000), nullptr);
  EXPECT_EQ(total_bytes(rs), 0x3000u);
  EXPECT_FALSE(primary_span(rs).has_value());
}

}  // namespace
}  // namespace mmuvp::workloads
