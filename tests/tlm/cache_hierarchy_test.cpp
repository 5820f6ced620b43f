// The cache hierarchy: default geometry, latency per serving level for crafted address streams,
// the 12288-set LLC, write-allocate and writebacks, requesters, sharing, validation, counters.
#include "tlm/cache_hierarchy.h"

#include <gtest/gtest.h>

#include <array>
#include <stdexcept>
#include <string>
#include <vector>

namespace mmuvp::tlm {
namespace {

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no exception)";
}

constexpr auto kData = Requester::kData;
constexpr auto kWalker = Requester::kWalker;
constexpr std::uint64_t kLine = 64;

// One core on its own shared part.
struct OneCore {
  SharedCache shared;
  CacheHierarchy core;
  explicit OneCore(const CacheConfig& c = {}) : shared(c), core(c, shared) {}
  CacheAccess read(arch::hpa_t pa, Requester who = kData) { return core.access(pa, false, who); }
  CacheAccess write(arch::hpa_t pa) { return core.access(pa, true, kData); }
};

std::uint64_t served(const CacheHierarchy& c, CacheLevelId l, Requester who = kData) {
  return c.counters().served[static_cast<unsigned>(who)][static_cast<unsigned>(l)];
}

TEST(CacheConfig, DefaultsAreThePapersHost) {
  OneCore m;
  EXPECT_EQ(m.core.l1d().geometry().sets(), 64u);
  EXPECT_EQ(m.core.l1d().geometry().ways, 8u);
  EXPECT_EQ(m.core.l2().geometry().sets(), 512u);
  EXPECT_EQ(m.core.l2().geometry().ways, 8u);
  EXPECT_EQ(m.shared.llc().geometry().sets(), 12288u);
  EXPECT_EQ(m.shared.llc().geometry().ways, 20u);
  EXPECT_EQ(m.core.l1d().latency(), 4u);
  EXPECT_EQ(m.core.l2().latency(), 12u);
  EXPECT_EQ(m.shared.llc().latency(), 40u);
  EXPECT_EQ(m.shared.dram_latency(), 200u);
}

TEST(CacheConfig, ValidationNamesTheField) {
  CacheConfig c;
  c.l2.size_bytes = 250000;
  EXPECT_EQ(error_of([&] { c.validate(); }),
            "CacheConfig.l2: size 250000 B is not a multiple of line_bytes * ways = 512 B");
  c.l2.size_bytes = 250 * kKiB;  // 500 sets: legal, indexed by modulo
  EXPECT_NO_THROW(c.validate());
  c = CacheConfig{};
  c.line_bytes = 48;
  EXPECT_EQ(error_of([&] { SharedCache s(c); }),
            "CacheConfig.line_bytes: 48 is not a power of two in [8, 4096]");
  c = CacheConfig{};
  c.llc.latency = 10;
  EXPECT_EQ(error_of([&] { c.validate(); }), "CacheConfig.llc.latency: 10 is below l2's 12");
  c = CacheConfig{};
  c.dram_latency = 30;
  EXPECT_EQ(error_of([&] { c.validate(); }), "CacheConfig.dram_latency: 30 is below llc's 40");
  c = CacheConfig{};
  c.l1d.ways = 0;
  EXPECT_EQ(error_of([&] { c.validate(); }), "CacheConfig.l1d: ways must be at least 1");
  c = CacheConfig{};
  c.llc = CacheLevelConfig{2048 * kMiB, 16, 40};
  EXPECT_EQ(error_of([&] { c.validate(); }),
            "CacheConfig.llc: 33554432 lines exceed the limit of 16777216");
  EXPECT_EQ(error_of([] { CacheSystem s(CacheConfig{}, 0); }),
            "CacheSystem: core count 0 is outside 1..256");
  CacheConfig other;
  other.line_bytes = 128;
  SharedCache shared;  // 64-byte lines
  EXPECT_EQ(error_of([&] { CacheHierarchy h(other, shared); }),
            "CacheConfig.line_bytes: 128 differs from the shared LLC's 64");
}

TEST(CacheHierarchy, MissGoesToDramThenHitsL1) {
  OneCore m;
  CacheAccess a = m.read(0x12345678);
  EXPECT_EQ(a.level, CacheLevelId::kDram);
  EXPECT_EQ(a.latency, 200u);
  a = m.read(0x12345640);  // same 64-byte line
  EXPECT_EQ(a.level, CacheLevelId::kL1D);
  EXPECT_EQ(a.latency, 4u);
  a = m.read(0x12345680);  // next line
  EXPECT_EQ(a.latency, 200u);

  const CacheAccessCounters l1 = m.core.l1d().counters().total();
  EXPECT_EQ(l1.accesses, 3u);
  EXPECT_EQ(l1.hits, 1u);
  EXPECT_EQ(l1.misses, 2u);
  EXPECT_EQ(m.core.l2().counters().total().accesses, 2u);
  EXPECT_EQ(m.core.l2().counters().total().misses, 2u);
  EXPECT_EQ(m.shared.llc().counters().total().misses, 2u);
  EXPECT_EQ(m.shared.dram_counters().accesses[0], 2u);
  EXPECT_EQ(m.core.counters().cycles[0], 404u);
  EXPECT_EQ(m.core.counters().accesses(kData), 3u);
}

