// Bijection: key schedule and modular inverses.
#include "workloads/random.h"

namespace mmuvp::workloads {
namespace {

// Inverse of an odd number modulo 2^64 (Newton's iteration doubles the correct bits each step).
std::uint64_t odd_inverse(std::uint64_t m) {
  std::uint64_t inv = m;  // correct to 3 bits for odd m
  for (int i = 0; i < 6; ++i) inv *= 2 - m * inv;
  return inv;
}

}  // namespace

Bijection::Bijection(std::uint64_t n, std::uint64_t seed) : n_(n == 0 ? 1 : n) {
  unsigned bits = 1;
  while (bits < 64 && (1ull << bits) < n_) ++bits;
  mask_ = bits == 64 ? ~0ull : (1ull << bits) - 1;
  shift_ = (bits + 1) / 2;
  SplitMix rng(seed ^ 0x5bd1e9955bd1e995ull);
  for (int i = 0; i < kRounds; ++i) {
    key_[i] = rng.next() & mask_;
    mul_[i] = rng.next() | 1;  // odd: invertible modulo any power of two
    inv_[i] = odd_inverse(mul_[i]);
  }
}

}  // namespace mmuvp::workloads
