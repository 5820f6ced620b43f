// x86-64 4-level guest paging entries (Intel SDM Vol. 3A §4.5), as named bit-fields and predicates.
#pragma once
#include <cstdint>

#include "arch/address.h"

namespace mmuvp::arch::pte {

constexpr std::uint64_t kP = 1ull << 0;     // present
constexpr std::uint64_t kRW = 1ull << 1;    // writable
constexpr std::uint64_t kUS = 1ull << 2;    // user
constexpr std::uint64_t kPWT = 1ull << 3;
constexpr std::uint64_t kPCD = 1ull << 4;
constexpr std::uint64_t kA = 1ull << 5;     // accessed
constexpr std::uint64_t kD = 1ull << 6;     // dirty (leaf)
constexpr std::uint64_t kPS = 1ull << 7;    // page size: 1G in a PDPTE, 2M in a PDE; reserved in a PML4E; PAT in a PTE
constexpr std::uint64_t kG = 1ull << 8;     // global (leaf)
constexpr std::uint64_t kPATLarge = 1ull << 12;  // PAT on a 2M/1G leaf
constexpr std::uint64_t kXD = 1ull << 63;   // execute disable (IA32_EFER.NXE = 1)

// Level numbering: 4 = PML4E, 3 = PDPTE, 2 = PDE, 1 = PTE.
constexpr bool present(std::uint64_t e) { return e & kP; }
constexpr bool writable(std::uint64_t e) { return e & kRW; }
constexpr bool user(std::uint64_t e) { return e & kUS; }
constexpr bool exec_disable(std::uint64_t e) { return e & kXD; }
constexpr bool global(std::uint64_t e) { return e & kG; }  // meaningful on a leaf
constexpr bool is_leaf(std::uint64_t e, unsigned level) {
  return level == 1 || ((level == 2 || level == 3) && (e & kPS));
}
constexpr PageSize leaf_size(unsigned level) {
  return level == 3 ? PageSize::k1G : level == 2 ? PageSize::k2M : PageSize::k4K;
}

// Reserved bits of a present entry at `level` (NXE = 1). Bits 62:52 are ignored (no protection keys).
constexpr std::uint64_t reserved_mask(std::uint64_t e, unsigned level, unsigned maxphyaddr) {
  std::uint64_t r = (maxphyaddr < 52) ? bit_range(51, maxphyaddr) : 0;
  if (level == 4) r |= kPS;
  if (level == 3 && (e & kPS)) r |= bit_range(29, 13);
  if (level == 2 && (e & kPS)) r |= bit_range(20, 13);
  return r;
}
constexpr bool has_reserved(std::uint64_t e, unsigned level, unsigned maxphyaddr) {
  return (e & reserved_mask(e, level, maxphyaddr)) != 0;
}

// Physical address held by an entry: the next table (non-leaf) or the page frame (leaf).
constexpr std::uint64_t next_table(std::uint64_t e, unsigned maxphyaddr) {
  return e & frame_mask(maxphyaddr);
}
constexpr std::uint64_t leaf_frame(std::uint64_t e, unsigned level, unsigned maxphyaddr) {
  return e & frame_mask(maxphyaddr) & ~(page_bytes(leaf_size(level)) - 1);
}

// Entry constructors for software that builds tables (the firmware stub, tests).
constexpr std::uint64_t make_table(std::uint64_t table_pa, bool w = true, bool u = true) {
  return table_pa | kP | (w ? kRW : 0) | (u ? kUS : 0);
}
constexpr std::uint64_t make_leaf(std::uint64_t frame_pa, unsigned level, bool w, bool u, bool x,
                                  std::uint64_t extra = 0) {
  return frame_pa | kP | (w ? kRW : 0) | (u ? kUS : 0) | (x ? 0 : kXD) | (level > 1 ? kPS : 0) |
         extra;
}

}  // namespace mmuvp::arch::pte