// 16 lines 4 KiB apart: one L1D set (64 sets) but 8 L2 sets of 2 lines each.
TEST(CacheHierarchy, StrideThatThrashesL1FitsL2) {
  OneCore m;
  for (int pass = 0; pass < 3; ++pass) {
    for (std::uint64_t k = 0; k < 16; ++k) {
      const CacheAccess a = m.read(k * 4096);
      EXPECT_EQ(a.latency, pass == 0 ? 200u : 12u) << "pass " << pass << " line " << k;
    }
  }
  EXPECT_EQ(served(m.core, CacheLevelId::kDram), 16u);
  EXPECT_EQ(served(m.core, CacheLevelId::kL2), 32u);
  EXPECT_EQ(served(m.core, CacheLevelId::kL1D), 0u);
  EXPECT_EQ(m.core.counters().cycles[0], 16u * 200 + 32u * 12);
  const CacheLevelCounters& l1 = m.core.l1d().counters();
  EXPECT_EQ(l1.by_requester[0].accesses, 48u);
  EXPECT_EQ(l1.by_requester[0].misses, 48u);
  EXPECT_EQ(l1.fills, 48u);
  EXPECT_EQ(l1.evictions, 40u);  // all but the first 8 fills evict
  EXPECT_EQ(m.core.l2().counters().evictions, 0u);
  EXPECT_EQ(m.core.l1d().valid_lines(), 8u);
}

// 16 lines 32 KiB apart: one L1D set and one L2 set (512 sets), but 16 LLC sets.
TEST(CacheHierarchy, StrideThatThrashesL2FitsLlc) {
  OneCore m;
  for (int pass = 0; pass < 2; ++pass) {
    for (std::uint64_t k = 0; k < 16; ++k) {
      EXPECT_EQ(m.read(k * 32 * kKiB).latency, pass == 0 ? 200u : 40u) << k;
    }
  }
  EXPECT_EQ(served(m.core, CacheLevelId::kLlc), 16u);
  EXPECT_EQ(m.shared.llc().counters().total().hits, 16u);
  EXPECT_EQ(m.core.l2().counters().total().hits, 0u);
}

// Lines 12288 apart share one LLC set only if the LLC really has 12288 sets (a power-of-two
// geometry would spread them). 20 fit its 20 ways; 21 thrash it.
TEST(CacheHierarchy, LlcHas12288SetsIndexedByModulo) {
  constexpr std::uint64_t kSetStride = 12288 * kLine;
  {
    OneCore m;
    for (int pass = 0; pass < 2; ++pass) {
      for (std::uint64_t k = 0; k < 20; ++k) {
        EXPECT_EQ(m.read(k * kSetStride).latency, pass == 0 ? 200u : 40u) << k;
      }
    }
  }
  {
    OneCore m;
    for (int pass = 0; pass < 2; ++pass) {
      for (std::uint64_t k = 0; k < 21; ++k) EXPECT_EQ(m.read(k * kSetStride).latency, 200u) << k;
    }
    EXPECT_EQ(m.shared.llc().counters().evictions, 42u - 20u);
  }
}

TEST(CacheHierarchy, WriteAllocatesDirtyInL1Only) {
  OneCore m;
  const CacheAccess a = m.write(0x1000);
  EXPECT_EQ(a.latency, 200u);
  const std::uint64_t line = m.core.line_of(0x1000);
  EXPECT_TRUE(m.core.l1d().is_dirty(line));
  EXPECT_TRUE(m.core.l2().contains(line));
  EXPECT_FALSE(m.core.l2().is_dirty(line));
  EXPECT_FALSE(m.shared.llc().is_dirty(line));
  EXPECT_EQ(m.write(0x1008).latency, 4u);
  // A write hit marks a clean L1 line dirty.
  m.read(0x2000);
  EXPECT_FALSE(m.core.l1d().is_dirty(m.core.line_of(0x2000)));
  m.write(0x2000);
  EXPECT_TRUE(m.core.l1d().is_dirty(m.core.line_of(0x2000)));
}

TEST(CacheHierarchy, DirtyL1VictimIsAbsorbedByL2) {
  OneCore m;
  m.write(0);                                               // L1 set 0, dirty
  for (std::uint64_t k = 1; k <= 8; ++k) m.read(k * 4096);  // 8 more lines of L1 set 0
  EXPECT_FALSE(m.core.l1d().contains(0));
  EXPECT_TRUE(m.core.l2().is_dirty(0));
  EXPECT_EQ(m.core.l1d().counters().writebacks, 1u);
  EXPECT_EQ(m.shared.dram_counters().writebacks, 0u);
  EXPECT_EQ(m.read(0).latency, 12u);
}

