// Lookup speed of the translation-caching and data-cache structures (tlm/): TLB hits in L1 and
// L2, a miss followed by a fill, paging-structure-cache and nested-TLB hits, cache hits per level
// and DRAM misses. Address streams are precomputed so only the structure is timed.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tlm/cache_hierarchy.h"
#include "tlm/nested_tlb.h"
#include "tlm/paging_structure_cache.h"
#include "tlm/tlb.h"

namespace mmuvp::tlm {
namespace {

using arch::AccessType;
using arch::PageSize;

constexpr std::uint16_t kVmid = 3;
constexpr std::uint16_t kPcid = 5;

TlbEntry page(arch::gva_t va, PageSize size) {
  TlbEntry e;
  e.va = va;
  e.size = size;
  e.hpa = (va & 0xffffffffffull) | (1ull << 40);
  e.gpa = va;
  e.vmid = kVmid;
  e.pcid = kPcid;
  e.dirty = true;
  e.perms = arch::Perms{true, true, false, true};
  return e;
}

// `n` addresses cycling over `pages` pages of `size` from `base`, with varying offsets.
std::vector<arch::gva_t> cycle(arch::gva_t base, unsigned pages, PageSize size, std::size_t n) {
  std::vector<arch::gva_t> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = base + (i % pages) * arch::page_bytes(size) + ((i * 72) & (arch::kPage4K - 8));
  }
  return v;
}

constexpr std::size_t kStream = 1 << 12;  // power of two: index with a mask

void BM_TlbL1Hit4K(benchmark::State& state) {
  Tlb tlb;
  const auto addrs = cycle(0x7f0000000000, 48, PageSize::k4K, kStream);
  for (unsigned p = 0; p < 48; ++p)
    tlb.fill(page(0x7f0000000000 + p * arch::kPage4K, PageSize::k4K));
  std::size_t i = 0;
  for (auto _ : state) {
    const TlbLookup r = tlb.lookup(addrs[i++ & (kStream - 1)], kVmid, kPcid, AccessType::kRead);
    benchmark::DoNotOptimize(r.entry);
  }
  if (tlb.l1().counters().misses != 0) state.SkipWithError("expected L1 hits only");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TlbL1Hit4K);

void BM_TlbL1Hit2M(benchmark::State& state) {
  Tlb tlb;  // probes the 4K array (miss) and then the 2M array (hit)
  const auto addrs = cycle(0x7f0000000000, 24, PageSize::k2M, kStream);
  for (unsigned p = 0; p < 24; ++p)
    tlb.fill(page(0x7f0000000000 + p * arch::kPage2M, PageSize::k2M));
  std::size_t i = 0;
  for (auto _ : state) {
    const TlbLookup r = tlb.lookup(addrs[i++ & (kStream - 1)], kVmid, kPcid, AccessType::kRead);
    benchmark::DoNotOptimize(r.entry);
  }
  if (tlb.l1().counters().misses != 0) state.SkipWithError("expected L1 hits only");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TlbL1Hit2M);

void BM_TlbL2Hit(benchmark::State& state) {
  // 256 consecutive pages: 4 per L1 set cycled through 16 x 4 ways, so every L1 lookup misses
  // (LRU), and 2 per L2 set, so every L2 lookup hits and refills L1.
  Tlb tlb;
  const auto addrs = cycle(0x7f0000000000, 256, PageSize::k4K, kStream);
  for (unsigned p = 0; p < 256; ++p)
    tlb.fill(page(0x7f0000000000 + p * arch::kPage4K, PageSize::k4K));
  std::size_t i = 0;
  for (auto _ : state) {
    const TlbLookup r = tlb.lookup(addrs[i++ & (kStream - 1)], kVmid, kPcid, AccessType::kRead);
    benchmark::DoNotOptimize(r.entry);
  }
  if (tlb.l2().counters().misses != 0 || tlb.l1().counters().hits != 0) {
    state.SkipWithError("expected L1 misses and L2 hits only");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TlbL2Hit);

void BM_TlbMissAndFill(benchmark::State& state) {
  // Random pages of a 64 GiB region: (almost) every lookup misses both levels and is filled.
  Tlb tlb;
  std::mt19937_64 rng(1);
  std::vector<arch::gva_t> addrs(1 << 16);
  for (auto& a : addrs) a = 0x100000000000 + (rng() & ((1ull << 36) - 1));
  std::size_t i = 0;
  for (auto _ : state) {
    const arch::gva_t va = addrs[i++ & (addrs.size() - 1)];
    const TlbLookup r = tlb.lookup(va, kVmid, kPcid, AccessType::kRead);
    if (!r.hit()) tlb.fill(page(va, PageSize::k4K));
    benchmark::DoNotOptimize(r.entry);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TlbMissAndFill);

void BM_PwcPdHit(benchmark::State& state) {
  PagingStructureCache pwc;
  const auto addrs = cycle(0x7f0000000000, 24, PageSize::k2M, kStream);
  for (unsigned p = 0; p < 24; ++p) {
    const arch::gva_t va = 0x7f0000000000 + p * arch::kPage2M;
    pwc.fill(4, va, kVmid, kPcid, 0x1000, PagingStructureCache::kNoRestriction);
    pwc.fill(3, va, kVmid, kPcid, 0x2000, PagingStructureCache::kNoRestriction);
    pwc.fill(2, va, kVmid, kPcid, 0x3000 + p * arch::kPage4K, PagingStructureCache::kNoRestriction);
  }
  std::size_t i = 0;
  for (auto _ : state) {
    const PwcHit h = pwc.lookup(addrs[i++ & (kStream - 1)], kVmid, kPcid);
    benchmark::DoNotOptimize(h.table);
  }
  if (pwc.counters().misses != 0) state.SkipWithError("expected PD hits only");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PwcPdHit);

void BM_NestedTlbHit4K(benchmark::State& state) {
  NestedTlb ntlb;
  std::vector<arch::gpa_t> addrs(kStream);
  for (std::size_t i = 0; i < kStream; ++i) addrs[i] = 0x40000000 + (i % 24) * arch::kPage4K;
  for (unsigned p = 0; p < 24; ++p) {
    NestedTlbEntry e;
    e.gpa = 0x40000000 + p * arch::kPage4K;
    e.hpa = 0x900000000 + p * arch::kPage4K;
    e.vmid = kVmid;
    e.dirty = true;
    ntlb.fill(e);
  }
  std::size_t i = 0;
  for (auto _ : state) {
    const NestedTlbEntry* e = ntlb.lookup(addrs[i++ & (kStream - 1)], kVmid, AccessType::kRead);
    benchmark::DoNotOptimize(e);
  }
  if (ntlb.counters().misses != 0) state.SkipWithError("expected hits only");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NestedTlbHit4K);

// Cache accesses cycling over a working set of `bytes`, one access per 64-byte line.
void cache_cycle(benchmark::State& state, std::uint64_t bytes, CacheLevelId expect) {
  SharedCache shared;
  CacheHierarchy core(CacheConfig{}, shared);
  const std::uint64_t lines = bytes / 64;
  for (std::uint64_t l = 0; l < lines; ++l) core.access(l * 64, false, Requester::kData);
  core.reset_counters();
  std::uint64_t l = 0;
  for (auto _ : state) {
    const CacheAccess a = core.access(l * 64, false, Requester::kData);
    benchmark::DoNotOptimize(a.latency);
    if (++l == lines) l = 0;
  }
  const auto& served = core.counters().served[0];
  if (served[static_cast<unsigned>(expect)] != static_cast<std::uint64_t>(state.iterations())) {
    state.SkipWithError("the working set was not served by the expected level");
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_CacheL1Hit(benchmark::State& state) { cache_cycle(state, 16 * kKiB, CacheLevelId::kL1D); }
BENCHMARK(BM_CacheL1Hit);
void BM_CacheL2Hit(benchmark::State& state) { cache_cycle(state, 128 * kKiB, CacheLevelId::kL2); }
BENCHMARK(BM_CacheL2Hit);
void BM_CacheLlcHit(benchmark::State& state) { cache_cycle(state, 4 * kMiB, CacheLevelId::kLlc); }
BENCHMARK(BM_CacheLlcHit);

void BM_CacheDramMiss(benchmark::State& state) {
  // Random lines of a 64 GiB region: every level misses and is filled (with evictions).
  SharedCache shared;
  CacheHierarchy core(CacheConfig{}, shared);
  std::mt19937_64 rng(2);
  std::vector<arch::hpa_t> addrs(1 << 16);
  for (auto& a : addrs) a = rng() & ((1ull << 36) - 64);
  for (const auto a : addrs) core.access(a, false, Requester::kData);  // warm: caches full
  std::size_t i = 0;
  std::uint64_t salt = 0;
  for (auto _ : state) {
    const std::size_t k = i++ & (addrs.size() - 1);
    if (k == 0) salt += 1ull << 36;  // a fresh region each round: never a hit
    const CacheAccess a = core.access(addrs[k] + salt, false, Requester::kData);
    benchmark::DoNotOptimize(a.latency);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CacheDramMiss);

// One translated access of a TLB-hit, L1D-hit stream: an L1 TLB lookup, then the data access
// (48 pages, 8 lines each: 24 KiB of data).
void BM_TranslatedAccessL1Hits(benchmark::State& state) {
  Tlb tlb;
  SharedCache shared;
  CacheHierarchy core(CacheConfig{}, shared);
  std::vector<arch::gva_t> addrs(kStream);
  for (std::size_t i = 0; i < kStream; ++i) {
    const std::size_t p = i % 48, j = (i / 48) % 8;  // page p, its j-th line: 6 lines per L1D set
    addrs[i] = 0x7f0000000000 + p * arch::kPage4K + ((p * 8 + j) % 64) * 64;
  }
  for (unsigned p = 0; p < 48; ++p)
    tlb.fill(page(0x7f0000000000 + p * arch::kPage4K, PageSize::k4K));
  std::size_t i = 0;
  for (auto _ : state) {
    const arch::gva_t va = addrs[i++ & (kStream - 1)];
    const TlbLookup r = tlb.lookup(va, kVmid, kPcid, AccessType::kRead);
    const CacheAccess a = core.access(r.entry->translate(va), false, Requester::kData);
    benchmark::DoNotOptimize(a.latency);
  }
  if (tlb.l1().counters().misses != 0 ||
      core.counters().served[0][0] + 384 < static_cast<std::uint64_t>(state.iterations())) {
    state.SkipWithError("expected L1 TLB and L1D hits (after 384 cold misses)");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TranslatedAccessL1Hits);

}  // namespace
}  // namespace mmuvp::tlm
