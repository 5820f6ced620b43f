// The exact fast paths of the hot structures against their general paths, on random streams:
//   - CacheHierarchy::access (L1D slot hints, one probe per level) vs access_reference (find,
//     then fill at each level): the same serving level and latency for every access, and the same
//     counters, lines, dirty bits and LRU order of every set at every level, one core and two
//     cores sharing the LLC.
//   - TlbLevel::lookup (page hints) vs lookup_reference (every array probed), with fills and
//     invalidations in between: the same entry for every lookup, the same counters, and the same
//     contents and LRU order of every set of every array.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tests/tlm/model_state_compare.h"
#include "tlm/cache_hierarchy.h"
#include "tlm/tlb.h"

namespace mmuvp::tlm {
namespace {

using testing::expect_same_core;
using testing::expect_same_shared;
using testing::expect_same_tlb_level;
using testing::same_entry;

// ---- cache hierarchy --------------------------------------------------------------------------

constexpr std::uint64_t kLine = 64;

// Small levels so that a few thousand accesses evict at every level; a 12-set LLC (not a power
// of two) as the default 12288-set one.
CacheConfig small_config() {
  CacheConfig c;
  c.l1d = CacheLevelConfig{1 * kKiB, 4, 4};       // 4 sets
  c.l2 = CacheLevelConfig{4 * kKiB, 4, 12};       // 16 sets
  c.llc = CacheLevelConfig{12 * 4 * kLine, 4, 40};  // 12 sets
  return c;
}

// A mix of what the platform sends: repeats of recent lines (the hint path), neighbours (new
// lines of a stream), and random lines over `lines` (misses and evictions); random writes and
// requesters.
struct CacheStream {
  explicit CacheStream(std::uint64_t lines, unsigned seed) : lines_(lines), rng_(seed) {}
  struct Step {
    arch::hpa_t pa;
    bool write;
    Requester who;
  };
  Step next() {
    const unsigned kind = pick_(rng_) % 10;
    std::uint64_t line;
    if (kind < 4 && !recent_.empty()) {
      line = recent_[pick_(rng_) % recent_.size()];
    } else if (kind < 6 && !recent_.empty()) {
      line = (recent_[pick_(rng_) % recent_.size()] + 1) % lines_;
    } else {
      line = pick_(rng_) % lines_;
    }
    if (recent_.size() < 6) {
      recent_.push_back(line);
    } else {
      recent_[pick_(rng_) % recent_.size()] = line;
    }
    return Step{line * kLine + pick_(rng_) % kLine, pick_(rng_) % 3 == 0,
                pick_(rng_) % 4 == 0 ? Requester::kWalker : Requester::kData};
  }
  std::uint64_t lines_;
  std::mt19937_64 rng_;
  std::uniform_int_distribution<std::uint64_t> pick_;
  std::vector<std::uint64_t> recent_;
};

TEST(CacheFastPath, EqualsTheGeneralPathOnOneCore) {
  const CacheConfig cfg = small_config();
  SharedCache shared_fast(cfg), shared_ref(cfg);
  CacheHierarchy fast(cfg, shared_fast), ref(cfg, shared_ref);
  constexpr std::uint64_t kLines = 400;  // > 2 x the LLC's 48 lines
  CacheStream s(kLines, 7);
  for (unsigned i = 0; i < 20000; ++i) {
    const CacheStream::Step st = s.next();
    const CacheAccess a = fast.access(st.pa, st.write, st.who);
    const CacheAccess b = ref.access_reference(st.pa, st.write, st.who);
    ASSERT_EQ(a.level, b.level) << "access " << i;
    ASSERT_EQ(a.latency, b.latency) << "access " << i;
    if (i % 1000 == 999) {
      expect_same_core(fast, ref, kLines);
      expect_same_shared(shared_fast, shared_ref, kLines);
      if (HasFatalFailure() || HasNonfatalFailure()) return;
    }
  }
  // The stream reached every level and the hint path.
  const auto& served = fast.counters().served[static_cast<unsigned>(Requester::kData)];
  for (unsigned l = 0; l < kCacheLevelIds; ++l) EXPECT_GT(served[l], 100u) << "level " << l;
  EXPECT_GT(fast.l1d().counters().writebacks, 100u);
  EXPECT_GT(fast.l2().counters().writebacks, 10u);
}

TEST(CacheFastPath, EqualsTheGeneralPathWithTwoCoresSharingTheLlc) {
  const CacheConfig cfg = small_config();
  CacheSystem fast(cfg, 2), ref(cfg, 2);
  constexpr std::uint64_t kLines = 300;
  CacheStream s(kLines, 11);
  std::mt19937 core_pick(3);
  for (unsigned i = 0; i < 20000; ++i) {
    const unsigned c = core_pick() % 2;
    const CacheStream::Step st = s.next();
    const CacheAccess a = fast.core(c).access(st.pa, st.write, st.who);
    const CacheAccess b = ref.core(c).access_reference(st.pa, st.write, st.who);
    ASSERT_EQ(a.level, b.level) << "access " << i;
  }
  expect_same_core(fast.core(0), ref.core(0), kLines);
  expect_same_core(fast.core(1), ref.core(1), kLines);
  expect_same_shared(fast.shared(), ref.shared(), kLines);
}

TEST(CacheFastPath, EqualsTheGeneralPathOnTheDefaultHierarchyWithAStream) {
  // Three interleaved sequential arrays (the stream triad) plus random lines, default geometry.
  const CacheConfig cfg;
  SharedCache shared_fast(cfg), shared_ref(cfg);
  CacheHierarchy fast(cfg, shared_fast), ref(cfg, shared_ref);
  std::mt19937_64 rng(5);
  constexpr std::uint64_t kArray = 8 * kMiB + 4160;
  for (std::uint64_t i = 0; i < 150000; ++i) {
    const std::uint64_t k = i / 3;
    const unsigned arr = i % 3;
    arch::hpa_t pa = arr * kArray + k * 8;
    if (i % 97 == 0) pa = (rng() % (64 * kMiB)) & ~7ull;
    const bool write = arr == 2;
    const CacheAccess a = fast.access(pa, write, Requester::kData);
    const CacheAccess b = ref.access_reference(pa, write, Requester::kData);
    ASSERT_EQ(a.level, b.level) << "access " << i;
  }
  expect_same_core(fast, ref, 0);
  expect_same_shared(shared_fast, shared_ref, 0);
  EXPECT_GT(fast.l1d().counters().writebacks, 0u);
}

TEST(CacheFastPath, DisabledLevelsTakeTheGeneralPath) {
  CacheConfig cfg = small_config();
  cfg.l1d.size_bytes = 0;
  cfg.l2.size_bytes = 0;
  SharedCache shared_fast(cfg), shared_ref(cfg);
  CacheHierarchy fast(cfg, shared_fast), ref(cfg, shared_ref);
  CacheStream s(200, 13);
  for (unsigned i = 0; i < 5000; ++i) {
    const CacheStream::Step st = s.next();
    ASSERT_EQ(fast.access(st.pa, st.write, st.who).level,
              ref.access_reference(st.pa, st.write, st.who).level);
  }
  expect_same_core(fast, ref, 200);
  expect_same_shared(shared_fast, shared_ref, 200);
}

// ---- TLB levels -------------------------------------------------------------------------------

using arch::AccessType;
using arch::PageSize;

TlbConfig small_tlb() {
  TlbConfig c;
  c.l1_4k = Geometry{16, 4};
  c.l1_2m = Geometry{8, 2};
  c.l1_1g = Geometry::fully_associative(2);
  c.l2 = Geometry{32, 4};
  c.l2_sizes = PageSizeSet{PageSize::k4K} | PageSizeSet{PageSize::k2M};
  return c;
}

TEST(TlbFastPath, LookupEqualsTheGeneralPathWithFillsAndInvalidations) {
  Tlb fast(small_tlb()), ref(small_tlb());
  std::mt19937_64 rng(17);
  auto pick = [&](std::uint64_t n) { return rng() % n; };
  std::vector<arch::gva_t> recent;
  unsigned hits = 0;
  for (unsigned i = 0; i < 40000; ++i) {
    const unsigned kind = static_cast<unsigned>(pick(100));
    const std::uint16_t vmid = static_cast<std::uint16_t>(1 + pick(2));
    const std::uint16_t pcid = static_cast<std::uint16_t>(pick(3));
    arch::gva_t va;
    if (kind < 60 && !recent.empty()) {
      va = recent[pick(recent.size())] + pick(4096);  // same 4K page (or a neighbour's)
    } else {
      va = (pick(96) << arch::kPageShift) + pick(4096);
      if (pick(8) == 0) va += pick(3) << 21;  // other 2M regions
    }
    if (recent.size() < 8) {
      recent.push_back(va & ~0xfffull);
    } else {
      recent[pick(8)] = va & ~0xfffull;
    }
    if (kind < 85) {
      const AccessType type = pick(3) == 0 ? AccessType::kWrite : AccessType::kRead;
      const TlbEntry* a = fast.l1().lookup(va, vmid, pcid, type);
      const TlbEntry* b = ref.l1().lookup_reference(va, vmid, pcid, type);
      ASSERT_TRUE(same_entry(a, b)) << "lookup " << i;
      hits += a != nullptr;
      if (a == nullptr) {
        const TlbEntry* a2 = fast.l2().lookup(va, vmid, pcid, type);
        const TlbEntry* b2 = ref.l2().lookup_reference(va, vmid, pcid, type);
        ASSERT_TRUE(same_entry(a2, b2)) << "L2 lookup " << i;
        if (a2 != nullptr) {
          fast.l1().fill(*a2);
          ref.l1().fill(*b2);
        }
      }
    } else if (kind < 97) {
      TlbEntry e;
      const unsigned s = pick(10) < 7 ? 0 : pick(10) < 7 ? 1 : 2;
      e.size = static_cast<PageSize>(s);
      e.va = va & ~e.offset_mask();
      e.hpa = (pick(1u << 20) << 21) & ~e.offset_mask();
      e.gpa = e.hpa;
      e.vmid = vmid;
      e.pcid = pcid;
      e.global = pick(6) == 0;
      e.dirty = pick(2) == 0;
      e.perms = arch::Perms{true, pick(2) == 0, false, true};
      fast.fill(e);
      ref.fill(e);
    } else {
      arch::Invalidation inv;
      inv.op = pick(2) == 0 ? arch::regs::InvOp::kInvlpg : arch::regs::InvOp::kInvpcidContext;
      inv.addr = va;
      inv.vmid = vmid;
      inv.pcid = pcid;
      ASSERT_EQ(fast.invalidate(inv), ref.invalidate(inv)) << "invalidation " << i;
    }
    if (i % 2000 == 1999) {
      expect_same_tlb_level(fast.l1(), ref.l1());
      expect_same_tlb_level(fast.l2(), ref.l2());
      if (HasFatalFailure() || HasNonfatalFailure()) return;
    }
  }
  // Hits in every L1 array and dirty misses: the stream exercised the hint path's cases.
  EXPECT_GT(hits, 5000u);
  EXPECT_GT(fast.l1().counters().dirty_misses, 100u);
  for (unsigned s = 0; s < kPageSizeCount; ++s) EXPECT_GT(fast.l1().counters().hits_by_size[s], 50u);
}

TEST(TlbFastPath, AHintDoesNotOutliveAFillOfAnotherArray) {
  // A 2M entry hits (and is hinted); then a 4K entry for the same page is filled: the next lookup
  // must find the 4K entry (the 4K array is probed first), as the general path does.
  Tlb tlb(small_tlb());
  TlbEntry big;
  big.va = 0x40000000;
  big.size = PageSize::k2M;
  big.hpa = 0x80000000;
  big.vmid = 1;
  big.dirty = true;
  big.perms = arch::Perms{true, true, false, true};
  tlb.fill(big);
  const arch::gva_t va = 0x40003123;
  ASSERT_NE(tlb.l1().lookup(va, 1, 0, AccessType::kRead), nullptr);
  EXPECT_EQ(tlb.l1().lookup(va, 1, 0, AccessType::kRead)->size, PageSize::k2M);
  TlbEntry small = big;
  small.va = 0x40003000;
  small.size = PageSize::k4K;
  small.hpa = 0x12345000;
  tlb.l1().fill(small);
  const TlbEntry* e = tlb.l1().lookup(va, 1, 0, AccessType::kRead);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->size, PageSize::k4K);
  EXPECT_EQ(e->translate(va), 0x12345123u);
}

}  // namespace
}  // namespace mmuvp::tlm
