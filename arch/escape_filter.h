// The escape filter (SPEC §3): a Bloom filter of m bits and k H3 hashes over gPA frame numbers.
// A gPA inside the VMM segment whose frame hits the filter is translated by the EPT walk instead.
// No false negatives; a false positive costs only a walk (the EPT maps the whole segment too).
#pragma once
#include <array>
#include <cstdint>
#include <vector>

namespace mmuvp::arch {

// H3 family: h_i(x) = XOR of row[i][j] over every set bit j of x (truncated to log2 m bits).
// The rows are fixed, derived from kH3Seed by splitmix64; the RTL package is generated from them.
constexpr unsigned kFilterMaxHashes = 8;
constexpr unsigned kFilterKeyBits = 40;  // gPA frame number bits (MAXPHYADDR 52 - 12)
constexpr unsigned kFilterMaxIndexBits = 16;
constexpr std::uint64_t kH3Seed = 0x6d6d75767046696cull;  // "mmuvpFil"
constexpr unsigned kFilterDefaultBits = 256;
constexpr unsigned kFilterDefaultHashes = 4;

constexpr std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

using H3Rows = std::array<std::array<std::uint16_t, kFilterKeyBits>, kFilterMaxHashes>;
constexpr H3Rows make_h3_rows() {
  H3Rows rows{};
  std::uint64_t s = kH3Seed;
  for (auto& row : rows)
    for (auto& v : row) v = static_cast<std::uint16_t>(splitmix64(s));
  return rows;
}
inline constexpr H3Rows kH3Rows = make_h3_rows();

constexpr std::uint32_t h3_hash(unsigned i, std::uint64_t key, unsigned index_bits) {
  std::uint32_t h = 0;
  for (unsigned j = 0; j < kFilterKeyBits; ++j)
    if ((key >> j) & 1u) h ^= kH3Rows[i][j];
  return h & ((1u << index_bits) - 1u);
}

class EscapeFilter {
 public:
  // m: a power of two in [2, 2^16]; k in [1, 8]. Throws std::invalid_argument otherwise.
  explicit EscapeFilter(unsigned m = kFilterDefaultBits, unsigned k = kFilterDefaultHashes);

  void clear();
  void add(std::uint64_t frame);                 // frame = gPA >> 12
  bool maybe_contains(std::uint64_t frame) const;
  bool empty() const { return added_ == 0; }
  unsigned bits() const { return m_; }
  unsigned hashes() const { return k_; }
  unsigned added() const { return added_; }
  const std::vector<std::uint64_t>& words() const { return words_; }

 private:
  unsigned m_, k_, index_bits_;
  unsigned added_ = 0;
  std::vector<std::uint64_t> words_;
};

}  // namespace mmuvp::arch
