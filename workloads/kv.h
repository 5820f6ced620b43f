// kv: memcached-like GET/SET traffic over a hash table and slab-allocated items.
//
// N items (sized from the footprint) live in 1 MiB slab pages; slab classes grow by 1.25 from 96
// bytes (memcached's defaults) and each class holds the items whose size falls in it. Item sizes
// are log-uniform over 64..1024-byte values, keys are assigned to classes in contiguous key ranges
// and slab pages of all classes are interleaved through the arena by a seeded permutation (pages
// are allocated as items arrive). The hash table has 2^h 8-byte buckets, 2^h the smallest power
// of two >= 2^16 with N <= 1.5 * 2^h (memcached grows at that load); a key's bucket is a hash of
// the key, and with probability 1 - exp(-load/2) one other item precedes it on the chain.
// Requests: keys by YCSB zipfian rank (theta 0.99) scrambled over the key space; a SET with
// probability kv_set_fraction. Item layout: 56-byte header with CAS (h_next at 16, refcount at 36,
// nkey at 41), key (32 bytes) at 56, data at 96 (value + "\r\n").
//   GET: read the key from the connection buffer; read the bucket; per chain item before the
//        target read nkey, compare the key, read h_next; at the target read nkey and compare the
//        key; refcount++ (write); write "VALUE ..." to the output buffer; read the data lines
//        (sendmsg copies them); refcount-- (write).
//   SET: read the key; write the header, the key and the data lines (read() fills the item); walk
//        the chain as a GET does; link: write the bucket and h_next; write "STORED" to the output.
// A SET rewrites the key's own chunk (the model keeps one chunk per key).
// Threads: each thread serves its own request stream (seeded by thread) over the shared table,
// with its own connection buffers.
#pragma once
#include <cstdint>
#include <vector>

#include "workloads/batch.h"
#include "workloads/config.h"
#include "workloads/layout.h"
#include "workloads/random.h"
#include "workloads/zipf.h"

namespace mmuvp::workloads {

class KvWorkload final : public BatchedWorkload<KvWorkload, 40> {
 public:
  explicit KvWorkload(const WorkloadConfig& cfg);

  std::string name() const override { return "kv"; }
  std::string describe() const override;
  std::vector<Region> regions() const override { return layout_.regions(); }

  // Item layout.
  static constexpr std::uint64_t kHNextOffset = 16;
  static constexpr std::uint64_t kRefcountOffset = 36;
  static constexpr std::uint64_t kNkeyOffset = 41;
  static constexpr std::uint64_t kHeaderBytes = 56;
  static constexpr std::uint64_t kKeyOffset = 56;
  static constexpr std::uint64_t kKeyBytes = 32;
  static constexpr std::uint64_t kDataOffset = 96;
  static constexpr std::uint64_t kDataTrailer = 2;  // "\r\n"
  static constexpr std::uint64_t kMinValue = 64, kMaxValue = 1024;
  static constexpr std::uint64_t kSlabPageBytes = 1ull << 20;
  // User-level instructions per request besides the modelled accesses (protocol parsing, key
  // hashing, the connection state machine): an estimate, charged to the request's first access.
  static constexpr std::uint16_t kInsnsPerRequest = 2000;

  std::uint64_t items() const { return n_; }
  std::uint64_t buckets() const { return buckets_; }
  const Zipfian& zipf() const { return zipf_; }
  std::uint64_t key_of_rank(std::uint64_t rank) const { return scramble_.forward(rank); }
  arch::gva_t item_va(std::uint64_t key) const;
  std::uint64_t value_bytes(std::uint64_t key) const;
  arch::gva_t bucket_va(std::uint64_t key) const;
  // The other item on key's chain that a lookup passes first, if any.
  std::optional<std::uint64_t> chain_predecessor(std::uint64_t key) const;

  std::size_t step(MemAccess* out);
  void restart();

 private:
  struct SlabClass {
    std::uint64_t chunk;  // bytes per chunk
    std::uint64_t min_item, max_item;
    std::uint64_t first_key, keys;
    std::uint64_t per_page, first_page;
  };
  const SlabClass& class_of(std::uint64_t key) const;
  MemAccess* lookup(MemAccess* p, std::uint64_t key) const;

  WorkloadConfig cfg_;
  Layout layout_;
  Zipfian zipf_;
  std::uint64_t n_ = 0;
  std::uint64_t buckets_ = 0;
  double chain_p_ = 0;  // probability that one item precedes the key on its chain
  std::vector<SlabClass> classes_;
  std::uint64_t pages_ = 0;
  Bijection scramble_;    // zipf rank -> key
  Bijection page_order_;  // (class, page) slot -> arena page
  arch::gva_t table_ = 0, arena_ = 0, rbuf_ = 0, wbuf_ = 0;
  SplitMix rng_;
  std::uint64_t set_threshold_ = 0;  // a request is a SET when a 64-bit draw is below this
};

}  // namespace mmuvp::workloads
