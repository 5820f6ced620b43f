// Test fixture that builds guest page tables and an EPT in a SparseMemory, for the golden
// translator tests (the firmware stub is not used here so that these tests depend on arch/ only).
//
// Layout (deterministic, so tests can compute expected reference addresses by plain arithmetic):
//  - EPT frames are bump-allocated from kEptTablesHpa, 4 KiB each, in the order they are needed.
//    The EPT PML4 is the first one (allocated by the constructor in virtualized fixtures).
//  - Guest page-table frames are bump-allocated from kGuestTablesGpa (gPA; PA in native fixtures).
//    The guest PML4 (CR3) is the first one; map_guest() allocates missing tables top-down.
//  - VM RAM is placed linearly: gPA x lives at hPA x + ram_offset. Guest tables are written there,
//    and back() maps gPA blocks there, so a VMM segment with OFFSET_V = ram_offset and the EPT
//    agree ("the EPT maps the segment too"). map_ept() can map any gPA anywhere (remaps).
//  - In a virtualized fixture every new guest-table frame is mapped in the EPT (at its linear hPA,
//    with pages of table_host_size) unless back_tables is false.
// Conflicting mappings (a page over a table, a table under a page) throw std::logic_error.
#pragma once
#include <cstdint>
#include <vector>

#include "arch/address.h"
#include "arch/ept.h"
#include "arch/sparse_memory.h"
#include "arch/translation.h"

namespace mmuvp::golden {

using arch::gpa_t;
using arch::gva_t;
using arch::hpa_t;
using arch::PageSize;

constexpr gpa_t kGuestTablesGpa = 0x200000;         // 2 MiB
constexpr hpa_t kEptTablesHpa = 0x80'0000'0000ull;  // 512 GiB
constexpr hpa_t kVmRamHpa = 0x100'0000'0000ull;     // 1 TiB: default hPA of gPA 0

struct FixtureOptions {
  bool virtualized = true;
  unsigned maxphyaddr = arch::kDefaultMaxPhyAddr;
  hpa_t ram_offset = kVmRamHpa;
  PageSize table_host_size = PageSize::k4K;
  bool back_tables = true;
};

class WalkFixture {
 public:
  explicit WalkFixture(FixtureOptions options = {});

  arch::SparseMemory mem;

  const FixtureOptions& options() const { return opt_; }
  gpa_t cr3() const { return cr3_; }
  hpa_t ept_pml4() const { return ept_pml4_; }
  std::uint64_t eptp(bool ad_enable = false) const;
  // A context for `mode` over this address space, with A/D updates off and no segments.
  arch::TranslationContext context(arch::Mode mode) const;

  // --- frame allocators (bump, zeroed) ---
  gpa_t alloc_guest_table();
  hpa_t alloc_ept_table();
  const std::vector<gpa_t>& guest_tables() const { return guest_tables_; }
  const std::vector<hpa_t>& ept_tables() const { return ept_tables_; }

  // --- host dimension ---
  hpa_t linear_hpa(gpa_t gpa) const { return gpa + opt_.ram_offset; }
  // Maps the `size` page at `gpa` to `hpa` (both aligned) with permissions `rwx`; `extra` is ORed
  // into the leaf (memory type, A/D, ...). Remapping an existing leaf of the same size is allowed.
  void map_ept(gpa_t gpa, hpa_t hpa, PageSize size, std::uint64_t rwx = arch::ept::kRWX,
               std::uint64_t extra = 0);
  // Maps the `size` block holding `gpa` at its linear hPA unless an EPT leaf already covers it.
  void back(gpa_t gpa, PageSize size, std::uint64_t rwx = arch::ept::kRWX);
  // Backs every `size` block of [lo, hi).
  void back_range(gpa_t lo, gpa_t hi, PageSize size, std::uint64_t rwx = arch::ept::kRWX);

  // --- guest dimension ---
  void map_guest(gva_t va, gpa_t gpa, PageSize size, bool w = true, bool u = true, bool x = true,
                 std::uint64_t extra = 0);
  // hPA at which the fixture keeps the guest-physical frame of a guest table.
  hpa_t table_hpa(gpa_t table_gpa) const;

  // --- entries along a walk as built (throw std::logic_error if the built walk stops above) ---
  gpa_t guest_entry_gpa(gva_t va, unsigned level) const;
  hpa_t guest_entry_hpa(gva_t va, unsigned level) const;
  std::uint64_t guest_entry(gva_t va, unsigned level) const;
  void set_guest_entry(gva_t va, unsigned level, std::uint64_t value);
  hpa_t ept_entry_hpa(gpa_t gpa, unsigned level) const;
  std::uint64_t ept_entry(gpa_t gpa, unsigned level) const;
  void set_ept_entry(gpa_t gpa, unsigned level, std::uint64_t value);

  std::uint64_t read(hpa_t pa) const;
  void write(hpa_t pa, std::uint64_t value);
  // Every byte of every table frame the fixture allocated (to prove "memory unchanged").
  std::vector<std::uint8_t> snapshot() const;

 private:
  FixtureOptions opt_;
  gpa_t next_guest_table_ = kGuestTablesGpa;
  hpa_t next_ept_table_ = kEptTablesHpa;
  gpa_t cr3_ = 0;
  hpa_t ept_pml4_ = 0;
  std::vector<gpa_t> guest_tables_;
  std::vector<hpa_t> ept_tables_;
};

}  // namespace mmuvp::golden
