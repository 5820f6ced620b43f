// Deterministic randomness for the generators: a 64-bit mixing function, keyed hashes of small
// tuples (so that per-vertex / per-key choices need no storage), a tiny sequential generator, and
// a seeded bijection of [0, n) (so that "rank -> key" or "label -> vertex" scrambles are
// reversible and collision free). No std:: distributions: their output is not specified across
// standard libraries, and streams must be reproducible bit for bit.
#pragma once
#include <cstdint>

namespace mmuvp::workloads {

// A bijective 64-bit finalizer (xor-shift / odd-multiply rounds; splitmix64's constants).
constexpr std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

constexpr std::uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ull;

constexpr std::uint64_t hash2(std::uint64_t seed, std::uint64_t a) {
  return mix64(seed ^ mix64(a + kGoldenGamma));
}
constexpr std::uint64_t hash3(std::uint64_t seed, std::uint64_t a, std::uint64_t b) {
  return mix64(hash2(seed, a) ^ mix64(b + 2 * kGoldenGamma));
}

// Uniform double in [0, 1) from the top 53 bits.
constexpr double to_unit(std::uint64_t r) {
  return static_cast<double>(r >> 11) * (1.0 / 9007199254740992.0);
}

// Uniform integer in [0, n) (multiply-high; bias below 2^-64 * n, irrelevant here).
inline std::uint64_t below(std::uint64_t r, std::uint64_t n) {
  return static_cast<std::uint64_t>((static_cast<unsigned __int128>(r) * n) >> 64);
}

// Sequential generator: a Weyl sequence through mix64 (splitmix64).
class SplitMix {
 public:
  explicit SplitMix(std::uint64_t seed = 0) : state_(seed) {}
  std::uint64_t next() { return mix64(state_ += kGoldenGamma); }
  double unit() { return to_unit(next()); }

 private:
  std::uint64_t state_;
};

// A seeded permutation of [0, n). Rounds of (xor key, odd multiply, xor-shift) on the smallest
// power-of-two domain >= n, cycle-walked back into [0, n) (at most 2x the rounds on average).
class Bijection {
 public:
  Bijection() = default;
  Bijection(std::uint64_t n, std::uint64_t seed);

  std::uint64_t size() const { return n_; }
  std::uint64_t forward(std::uint64_t x) const {
    do x = round(x);
    while (x >= n_);
    return x;
  }
  std::uint64_t inverse(std::uint64_t y) const {
    do y = unround(y);
    while (y >= n_);
    return y;
  }

 private:
  static constexpr int kRounds = 2;
  std::uint64_t round(std::uint64_t x) const {
    for (int i = 0; i < kRounds; ++i) {
      x = ((x ^ key_[i]) * mul_[i]) & mask_;
      x ^= x >> shift_;
    }
    return x;
  }
  std::uint64_t unround(std::uint64_t x) const {
    for (int i = kRounds - 1; i >= 0; --i) {
      x ^= x >> shift_;  // self-inverse because 2 * shift_ >= bits
      x = ((x * inv_[i]) & mask_) ^ key_[i];
    }
    return x;
  }

  std::uint64_t n_ = 1;
  std::uint64_t mask_ = 0;
  unsigned shift_ = 1;
  std::uint64_t key_[kRounds] = {};
  std::uint64_t mul_[kRounds] = {1, 1};
  std::uint64_t inv_[kRounds] = {1, 1};
};

}  // namespace mmuvp::workloads
