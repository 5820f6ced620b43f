// kv: memcached-like address stream.
#include "workloads/kv.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace mmuvp::workloads {
namespace {

constexpr std::uint64_t kBucketBytes = 8;
constexpr unsigned kMinHashPower = 16;     // memcached's initial hash power
constexpr std::uint64_t kFirstChunk = 96;  // sizeof(item) + 48 bytes of minimum payload
constexpr double kGrowthFactor = 1.25;     // memcached -f
constexpr std::uint64_t kChunkAlign = 8;
constexpr std::uint64_t kMinItems = 1024;
constexpr std::uint64_t kConnBufferOffset = 64 * 1024;  // output buffer after the input buffer
constexpr std::uint64_t kRequestKeyOffset = 4;          // "get <key>" / "set <key> ..."
constexpr std::uint64_t kValueLineBytes = 48;           // "VALUE <key> <flags> <bytes>\r\n"
constexpr std::uint64_t kStoredBytes = 8;               // "STORED\r\n"
// Salts separating the per-key hash families.
constexpr std::uint64_t kSaltBucket = 0x6b76'6275'636bull;
constexpr std::uint64_t kSaltChain = 0x6b76'6368'6169ull;
constexpr std::uint64_t kSaltOther = 0x6b76'6f74'6872ull;
constexpr std::uint64_t kSaltSize = 0x6b76'7369'7a65ull;

std::uint64_t buckets_for(std::uint64_t items) {
  std::uint64_t b = 1ull << kMinHashPower;
  while (items > b + b / 2) b *= 2;
  return b;
}

}  // namespace

KvWorkload::KvWorkload(const WorkloadConfig& cfg)
    : BatchedWorkload(cfg.accesses), cfg_(cfg), layout_(cfg.heap_base, cfg.private_in_heap) {
  validate(cfg);
  if (!(cfg.kv_set_fraction >= 0.0 && cfg.kv_set_fraction <= 1.0)) {
    throw std::invalid_argument(
        fmt::format("kv: kv_set_fraction {} outside [0, 1]", cfg.kv_set_fraction));
  }
  // Slab classes that hold items of 64..1024-byte values, weighted for log-uniform item sizes.
  const std::uint64_t min_item = kDataOffset + kMinValue + kDataTrailer;
  const std::uint64_t max_item = kDataOffset + kMaxValue + kDataTrailer;
  std::vector<double> weight;
  double total_weight = 0, mean_chunk = 0;
  for (std::uint64_t prev = 0, chunk = kFirstChunk; prev < max_item;) {
    if (chunk >= min_item) {
      const std::uint64_t lo = std::max(prev + 1, min_item), hi = std::min(chunk, max_item);
      classes_.push_back(SlabClass{chunk, lo, hi, 0, 0, kSlabPageBytes / chunk, 0});
      weight.push_back(std::log((static_cast<double>(hi) + 1) / static_cast<double>(lo)));
      total_weight += weight.back();
      mean_chunk += weight.back() * static_cast<double>(chunk);
    }
    prev = chunk;
    chunk = round_up(static_cast<std::uint64_t>(static_cast<double>(chunk) * kGrowthFactor),
                     kChunkAlign);
  }
  mean_chunk /= total_weight;
  // Items such that buckets + chunks fill the footprint.
  n_ = static_cast<std::uint64_t>(static_cast<double>(cfg.footprint) / mean_chunk);
  for (int i = 0; i < 3; ++i) {
    const std::uint64_t table_bytes = buckets_for(n_) * kBucketBytes;
    n_ = cfg.footprint > table_bytes
             ? static_cast<std::uint64_t>(static_cast<double>(cfg.footprint - table_bytes) /
                                          mean_chunk)
             : 0;
  }
  if (n_ < kMinItems) {
    throw std::invalid_argument(fmt::format("kv: footprint {} holds {} items, fewer than {}",
                                            format_bytes(cfg.footprint), n_, kMinItems));
  }
  buckets_ = buckets_for(n_);
  chain_p_ = 1.0 - std::exp(-0.5 * static_cast<double>(n_) / static_cast<double>(buckets_));
  std::uint64_t key = 0;
  for (std::size_t c = 0; c < classes_.size(); ++c) {
    SlabClass& sc = classes_[c];
    sc.first_key = key;
    sc.keys = c + 1 == classes_.size()
                  ? n_ - key
                  : static_cast<std::uint64_t>(static_cast<double>(n_) * weight[c] / total_weight);
    sc.first_page = pages_;
    pages_ += (sc.keys + sc.per_page - 1) / sc.per_page;
    key += sc.keys;
  }
  zipf_ = Zipfian(n_, cfg.kv_zipf_theta);
  scramble_ = Bijection(n_, hash2(cfg.seed, 0x7363'7261'6d62ull));
  page_order_ = Bijection(pages_, hash2(cfg.seed, 0x7061'6765'73ull));
  table_ = layout_.add_heap("kv.hashtable", buckets_ * kBucketBytes);
  arena_ = layout_.add_heap("kv.slabs", pages_ * kSlabPageBytes);
  rbuf_ = layout_.add_per_thread("kv.conn", 2 * kConnBufferOffset, cfg.threads, cfg.thread);
  wbuf_ = rbuf_ + kConnBufferOffset;
  const double threshold = std::ldexp(cfg.kv_set_fraction, 64);
  set_threshold_ = threshold >= std::ldexp(1.0, 64) ? std::numeric_limits<std::uint64_t>::max()
                                                    : static_cast<std::uint64_t>(threshold);
  restart();
}

