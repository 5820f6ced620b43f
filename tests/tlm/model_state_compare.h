// Comparisons of two copies of the platform's stateful structures, for tests that run a fast path
// and a general one side by side: every counter, and the contents and LRU order of every set
// (cache levels: also dirty bits; TLB arrays: the valid entries' order).
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tlm/cache_hierarchy.h"
#include "tlm/tlb.h"

namespace mmuvp::tlm::testing {

// `lines`: line numbers [0, lines) are checked for presence in both.
inline void expect_same_level(const CacheLevel& fast, const CacheLevel& ref, std::uint64_t lines,
                              const char* what) {
  SCOPED_TRACE(what);
  const CacheLevelCounters& a = fast.counters();
  const CacheLevelCounters& b = ref.counters();
  for (unsigned r = 0; r < kRequesters; ++r) {
    EXPECT_EQ(a.by_requester[r].accesses, b.by_requester[r].accesses);
    EXPECT_EQ(a.by_requester[r].hits, b.by_requester[r].hits);
    EXPECT_EQ(a.by_requester[r].misses, b.by_requester[r].misses);
  }
  EXPECT_EQ(a.fills, b.fills);
  EXPECT_EQ(a.evictions, b.evictions);
  EXPECT_EQ(a.writebacks, b.writebacks);
  EXPECT_EQ(fast.valid_lines(), ref.valid_lines());
  if (!fast.enabled()) return;
  const std::uint32_t sets = fast.geometry().sets();
  for (std::uint64_t set = 0; set < sets; ++set) {
    const std::vector<std::uint64_t> order = fast.lru_lines(set);  // line `set` indexes set `set`
    ASSERT_EQ(order, ref.lru_lines(set)) << "set " << set;
    for (std::uint64_t l : order) EXPECT_EQ(fast.is_dirty(l), ref.is_dirty(l)) << "line " << l;
  }
  for (std::uint64_t l = 0; l < lines; ++l) ASSERT_EQ(fast.contains(l), ref.contains(l));
}

inline void expect_same_core(const CacheHierarchy& fast, const CacheHierarchy& ref,
                             std::uint64_t lines) {
  expect_same_level(fast.l1d(), ref.l1d(), lines, "L1D");
  expect_same_level(fast.l2(), ref.l2(), lines, "L2");
  for (unsigned r = 0; r < kRequesters; ++r) {
    EXPECT_EQ(fast.counters().served[r], ref.counters().served[r]);
    EXPECT_EQ(fast.counters().cycles[r], ref.counters().cycles[r]);
  }
}

inline void expect_same_shared(const SharedCache& fast, const SharedCache& ref,
                               std::uint64_t lines) {
  expect_same_level(fast.llc(), ref.llc(), lines, "LLC");
  EXPECT_EQ(fast.dram_counters().accesses, ref.dram_counters().accesses);
  EXPECT_EQ(fast.dram_counters().writebacks, ref.dram_counters().writebacks);
}

inline bool same_entry(const TlbEntry* a, const TlbEntry* b) {
  if (a == nullptr || b == nullptr) return a == b;
  return a->va == b->va && a->hpa == b->hpa && a->gpa == b->gpa && a->size == b->size &&
         a->vmid == b->vmid && a->pcid == b->pcid && a->global == b->global &&
         a->dirty == b->dirty && a->perms == b->perms;
}

// Every set of every array: the same valid entries in the same LRU order.
inline void expect_same_tlb_level(const TlbLevel& fast, const TlbLevel& ref) {
  const TlbLevelCounters& a = fast.counters();
  const TlbLevelCounters& b = ref.counters();
  EXPECT_EQ(a.lookups, b.lookups);
  EXPECT_EQ(a.hits, b.hits);
  EXPECT_EQ(a.misses, b.misses);
  EXPECT_EQ(a.dirty_misses, b.dirty_misses);
  EXPECT_EQ(a.hits_by_size, b.hits_by_size);
  ASSERT_EQ(fast.arrays().size(), ref.arrays().size());
  for (std::size_t i = 0; i < fast.arrays().size(); ++i) {
    const TlbArray& x = fast.arrays()[i];
    const TlbArray& y = ref.arrays()[i];
    EXPECT_EQ(x.counters().fills, y.counters().fills);
    EXPECT_EQ(x.counters().refills, y.counters().refills);
    EXPECT_EQ(x.counters().evictions, y.counters().evictions);
    EXPECT_EQ(x.counters().invalidated, y.counters().invalidated);
    EXPECT_EQ(x.valid_entries(), y.valid_entries());
    if (!x.enabled()) continue;
    for (unsigned s = 0; s < kPageSizeCount; ++s) {
      const auto size = static_cast<arch::PageSize>(s);
      if (!x.sizes().has(size)) continue;
      for (std::uint32_t set = 0; set < x.geometry().sets(); ++set) {
        const arch::gva_t va = std::uint64_t{set} << arch::page_shift(size);
        EXPECT_EQ(x.lru_order(va, size), y.lru_order(va, size)) << x.name() << " set " << set;
      }
    }
  }
}

}  // namespace mmuvp::tlm::testing
