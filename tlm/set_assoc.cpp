// Geometry validation and set indexing of the generic set-associative array (set_assoc.h).
#include "tlm/set_assoc.h"

#include <fmt/format.h>

#include <stdexcept>

namespace mmuvp::tlm {

void check_geometry(std::string_view what, const Geometry& g, SetRule rule) {
  if (g.entries == 0) return;  // disabled
  if (g.ways == 0) {
    throw std::invalid_argument(
        fmt::format("{}: ways must be at least 1 (entries {})", what, g.entries));
  }
  if (g.entries > kMaxEntries) {
    throw std::invalid_argument(
        fmt::format("{}: entries {} exceed the limit of {}", what, g.entries, kMaxEntries));
  }
  if (g.ways > kMaxWays) {
    throw std::invalid_argument(
        fmt::format("{}: ways {} exceed the limit of {}", what, g.ways, kMaxWays));
  }
  if (g.entries % g.ways != 0) {
    throw std::invalid_argument(
        fmt::format("{}: entries {} are not a multiple of ways {}", what, g.entries, g.ways));
  }
  const std::uint32_t sets = g.entries / g.ways;
  if (rule == SetRule::kPowerOfTwo && (sets & (sets - 1)) != 0) {
    throw std::invalid_argument(
        fmt::format("{}: set count {} (entries {} / ways {}) is not a power of two", what, sets,
                    g.entries, g.ways));
  }
}

SetIndex::SetIndex(std::uint32_t sets) : sets_(sets == 0 ? 1 : sets) {
  pow2_ = (sets_ & (sets_ - 1)) == 0;
  mask_ = sets_ - 1;
  if (!pow2_) {
    multiplier_ = ~0ull / sets_ + 1;  // ceil(2^64 / d): d is not a power of two
    unsigned l = 0;                   // L = ceil(log2 d)
    while ((1ull << l) < sets_) ++l;
    exact_bits_ = 64 - l;
  }
}

}  // namespace mmuvp::tlm
