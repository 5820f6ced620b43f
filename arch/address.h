// Address spaces, page sizes and the bit helpers every layer shares.
//
// gVA: guest virtual (48-bit canonical).  gPA: guest physical.  hPA: host physical.
// In the native modes gVA is the virtual address and gPA == hPA is the physical one.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace mmuvp::arch {

using gva_t = std::uint64_t;  // guest virtual address
using gpa_t = std::uint64_t;  // guest physical address
using hpa_t = std::uint64_t;  // host physical address

constexpr unsigned kPageShift = 12;
constexpr std::uint64_t kPage4K = 1ull << 12;
constexpr std::uint64_t kPage2M = 1ull << 21;
constexpr std::uint64_t kPage1G = 1ull << 30;
constexpr unsigned kDefaultMaxPhyAddr = 52;
constexpr unsigned kVirtualAddressBits = 48;

enum class PageSize : std::uint8_t { k4K = 0, k2M = 1, k1G = 2 };

constexpr std::uint64_t page_bytes(PageSize s) {
  return s == PageSize::k4K ? kPage4K : s == PageSize::k2M ? kPage2M : kPage1G;
}
constexpr unsigned page_shift(PageSize s) {
  return s == PageSize::k4K ? 12u : s == PageSize::k2M ? 21u : 30u;
}
constexpr PageSize min_size(PageSize a, PageSize b) { return a < b ? a : b; }
std::string_view to_string(PageSize s);  // "4K", "2M", "1G"
std::optional<PageSize> parse_page_size(std::string_view text);  // 4k|2m|1g, any case

// Mask with bits [hi:lo] set.
constexpr std::uint64_t bit_range(unsigned hi, unsigned lo) {
  return ((hi >= 63) ? ~0ull : ((1ull << (hi + 1)) - 1)) & ~((1ull << lo) - 1);
}
constexpr std::uint64_t bits(std::uint64_t v, unsigned hi, unsigned lo) {
  return (v & bit_range(hi, lo)) >> lo;
}
constexpr bool bit(std::uint64_t v, unsigned n) { return (v >> n) & 1u; }

// x86-64 canonical form for 48-bit virtual addresses: bits 63:47 all equal.
constexpr bool is_canonical(gva_t va) {
  const std::uint64_t top = va >> (kVirtualAddressBits - 1);
  return top == 0 || top == (~0ull >> (kVirtualAddressBits - 1));
}

// Bit 47 copied into bits 63:48: the canonical form of a 48-bit address.
constexpr gva_t sign_extend(gva_t va) {
  constexpr std::uint64_t kUpper = bit_range(63, kVirtualAddressBits);
  return bit(va, kVirtualAddressBits - 1) ? (va | kUpper) : (va & ~kUpper);
}

constexpr bool is_aligned(std::uint64_t a, std::uint64_t bytes) { return (a & (bytes - 1)) == 0; }

// Bytes of address space one entry of a level-`level` table (4 = PML4 .. 1 = PT) maps.
constexpr std::uint64_t entry_span(unsigned level) { return 1ull << (kPageShift + 9 * (level - 1)); }

// Index of the 9-bit table slot that level `level` (4 = PML4 .. 1 = PT) uses for `addr`.
constexpr unsigned table_index(std::uint64_t addr, unsigned level) {
  return static_cast<unsigned>((addr >> (kPageShift + 9 * (level - 1))) & 0x1ff);
}

// Bits [maxphyaddr-1:12]: the frame-address field of a paging entry.
constexpr std::uint64_t frame_mask(unsigned maxphyaddr) { return bit_range(maxphyaddr - 1, 12); }

// Physical address space size, 2^maxphyaddr.
constexpr std::uint64_t phys_limit(unsigned maxphyaddr) { return 1ull << maxphyaddr; }

}  // namespace mmuvp::arch
