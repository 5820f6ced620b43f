#include "arch/segment.h"

namespace mmuvp::arch {

std::string_view to_string(SegmentError e) {
  switch (e) {
    case SegmentError::kOk: return "ok";
    case SegmentError::kMisaligned: return "segment register not 4 KiB aligned";
    case SegmentError::kLimitBelowBase: return "segment LIMIT below BASE";
    case SegmentError::kInputOutOfRange: return "segment range outside the input address space";
    case SegmentError::kOutputOutOfRange: return "segment translation leaves the physical address space";
  }
  return "?";
}

PageSize Segment::block_size(std::uint64_t a, bool allow_large) const {
  if (allow_large) {
    for (PageSize s : {PageSize::k1G, PageSize::k2M}) {
      const std::uint64_t bytes = page_bytes(s);
      const std::uint64_t lo = a & ~(bytes - 1);
      if ((offset & (bytes - 1)) == 0 && lo >= base && lo + bytes <= limit) return s;
    }
  }
  return PageSize::k4K;
}

SegmentError Segment::validate(std::uint64_t input_limit, std::uint64_t output_limit) const {
  if (((base | limit | offset) & (kPage4K - 1)) != 0) return SegmentError::kMisaligned;
  if (limit < base) return SegmentError::kLimitBelowBase;
  if (!enabled()) return SegmentError::kOk;
  if (limit > input_limit) return SegmentError::kInputOutOfRange;
  // Output range [base+offset, limit+offset) must not wrap and must stay below output_limit.
  const std::uint64_t lo = base + offset;
  const std::uint64_t hi = limit + offset;  // exclusive
  if (lo >= output_limit || hi > output_limit || hi <= lo) return SegmentError::kOutputOutOfRange;
  return SegmentError::kOk;
}

}  // namespace mmuvp::arch
