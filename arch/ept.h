// Intel EPT entries and the EPT pointer (Intel SDM Vol. 3C §29.3 / §25.6.11), as named bit-fields.
#pragma once
#include <cstdint>

#include "arch/address.h"
#include "arch/mode.h"

namespace mmuvp::arch::ept {

constexpr std::uint64_t kR = 1ull << 0;
constexpr std::uint64_t kW = 1ull << 1;
constexpr std::uint64_t kX = 1ull << 2;
constexpr std::uint64_t kRWX = kR | kW | kX;
constexpr std::uint64_t kIgnorePat = 1ull << 6;  // leaf
constexpr std::uint64_t kLarge = 1ull << 7;      // 1G in a PDPTE, 2M in a PDE; reserved in a PML4E
constexpr std::uint64_t kA = 1ull << 8;
constexpr std::uint64_t kD = 1ull << 9;          // leaf
constexpr unsigned kMemTypeShift = 3;     // bits 5:3 of a leaf
constexpr std::uint64_t kMemTypeWB = 6;
constexpr std::uint64_t kMemTypeUC = 0;

constexpr bool present(std::uint64_t e) { return (e & kRWX) != 0; }
constexpr bool is_leaf(std::uint64_t e, unsigned level) {
  return level == 1 || ((level == 2 || level == 3) && (e & kLarge));
}
constexpr PageSize leaf_size(unsigned level) {
  return level == 3 ? PageSize::k1G : level == 2 ? PageSize::k2M : PageSize::k4K;
}

// EPT misconfiguration (SDM §29.3.3.1) of a present entry: W without R, a reserved memory type on a
// leaf, or a reserved bit set. Execute-only (X without R) is supported and not a misconfiguration.
constexpr bool misconfigured(std::uint64_t e, unsigned level, unsigned maxphyaddr) {
  if ((e & kW) && !(e & kR)) return true;
  std::uint64_t r = (maxphyaddr < 52) ? bit_range(51, maxphyaddr) : 0;
  if (level == 4) {
    r |= bit_range(7, 3);
  } else if (is_leaf(e, level)) {
    const std::uint64_t mt = bits(e, 5, 3);
    if (mt == 2 || mt == 3 || mt == 7) return true;
    if (level == 3) r |= bit_range(29, 12);
    if (level == 2) r |= bit_range(20, 12);
  } else {
    r |= bit_range(6, 3);
  }
  return (e & r) != 0;
}

constexpr std::uint64_t next_table(std::uint64_t e, unsigned maxphyaddr) {
  return e & frame_mask(maxphyaddr);
}
constexpr std::uint64_t leaf_frame(std::uint64_t e, unsigned level, unsigned maxphyaddr) {
  return e & frame_mask(maxphyaddr) & ~(page_bytes(leaf_size(level)) - 1);
}

constexpr std::uint64_t make_table(std::uint64_t table_hpa) { return table_hpa | kRWX; }
constexpr std::uint64_t make_leaf(std::uint64_t frame_hpa, unsigned level, std::uint64_t rwx = kRWX) {
  return frame_hpa | rwx | (kMemTypeWB << kMemTypeShift) | (level > 1 ? kLarge : 0);
}

// The flat EPT of mode flat-nested (SPEC §6, seed 000's enlarged paging structures): 2 levels of
// 2 MiB nodes of 2^18 entries. The walk reads level 3 (gPA bits 47:30; a leaf there maps 1 GiB)
// then level 1 (gPA bits 29:12; 4 KiB leaves): the entries are EPT entries of those levels, and a
// node starts at the 4 KiB aligned address its pointer (EPTP, or a level-3 entry) names.
namespace flat {
constexpr unsigned kFirstLevel = 3;
constexpr unsigned kIndexBits = 18;
constexpr std::uint64_t kEntries = 1ull << kIndexBits;
constexpr std::uint64_t kNodeBytes = kEntries * 8;  // 2 MiB
constexpr unsigned next_level(unsigned level) { return level == 3 ? 1 : 0; }
constexpr std::uint64_t index(std::uint64_t gpa, unsigned level) {
  return (gpa >> (level == 3 ? 30 : 12)) & (kEntries - 1);
}
}  // namespace flat

// The EPT walk's geometry in mode `m`: 4 levels of 9 index bits, or the flat EPT's levels 3 and 1.
constexpr bool is_flat(Mode m) { return m == Mode::kFlatNested; }
constexpr unsigned walk_first_level(Mode m) { return is_flat(m) ? flat::kFirstLevel : 4; }
constexpr unsigned walk_next_level(Mode m, unsigned level) {
  return is_flat(m) ? flat::next_level(level) : level - 1;
}
constexpr std::uint64_t walk_index(Mode m, std::uint64_t gpa, unsigned level) {
  return is_flat(m) ? flat::index(gpa, level) : table_index(gpa, level);
}

// EPTP: 2:0 memory type, 5:3 walk length - 1, 6 A/D enable, 51:12 PML4 address.
namespace eptp {
constexpr std::uint64_t make(std::uint64_t pml4_hpa, bool ad_enable) {
  return pml4_hpa | kMemTypeWB | (3ull << 3) | (ad_enable ? (1ull << 6) : 0);
}
constexpr bool ad_enabled(std::uint64_t v) { return bit(v, 6); }
constexpr std::uint64_t pml4(std::uint64_t v, unsigned maxphyaddr) { return v & frame_mask(maxphyaddr); }
// Valid as VM entry checks it: memory type UC or WB, a 4-level walk, no reserved bits (11:7, 63:M).
constexpr bool valid(std::uint64_t v, unsigned maxphyaddr) {
  const std::uint64_t mt = bits(v, 2, 0);
  if (mt != kMemTypeUC && mt != kMemTypeWB) return false;
  if (bits(v, 5, 3) != 3) return false;
  if (v & bit_range(11, 7)) return false;
  return (v & bit_range(63, maxphyaddr)) == 0;
}
}  // namespace eptp

}  // namespace mmuvp::arch::ept