void KvWorkload::restart() { rng_ = SplitMix(hash2(cfg_.seed, 0x6b76'7468'7264ull + cfg_.thread)); }

const KvWorkload::SlabClass& KvWorkload::class_of(std::uint64_t key) const {
  std::size_t c = 0;
  while (c + 1 < classes_.size() && key >= classes_[c + 1].first_key) ++c;
  return classes_[c];
}

arch::gva_t KvWorkload::item_va(std::uint64_t key) const {
  const SlabClass& sc = class_of(key);
  const std::uint64_t idx = key - sc.first_key;
  const std::uint64_t page = page_order_.forward(sc.first_page + idx / sc.per_page);
  return arena_ + page * kSlabPageBytes + (idx % sc.per_page) * sc.chunk;
}

std::uint64_t KvWorkload::value_bytes(std::uint64_t key) const {
  const SlabClass& sc = class_of(key);
  const std::uint64_t item =
      sc.min_item + below(hash2(cfg_.seed ^ kSaltSize, key), sc.max_item - sc.min_item + 1);
  return item - kDataOffset - kDataTrailer;
}

arch::gva_t KvWorkload::bucket_va(std::uint64_t key) const {
  return table_ + (hash2(cfg_.seed ^ kSaltBucket, key) & (buckets_ - 1)) * kBucketBytes;
}

std::optional<std::uint64_t> KvWorkload::chain_predecessor(std::uint64_t key) const {
  if (to_unit(hash2(cfg_.seed ^ kSaltChain, key)) >= chain_p_) return std::nullopt;
  const std::uint64_t bucket = hash2(cfg_.seed ^ kSaltBucket, key) & (buckets_ - 1);
  std::uint64_t other = below(hash2(cfg_.seed ^ kSaltOther, bucket), n_);
  if (other == key) other = other + 1 == n_ ? 0 : other + 1;
  return other;
}

// assoc_find: bucket, then the chain up to the key.
MemAccess* KvWorkload::lookup(MemAccess* p, std::uint64_t key) const {
  using arch::AccessType;
  p = emit(p, bucket_va(key), kBucketBytes, AccessType::kRead);
  if (const auto other = chain_predecessor(key)) {
    const arch::gva_t it = item_va(*other);
    p = emit(p, it + kNkeyOffset, 1, AccessType::kRead);
    p = emit_span(p, it + kKeyOffset, kKeyBytes, AccessType::kRead);
    p = emit(p, it + kHNextOffset, 8, AccessType::kRead);
  }
  const arch::gva_t it = item_va(key);
  p = emit(p, it + kNkeyOffset, 1, AccessType::kRead);
  return emit_span(p, it + kKeyOffset, kKeyBytes, AccessType::kRead);
}

std::size_t KvWorkload::step(MemAccess* out) {
  using arch::AccessType;
  const std::uint64_t key = key_of_rank(zipf_.rank(rng_.unit()));
  const bool set = rng_.next() < set_threshold_;
  const arch::gva_t it = item_va(key);
  const std::uint64_t data = value_bytes(key) + kDataTrailer;
  MemAccess* p =
      emit_span(out, rbuf_ + kRequestKeyOffset, kKeyBytes, AccessType::kRead, kInsnsPerRequest);
  if (set) {
    p = emit_span(p, it, kHeaderBytes, AccessType::kWrite);
    p = emit_span(p, it + kKeyOffset, kKeyBytes, AccessType::kWrite);
    p = emit_span(p, it + kDataOffset, data, AccessType::kWrite);
    p = lookup(p, key);
    p = emit(p, bucket_va(key), kBucketBytes, AccessType::kWrite);
    p = emit(p, it + kHNextOffset, 8, AccessType::kWrite);
    p = emit_span(p, wbuf_, kStoredBytes, AccessType::kWrite);
  } else {
    p = lookup(p, key);
    p = emit(p, it + kRefcountOffset, 2, AccessType::kWrite);
    p = emit_span(p, wbuf_, kValueLineBytes, AccessType::kWrite);
    p = emit_span(p, it + kDataOffset, data, AccessType::kRead);
    p = emit(p, it + kRefcountOffset, 2, AccessType::kWrite);
  }
  return static_cast<std::size_t>(p - out);
}

std::string KvWorkload::describe() const {
  return fmt::format(
      "kv: {} items in {} slab pages over {} classes, {} buckets, zipf {} over "
      "keys, {:.0f}% SET (thread {}/{})",
      n_, pages_, classes_.size(), buckets_, cfg_.kv_zipf_theta, 100 * cfg_.kv_set_fraction,
      cfg_.thread, cfg_.threads);
}

}  // namespace mmuvp::workloads
