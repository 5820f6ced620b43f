// Software that edits 4-level radix page tables in simulated memory, as an OS or a hypervisor does:
// install a leaf of 4K/2M/1G (creating the tables above it), remove it, rewrite its flags or frame,
// and split a large leaf into 512 smaller ones. One implementation serves two formats: x86-64 guest
// page tables (edited by the guest OS in guest-physical memory) and Intel EPT (edited by the VMM in
// host-physical memory). Every entry is read and written through TableMemory, i.e. through memory.
//
// Leaf flags are passed in "4K form": the bits of a 4 KiB leaf (for guest tables PAT in bit 7);
// the format turns them into a large-page entry (PS/large bit, guest PAT moved to bit 12).
#pragma once
#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "arch/address.h"
#include "arch/ept.h"
#include "arch/pte.h"
#include "sw-stub/stub_error.h"

namespace mmuvp::stub {

// How an editor reaches the memory holding its tables (gPA for guest tables, hPA for the EPT).
class TableMemory {
 public:
  virtual ~TableMemory() = default;
  virtual std::uint64_t read(std::uint64_t addr) = 0;
  virtual void write(std::uint64_t addr, std::uint64_t value) = 0;
  // A table of `bytes` (4 KiB, or 2 MiB for a flat EPT node), aligned to its size; the editor
  // zeroes it.
  virtual std::uint64_t alloc_table(std::uint64_t bytes) = 0;
  virtual void free_table(std::uint64_t addr, std::uint64_t bytes) = 0;  // empty, unreferenced
};

// Table entries are written with all addresses below 2^52; the walker applies its own MAXPHYADDR.
constexpr unsigned kEditorPhysBits = arch::kDefaultMaxPhyAddr;

// The radix geometry of x86-64 page tables and Intel's EPT: 4 levels of 4 KiB tables of 512
// entries, 9 input bits per level; leaves at levels 3 (1G), 2 (2M) and 1 (4K).
struct FourLevelGeometry {
  static constexpr unsigned kTopLevel = 4;
  static constexpr std::uint64_t kEntries = 512;
  static constexpr std::uint64_t kTableBytes = arch::kPage4K;
  static constexpr unsigned below(unsigned level) { return level - 1; }
  static constexpr std::uint64_t index(std::uint64_t in, unsigned level) {
    return arch::table_index(in, level);
  }
  // Input bits above the span of one table holding level-`level` entries.
  static constexpr unsigned span_shift(unsigned level) { return arch::kPageShift + 9 * level; }
  static constexpr bool has_leaf(arch::PageSize) { return true; }
};

struct GuestTableFormat : FourLevelGeometry {
  static constexpr std::string_view kName = "guest page table";
  static constexpr std::uint64_t kAccessed = arch::pte::kA;
  static constexpr std::uint64_t kAccessedDirty = arch::pte::kA | arch::pte::kD;
  static constexpr bool present(std::uint64_t e) { return arch::pte::present(e); }
  static constexpr bool is_leaf(std::uint64_t e, unsigned level) {
    return arch::pte::is_leaf(e, level);
  }
  static constexpr std::uint64_t next_table(std::uint64_t e) {
    return arch::pte::next_table(e, kEditorPhysBits);
  }
  static constexpr std::uint64_t leaf_frame(std::uint64_t e, unsigned level) {
    return arch::pte::leaf_frame(e, level, kEditorPhysBits);
  }
  // Intermediate entries grant everything (present, writable, user, executable): the leaf decides.
  static constexpr std::uint64_t table_entry(std::uint64_t table, bool accessed) {
    return arch::pte::make_table(table, true, true) | (accessed ? kAccessed : 0);
  }
  static constexpr std::uint64_t leaf_entry(std::uint64_t frame, unsigned level, std::uint64_t f) {
    if (level == 1) return frame | f;
    const bool pat = (f & arch::pte::kPS) != 0;  // bit 7 of a 4 KiB PTE is PAT
    return frame | (f & ~arch::pte::kPS) | arch::pte::kPS | (pat ? arch::pte::kPATLarge : 0);
  }
  static constexpr std::uint64_t leaf_flags4k(std::uint64_t e, unsigned level) {
    std::uint64_t f = e & ~leaf_frame(e, level);
    if (level == 1) return f;
    const bool pat = (f & arch::pte::kPATLarge) != 0;
    f &= ~(arch::pte::kPS | arch::pte::kPATLarge);
    return f | (pat ? arch::pte::kPS : 0);
  }
};

struct EptTableFormat : FourLevelGeometry {
  static constexpr std::string_view kName = "EPT";
  static constexpr std::uint64_t kAccessed = arch::ept::kA;
  static constexpr std::uint64_t kAccessedDirty = arch::ept::kA | arch::ept::kD;
  static constexpr bool present(std::uint64_t e) { return arch::ept::present(e); }
  static constexpr bool is_leaf(std::uint64_t e, unsigned level) {
    return arch::ept::is_leaf(e, level);
  }
  static constexpr std::uint64_t next_table(std::uint64_t e) {
    return arch::ept::next_table(e, kEditorPhysBits);
  }
  static constexpr std::uint64_t leaf_frame(std::uint64_t e, unsigned level) {
    return arch::ept::leaf_frame(e, level, kEditorPhysBits);
  }
  static constexpr std::uint64_t table_entry(std::uint64_t table, bool accessed) {
    return arch::ept::make_table(table) | (accessed ? kAccessed : 0);
  }
  static constexpr std::uint64_t leaf_entry(std::uint64_t frame, unsigned level, std::uint64_t f) {
    return frame | (f & ~arch::ept::kLarge) | (level > 1 ? arch::ept::kLarge : 0);
  }
  static constexpr std::uint64_t leaf_flags4k(std::uint64_t e, unsigned level) {
    return e & ~leaf_frame(e, level) & ~arch::ept::kLarge;
  }
};

// The flat EPT of mode flat-nested (arch/ept.h flat): 2 levels of 2 MiB nodes of 2^18 entries,
// level 3 (gPA bits 47:30, 1 GiB leaves) above level 1 (bits 29:12, 4 KiB leaves); no 2M leaves.
struct FlatEptTableFormat : EptTableFormat {
  static constexpr std::string_view kName = "flat EPT";
  static constexpr unsigned kTopLevel = arch::ept::flat::kFirstLevel;
  static constexpr std::uint64_t kEntries = arch::ept::flat::kEntries;
  static constexpr std::uint64_t kTableBytes = arch::ept::flat::kNodeBytes;
  static constexpr unsigned below(unsigned level) { return arch::ept::flat::next_level(level); }
  static constexpr std::uint64_t index(std::uint64_t in, unsigned level) {
    return arch::ept::flat::index(in, level);
  }
  static constexpr unsigned span_shift(unsigned level) { return level == 1 ? 30 : 48; }
  static constexpr bool has_leaf(arch::PageSize s) { return s != arch::PageSize::k2M; }
};

constexpr unsigned leaf_level(arch::PageSize s) {
  return s == arch::PageSize::k1G ? 3 : s == arch::PageSize::k2M ? 2 : 1;
}

template <typename Format>
class TableEditor {
 public:
  // Allocates and zeroes the root table. `preset_accessed`: new intermediate entries are written
  // with A already set (for counting studies without A/D write-backs).
  TableEditor(TableMemory& mem, bool preset_accessed) : mem_(mem), preset_a_(preset_accessed) {
    root_ = new_table();
  }

