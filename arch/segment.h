// Direct segments (Basu et al. ISCA 2013; Gandhi et al. MICRO 2014): BASE <= a < LIMIT maps a to
// a + OFFSET. BASE == LIMIT disables the segment. All three are 4 KiB aligned.
#pragma once
#include <cstdint>
#include <string_view>

#include "arch/address.h"

namespace mmuvp::arch {

enum class SegmentError : std::uint8_t {
  kOk = 0,
  kMisaligned,        // BASE, LIMIT or OFFSET not 4 KiB aligned
  kLimitBelowBase,    // LIMIT < BASE
  kInputOutOfRange,   // [BASE, LIMIT) not inside the input address space
  kOutputOutOfRange,  // [BASE+OFFSET, LIMIT+OFFSET) not inside the physical address space
};
std::string_view to_string(SegmentError e);

struct Segment {
  std::uint64_t base = 0;
  std::uint64_t limit = 0;
  std::uint64_t offset = 0;  // two's complement: output = input + offset (mod 2^64)

  constexpr bool enabled() const { return base != limit; }
  constexpr bool contains(std::uint64_t a) const { return base <= a && a < limit; }
  constexpr std::uint64_t translate(std::uint64_t a) const { return a + offset; }

  // Largest page size s such that the s-aligned block around `a` lies inside the segment and the
  // offset keeps s-alignment, i.e. the segment maps that whole block like one page of size s.
  // `allow_large` false (e.g. an escape filter holds frames) limits it to 4K.
  PageSize block_size(std::uint64_t a, bool allow_large) const;

  // The rules of SPEC §2. `input_limit`: exclusive upper bound of the input space (2^47 for a
  // guest segment over user gVAs, 2^MAXPHYADDR for a VMM segment over gPAs); `output_limit`:
  // 2^MAXPHYADDR.
  SegmentError validate(std::uint64_t input_limit, std::uint64_t output_limit) const;
};

}  // namespace mmuvp::arch
