// kv: the YCSB zipfian generator's skew, the memcached item layout, and the exact access sequence
// of GET and SET requests.
#include "workloads/kv.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "tests/workloads/test_util.h"
#include "workloads/random.h"

namespace mmuvp::workloads {
namespace {

using arch::AccessType;
using testing::collect;

// The test's own generalised harmonic number.
double harmonic(std::uint64_t m, double theta) {
  double s = 0;
  for (std::uint64_t i = m; i >= 1; --i) s += std::pow(static_cast<double>(i), -theta);
  return s;
}

TEST(Zipf, ZetaMatchesDirectSumAndTailApproximation) {
  EXPECT_NEAR(Zipfian::zeta(1000, 0.99), harmonic(1000, 0.99), 1e-12);
  // Beyond 2^20 terms the tail is an integral: compare with the direct sum.
  const std::uint64_t n = (1u << 20) + 300'000;
  EXPECT_NEAR(Zipfian::zeta(n, 0.99) / harmonic(n, 0.99), 1.0, 1e-12);
}

TEST(Zipf, TopRanksGetTheirShare) {
  const std::uint64_t n = 100'000;
  const double theta = 0.99;
  Zipfian z(n, theta);
  SplitMix rng(42);
  const std::uint64_t samples = 2'000'000;
  std::uint64_t top1 = 0, rank0 = 0, rank1 = 0, top_tenth = 0;
  for (std::uint64_t i = 0; i < samples; ++i) {
    const std::uint64_t r = z.rank(rng.unit());
    ASSERT_LT(r, n);
    top1 += r < n / 100;
    top_tenth += r < n / 1000;
    rank0 += r == 0;
    rank1 += r == 1;
  }
  const double zn = harmonic(n, theta);
  const auto share = [&](std::uint64_t c) { return static_cast<double>(c) / samples; };
  // Ranks 0 and 1 are exact: 1/zeta(n) and 2^-theta/zeta(n) (5 sigma).
  EXPECT_NEAR(share(rank0), 1 / zn, 5 * std::sqrt(1 / zn / samples));
  EXPECT_NEAR(share(rank1), std::pow(0.5, theta) / zn, 5 * std::sqrt(0.5 / zn / samples));
  // The top 1% of keys: YCSB's closed form P(r < m) = 1 - (1 - (m/n)^(1-theta)) / eta, within
  // sampling error, and the exact Zipf share zeta(m)/zeta(n) within the approximation's few
  // percent.
  const double eta = (1 - std::pow(2.0 / n, 1 - theta)) / (1 - harmonic(2, theta) / zn);
  for (auto [m, count] : {std::pair{n / 100, top1}, std::pair{n / 1000, top_tenth}}) {
    const double closed = 1 - (1 - std::pow(static_cast<double>(m) / n, 1 - theta)) / eta;
    EXPECT_NEAR(share(count), closed, 0.002) << "m=" << m;
    EXPECT_NEAR(share(count) / (harmonic(m, theta) / zn), 1.0, 0.04) << "m=" << m;
  }
  EXPECT_GT(share(top1), 0.55);  // heavily skewed: 1% of keys take over half the requests
}

TEST(Zipf, RejectsBadParameters) {
  EXPECT_THROW(Zipfian(0, 0.99), std::invalid_argument);
  EXPECT_THROW(Zipfian(10, 1.0), std::invalid_argument);
  EXPECT_THROW(Zipfian(10, 0.0), std::invalid_argument);
}

WorkloadConfig kv_config(std::uint64_t accesses = 300'000) {
  WorkloadConfig cfg;
  cfg.footprint = 8 * kMiB;
  cfg.accesses = accesses;
  cfg.seed = 5;
  return cfg;
}

TEST(Kv, ItemsDisjointInsideSlabPages) {
  KvWorkload w(kv_config());
  const auto regions = w.regions();
  const Region* slabs = nullptr;
  for (const Region& r : regions) {
    if (r.label == "kv.slabs") slabs = &r;
  }
  ASSERT_NE(slabs, nullptr);
  std::vector<std::pair<arch::gva_t, arch::gva_t>> items;
  for (std::uint64_t k = 0; k < w.items(); ++k) {
    const std::uint64_t value = w.value_bytes(k);
    ASSERT_GE(value, KvWorkload::kMinValue);
    ASSERT_LE(value, KvWorkload::kMaxValue);
    const arch::gva_t b = w.item_va(k);
    const arch::gva_t e = b + KvWorkload::kDataOffset + value + KvWorkload::kDataTrailer;
    ASSERT_TRUE(slabs->contains(b, e - b));
    ASSERT_EQ(b / KvWorkload::kSlabPageBytes, (e - 1) / KvWorkload::kSlabPageBytes)
        << "an item stays inside its slab page";
    items.emplace_back(b, e);
  }
  std::sort(items.begin(), items.end());
  for (std::size_t i = 1; i < items.size(); ++i) ASSERT_LE(items[i - 1].second, items[i].first);
  // memcached's growth: the table is the smallest power of two >= 2^16 with N <= 1.5 buckets.
  EXPECT_LE(w.items(), w.buckets() + w.buckets() / 2);
  EXPECT_TRUE(w.buckets() == 65536 || w.items() > w.buckets() / 2 + w.buckets() / 4);
}

TEST(Kv, SlabClassesInterleaveThroughTheArena) {
  KvWorkload w(kv_config());
  // Chunk size of each arena page, from the items it holds.
  std::map<std::uint64_t, std::uint64_t> page_class;
  for (std::uint64_t k = 0; k < w.items(); ++k) {
    const std::uint64_t page = w.item_va(k) / KvWorkload::kSlabPageBytes;
    const std::uint64_t size = KvWorkload::kDataOffset + w.value_bytes(k) + 2;
    page_class[page] = std::max(page_class[page], size);
  }
  std::uint64_t same = 0, pairs = 0;
  std::uint64_t prev_page = 0, prev_size = 0;
  for (const auto& [page, size] : page_class) {
    if (pairs++ > 0 && page == prev_page + 1) same += (size - 1) / 64 == (prev_size - 1) / 64;
    prev_page = page;
    prev_size = size;
  }
  EXPECT_LT(same, pairs / 2);
}

// Walks a kv stream request by request, checking each against the model's layout.
struct Walk {
  std::uint64_t gets = 0, sets = 0;
  std::unordered_map<std::uint64_t, std::uint64_t> gets_per_key;
};

Walk walk_requests(const KvWorkload& w, const std::vector<MemAccess>& s) {
  std::unordered_map<arch::gva_t, std::uint64_t> key_at;
  for (std::uint64_t k = 0; k < w.items(); ++k) key_at[w.item_va(k)] = k;
  const Region conn = [&] {
    for (const Region& r : w.regions()) {
      if (r.label == "kv.conn.0") return r;
    }
    return Region{};
  }();
  Walk out;
  std::size_t i = 0;
  auto expect_span = [&](arch::gva_t va, std::uint64_t bytes, AccessType type) {
    std::uint64_t got = 0;
    while (got < bytes) {
      EXPECT_EQ(s[i].va, va + got) << "at " << i;
      EXPECT_EQ(s[i].type, type) << "at " << i;
      got += s[i++].size;
    }
    EXPECT_EQ(got, bytes);
  };
  auto expect_lookup = [&](std::uint64_t key) {
    EXPECT_EQ(s[i++], (MemAccess{w.bucket_va(key), 8, AccessType::kRead, 0, 0}));
    if (auto other = w.chain_predecessor(key)) {
      const arch::gva_t it = w.item_va(*other);
      EXPECT_EQ(s[i++], (MemAccess{it + KvWorkload::kNkeyOffset, 1, AccessType::kRead, 0, 0}));
      expect_span(it + KvWorkload::kKeyOffset, KvWorkload::kKeyBytes, AccessType::kRead);
      EXPECT_EQ(s[i++], (MemAccess{it + KvWorkload::kHNextOffset, 8, AccessType::kRead, 0, 0}));
    }
    const arch::gva_t it = w.item_va(key);
    EXPECT_EQ(s[i++], (MemAccess{it + KvWorkload::kNkeyOffset, 1, AccessType::kRead, 0, 0}));
    expect_span(it + KvWorkload::kKeyOffset, KvWorkload::kKeyBytes, AccessType::kRead);
  };
  // The stream may end inside a request: stop at the last complete one (< 40 accesses each).
  while (i + 40 < s.size() && !::testing::Test::HasFailure()) {
    EXPECT_EQ(s[i].insns, KvWorkload::kInsnsPerRequest);
    expect_span(conn.va + 4, KvWorkload::kKeyBytes, AccessType::kRead);
    if (s[i].write()) {  // SET: the header write comes first
      const auto found = key_at.find(s[i].va);
      EXPECT_NE(found, key_at.end());
      if (found == key_at.end()) break;
      const std::uint64_t key = found->second;
      const arch::gva_t it = w.item_va(key);
      expect_span(it, KvWorkload::kHeaderBytes, AccessType::kWrite);
      expect_span(it + KvWorkload::kKeyOffset, KvWorkload::kKeyBytes, AccessType::kWrite);
      expect_span(it + KvWorkload::kDataOffset, w.value_bytes(key) + 2, AccessType::kWrite);
      expect_lookup(key);
      EXPECT_EQ(s[i++], (MemAccess{w.bucket_va(key), 8, AccessType::kWrite, 0, 0}));
      EXPECT_EQ(s[i++], (MemAccess{it + KvWorkload::kHNextOffset, 8, AccessType::kWrite, 0, 0}));
      expect_span(conn.va + 64 * 1024, 8, AccessType::kWrite);
      ++out.sets;
    } else {  // GET: the key is the item whose refcount is written after the lookup
      std::size_t j = i;
      while (j < s.size() && !(s[j].write() && s[j].size == 2)) ++j;
      const auto found = key_at.find(s[j].va - KvWorkload::kRefcountOffset);
      EXPECT_NE(found, key_at.end());
      if (found == key_at.end()) break;
      const std::uint64_t key = found->second;
      const arch::gva_t it = w.item_va(key);
      expect_lookup(key);
      EXPECT_EQ(s[i++], (MemAccess{it + KvWorkload::kRefcountOffset, 2, AccessType::kWrite, 0, 0}));
      expect_span(conn.va + 64 * 1024, 48, AccessType::kWrite);
      expect_span(it + KvWorkload::kDataOffset, w.value_bytes(key) + 2, AccessType::kRead);
      EXPECT_EQ(s[i++], (MemAccess{it + KvWorkload::kRefcountOffset, 2, AccessType::kWrite, 0, 0}));
      ++out.gets;
      ++out.gets_per_key[key];
    }
  }
  return out;
}

TEST(Kv, RequestsFollowTheMemcachedPathsAndSkew) {
  const WorkloadConfig cfg = kv_config(2'000'000);
  KvWorkload w(cfg);
  const auto s = collect(w, cfg.accesses);
  const Walk walk = walk_requests(w, s);
  ASSERT_FALSE(::testing::Test::HasFailure());
  const double requests = static_cast<double>(walk.gets + walk.sets);
  ASSERT_GT(requests, 50'000);
  const double set_share = walk.sets / requests;
  EXPECT_NEAR(set_share, cfg.kv_set_fraction, 4 * std::sqrt(0.05 * 0.95 / requests));
  // Skew seen through the item addresses: the 1% most requested items take the share YCSB's
  // generator gives the top 1% of ranks.
  std::vector<std::uint64_t> counts;
  for (const auto& kv : walk.gets_per_key) counts.push_back(kv.second);
  std::sort(counts.rbegin(), counts.rend());
  const std::uint64_t top = w.items() / 100;
  std::uint64_t top_gets = 0;
  for (std::uint64_t i = 0; i < top && i < counts.size(); ++i) top_gets += counts[i];
  const Zipfian& z = w.zipf();
  const double zn = z.zetan();
  const double eta =
      (1 - std::pow(2.0 / z.items(), 1 - z.theta())) / (1 - harmonic(2, z.theta()) / zn);
  const double expected =
      1 - (1 - std::pow(static_cast<double>(top) / z.items(), 1 - z.theta())) / eta;
  EXPECT_NEAR(top_gets / static_cast<double>(walk.gets), expected, 0.02);
  // Popular keys are scrambled over the key space (not clustered in low keys).
  std::uint64_t low_keys_hot = 0;
  for (std::uint64_t r = 0; r < 100; ++r) low_keys_hot += w.key_of_rank(r) < w.items() / 10;
  EXPECT_LT(low_keys_hot, 30u);
}

TEST(Kv, SetFractionValidated) {
  WorkloadConfig cfg = kv_config();
  cfg.kv_set_fraction = 1.5;
  EXPECT_THROW(KvWorkload{cfg}, std::invalid_argument);
  cfg.kv_set_fraction = 1.0;
  KvWorkload all_sets(cfg);
  const auto s = collect(all_sets, 100);
  EXPECT_TRUE(s[1].type == AccessType::kWrite || s[2].type == AccessType::kWrite);
}

}  // namespace
}  // namespace mmuvp::workloads