  std::uint64_t root() const { return root_; }
  std::size_t table_count() const { return tables_; }

  // The entry that translates `in`: the leaf, or the first non-present entry (entry == 0 then
  // means "not present"; level is where the walk stopped).
  struct Slot {
    std::uint64_t addr = 0;  // address of the entry
    std::uint64_t entry = 0;
    unsigned level = 0;
    bool leaf = false;
  };
  Slot walk(std::uint64_t in) {
    std::uint64_t table = root_;
    for (unsigned level = Format::kTopLevel;; level = Format::below(level)) {
      const std::uint64_t addr = table + 8ull * Format::index(in, level);
      const std::uint64_t e = mem_.read(addr);
      if (!Format::present(e)) return {addr, 0, level, false};
      if (Format::is_leaf(e, level)) return {addr, e, level, true};
      table = Format::next_table(e);
    }
  }

  // Installs the leaf `in` -> `frame` of `size` with 4K-form flags. An empty table in the way of a
  // large leaf is freed; anything else present is an error (the caller unmaps first).
  std::uint64_t map(std::uint64_t in, std::uint64_t frame, arch::PageSize size,
                    std::uint64_t flags) {
    if (!Format::has_leaf(size))
      throw StubError(fmt::format("{}: has no {} leaves", Format::kName, arch::to_string(size)));
    const unsigned level = leaf_level(size);
    const std::uint64_t mask = arch::page_bytes(size) - 1;
    if ((in & mask) != 0 || (frame & mask) != 0)
      throw StubError(fmt::format("{}: {} leaf {:#x} -> {:#x} is not aligned to its size",
                                  Format::kName, arch::to_string(size), in, frame));
    const std::uint64_t addr = slot_for(in, level, true);
    const std::uint64_t old = mem_.read(addr);
    if (Format::present(old)) {
      if (Format::is_leaf(old, level) ||
          !table_is_empty(Format::next_table(old), Format::below(level)))
        throw StubError(fmt::format("{}: {:#x} is already mapped", Format::kName, in));
      release_table(Format::next_table(old), Format::below(level));
    }
    const std::uint64_t e = Format::leaf_entry(frame, level, flags);
    mem_.write(addr, e);
    return e;
  }

  // Clears the leaf of exactly `size` mapping `in`; returns the entry it held.
  std::uint64_t unmap(std::uint64_t in, arch::PageSize size) {
    const Slot s = leaf_slot(in, size, "unmap");
    mem_.write(s.addr, 0);
    return s.entry;
  }