// Lines 12288 apart share an L1D, an L2 and an LLC set: the dirty line goes L1 -> LLC -> DRAM.
TEST(CacheHierarchy, DirtyLinesAreWrittenBackDownTheHierarchy) {
  constexpr std::uint64_t kSetStride = 12288 * kLine;
  OneCore m;
  m.write(0);
  for (std::uint64_t k = 1; k <= 8; ++k) m.read(k * kSetStride);
  // The 8th fill evicted line 0 from L2 (clean there) and then from L1 (dirty): the LLC took it.
  EXPECT_EQ(m.core.l2().counters().evictions, 1u);
  EXPECT_EQ(m.core.l2().counters().writebacks, 0u);
  EXPECT_EQ(m.core.l1d().counters().writebacks, 1u);
  EXPECT_TRUE(m.shared.llc().is_dirty(0));
  for (std::uint64_t k = 9; k <= 20; ++k) m.read(k * kSetStride);  // the 21st line evicts line 0
  EXPECT_FALSE(m.shared.llc().contains(0));
  EXPECT_EQ(m.shared.llc().counters().writebacks, 1u);
  EXPECT_EQ(m.shared.dram_counters().writebacks, 1u);
  EXPECT_EQ(m.read(0).latency, 200u);
}

TEST(CacheHierarchy, RequestersAreCountedApart) {
  OneCore m;
  m.read(0x4000, kWalker);
  m.read(0x4000, kData);
  m.read(0x8000, kWalker);
  m.read(0x8000, kWalker);
  const CacheLevelCounters& l1 = m.core.l1d().counters();
  EXPECT_EQ(l1.by_requester[static_cast<unsigned>(kWalker)].accesses, 3u);
  EXPECT_EQ(l1.by_requester[static_cast<unsigned>(kWalker)].hits, 1u);
  EXPECT_EQ(l1.by_requester[static_cast<unsigned>(kWalker)].misses, 2u);
  EXPECT_EQ(l1.by_requester[static_cast<unsigned>(kData)].accesses, 1u);
  EXPECT_EQ(l1.by_requester[static_cast<unsigned>(kData)].hits, 1u);
  EXPECT_EQ(served(m.core, CacheLevelId::kDram, kWalker), 2u);
  EXPECT_EQ(served(m.core, CacheLevelId::kL1D, kWalker), 1u);
  EXPECT_EQ(served(m.core, CacheLevelId::kL1D, kData), 1u);
  EXPECT_EQ(m.core.counters().cycles[static_cast<unsigned>(kWalker)], 404u);
  EXPECT_EQ(m.core.counters().cycles[static_cast<unsigned>(kData)], 4u);
  EXPECT_EQ(m.shared.dram_counters().accesses[static_cast<unsigned>(kWalker)], 2u);
  EXPECT_EQ(m.shared.dram_counters().accesses[static_cast<unsigned>(kData)], 0u);
}

TEST(CacheSystem, CoresShareTheLlcButNotL1OrL2) {
  CacheSystem sys(CacheConfig{}, 2);
  EXPECT_EQ(sys.cores(), 2u);
  EXPECT_EQ(sys.core(0).access(0x10000, false, kData).latency, 200u);
  EXPECT_EQ(sys.core(1).access(0x10000, false, kData).latency, 40u);  // brought in by core 0
  EXPECT_EQ(sys.core(1).access(0x10000, false, kData).latency, 4u);
  EXPECT_EQ(sys.core(0).access(0x10000, false, kData).latency, 4u);
  EXPECT_EQ(sys.shared().llc().counters().total().accesses, 2u);
  EXPECT_EQ(sys.shared().llc().counters().total().hits, 1u);
  EXPECT_EQ(sys.core(0).l1d().counters().total().accesses, 2u);
  EXPECT_EQ(sys.core(1).l2().counters().total().accesses, 1u);
  EXPECT_THROW(sys.core(2), std::out_of_range);
}

TEST(CacheHierarchy, AbsentLevelsAreSkipped) {
  CacheConfig c;
  c.l2.size_bytes = 0;
  OneCore m(c);
  EXPECT_FALSE(m.core.l2().enabled());
  for (std::uint64_t k = 0; k < 9; ++k) m.read(k * 4096);  // line 0 leaves L1
  EXPECT_EQ(m.read(0).latency, 40u);
  EXPECT_EQ(m.core.l2().counters().total().accesses, 0u);

  CacheConfig none;
  none.l1d.size_bytes = 0;
  none.l2.size_bytes = 0;
  none.llc.size_bytes = 0;
  OneCore d(none);
  EXPECT_EQ(d.read(0).latency, 200u);
  EXPECT_EQ(d.read(0).latency, 200u);
}

TEST(CacheHierarchy, ResetCountersKeepsContents) {
  OneCore m;
  m.read(0x40);
  m.core.reset_counters();
  m.shared.reset_counters();
  EXPECT_EQ(m.core.counters().accesses(kData), 0u);
  EXPECT_EQ(m.core.l1d().counters().total().accesses, 0u);
  EXPECT_EQ(m.shared.dram_counters().accesses[0], 0u);
  EXPECT_EQ(m.read(0x40).latency, 4u);
}

}  // namespace
}  // namespace mmuvp::tlm
