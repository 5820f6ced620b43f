#include "arch/escape_filter.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace mmuvp::arch {

EscapeFilter::EscapeFilter(unsigned m, unsigned k) : m_(m), k_(k), index_bits_(0) {
  if (m < 2 || m > (1u << kFilterMaxIndexBits) || (m & (m - 1)) != 0)
    throw std::invalid_argument("escape filter size m=" + std::to_string(m) +
                                " must be a power of two in [2, 65536]");
  if (k < 1 || k > kFilterMaxHashes)
    throw std::invalid_argument("escape filter hash count k=" + std::to_string(k) +
                                " must be in [1, 8]");
  while ((1u << index_bits_) < m) ++index_bits_;
  words_.assign((m + 63) / 64, 0);
}

void EscapeFilter::clear() {
  std::fill(words_.begin(), words_.end(), 0);
  added_ = 0;
}

void EscapeFilter::add(std::uint64_t frame) {
  for (unsigned i = 0; i < k_; ++i) {
    const std::uint32_t h = h3_hash(i, frame, index_bits_);
    words_[h >> 6] |= 1ull << (h & 63);
  }
  ++added_;
}

bool EscapeFilter::maybe_contains(std::uint64_t frame) const {
  if (added_ == 0) return false;
  for (unsigned i = 0; i < k_; ++i) {
    const std::uint32_t h = h3_hash(i, frame, index_bits_);
    if (!((words_[h >> 6] >> (h & 63)) & 1u)) return false;
  }
  return true;
}

}  // namespace mmuvp::arch