  // Rewrites the leaf of `size` mapping `in` with a new frame and flags. `keep_ad`: keep the A/D
  // bits the hardware set in the old entry.
  std::uint64_t rewrite(std::uint64_t in, arch::PageSize size, std::uint64_t frame,
                        std::uint64_t flags, bool keep_ad) {
    const Slot s = leaf_slot(in, size, "rewrite");
    const std::uint64_t ad = keep_ad ? (s.entry & Format::kAccessedDirty) : 0;
    const std::uint64_t e = Format::leaf_entry(frame, s.level, flags | ad);
    mem_.write(s.addr, e);
    return e;
  }

  // Replaces the large leaf of `size` holding `in` by a table of leaves of the next level's size
  // (512, or 2^18 in a flat EPT) with the same flags (A/D included), then points the old slot at
  // that table. Returns the large entry as it was in memory.
  std::uint64_t split(std::uint64_t in, arch::PageSize size) {
    if (size == arch::PageSize::k4K)
      throw StubError(fmt::format("{}: a 4K leaf cannot be split", Format::kName));
    const Slot s = leaf_slot(in, size, "split");
    const unsigned child_level = Format::below(s.level);
    const std::uint64_t child_bytes = arch::page_bytes(arch::pte::leaf_size(child_level));
    const std::uint64_t frame = Format::leaf_frame(s.entry, s.level);
    const std::uint64_t flags = Format::leaf_flags4k(s.entry, s.level);
    const std::uint64_t table = new_table();
    for (std::uint64_t i = 0; i < Format::kEntries; ++i)
      mem_.write(table + 8ull * i, Format::leaf_entry(frame + i * child_bytes, child_level, flags));
    mem_.write(s.addr, Format::table_entry(table, (s.entry & Format::kAccessed) != 0));
    cache_.fill({});
    return s.entry;
  }

 private:
  struct CacheLine {
    std::uint64_t prefix = ~0ull;
    std::uint64_t table = 0;
  };

  std::uint64_t new_table() {
    const std::uint64_t t = mem_.alloc_table(Format::kTableBytes);
    for (std::uint64_t i = 0; i < Format::kEntries; ++i) mem_.write(t + 8ull * i, 0);
    ++tables_;
    return t;
  }
  // Frees an empty table of level-`level` entries and the (empty) tables below it.
  void release_table(std::uint64_t t, unsigned level) {
    for (std::uint64_t i = 0; i < Format::kEntries && level > 1; ++i) {
      const std::uint64_t e = mem_.read(t + 8ull * i);
      if (Format::present(e)) release_table(Format::next_table(e), Format::below(level));
    }
    mem_.free_table(t, Format::kTableBytes);
    --tables_;
    cache_.fill({});
  }
  bool table_is_empty(std::uint64_t table, unsigned level) {
    for (std::uint64_t i = 0; i < Format::kEntries; ++i) {
      const std::uint64_t e = mem_.read(table + 8ull * i);
      if (!Format::present(e)) continue;
      if (Format::is_leaf(e, level) || !table_is_empty(Format::next_table(e), Format::below(level)))
        return false;
    }
    return true;
  }

  // Address of the level-`level` entry for `in`, creating missing tables when `create`.
  std::uint64_t slot_for(std::uint64_t in, unsigned level, bool create) {
    std::uint64_t table = root_;
    unsigned l = Format::kTopLevel;
    // Start from the deepest cached table on the way (tables are never moved, only freed).
    for (unsigned c = level; c < Format::kTopLevel; ++c) {
      const CacheLine& line = cache_[c];
      if (line.prefix == prefix(in, c)) {
        table = line.table;
        l = c;
        break;
      }
    }
    for (; l > level; l = Format::below(l)) {
      const std::uint64_t addr = table + 8ull * Format::index(in, l);
      std::uint64_t e = mem_.read(addr);
      if (!Format::present(e)) {
        if (!create) return 0;
        const std::uint64_t t = new_table();
        e = Format::table_entry(t, preset_a_);
        mem_.write(addr, e);
      } else if (Format::is_leaf(e, l)) {
        throw StubError(fmt::format("{}: {:#x} lies inside a {} leaf", Format::kName, in,
                                    arch::to_string(arch::pte::leaf_size(l))));
      }
      table = Format::next_table(e);
      cache_[Format::below(l)] = {prefix(in, Format::below(l)), table};
    }
    return table + 8ull * Format::index(in, level);
  }

  Slot leaf_slot(std::uint64_t in, arch::PageSize size, const char* what) {
    const Slot s = walk(in);
    if (!s.leaf || s.level != leaf_level(size))
      throw StubError(fmt::format("{}: {} of {:#x}: no {} leaf there", Format::kName, what, in,
                                  arch::to_string(size)));
    return s;
  }

  // Input bits above the span of one level-`level` table (the table holding level-`level` entries).
  static std::uint64_t prefix(std::uint64_t in, unsigned level) {
    return in >> Format::span_shift(level);
  }

  TableMemory& mem_;
  bool preset_a_;
  std::uint64_t root_ = 0;
  std::size_t tables_ = 0;
  std::array<CacheLine, 4> cache_{};  // [l]: the table holding level-l entries (l = 1..3)
};

}  // namespace mmuvp::stub
