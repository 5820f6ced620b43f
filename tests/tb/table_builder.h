// Test helper: builds x86-64 guest page tables and EPTs in a SparseMemory the way an OS or a VMM
// writes them, and saves address ranges of it as raw image files (what `pmemsave` produces).
#pragma once
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "arch/address.h"
#include "arch/ept.h"
#include "arch/pte.h"
#include "arch/sparse_memory.h"

namespace mmuvp::test {

// Page tables of one kind (guest or EPT) in one address space, with frames taken upwards from
// `alloc_base`. Tables written through `mem` are at addresses of that space.
class TableBuilder {
 public:
  enum class Kind { kGuest, kEpt };

  TableBuilder(arch::SparseMemory& mem, Kind kind, std::uint64_t alloc_base)
      : mem_(mem), kind_(kind), next_(alloc_base), base_(alloc_base) {
    root_ = alloc_page();
  }

  std::uint64_t root() const { return root_; }
  // [alloc_base, alloc_end): every table page this builder allocated.
  std::uint64_t alloc_base() const { return base_; }
  std::uint64_t alloc_end() const { return next_; }

  std::uint64_t alloc_page() {
    const std::uint64_t pa = next_;
    next_ += arch::kPage4K;
    const std::vector<std::uint8_t> zeros(arch::kPage4K, 0);
    mem_.write(pa, zeros.data(), zeros.size());
    return pa;
  }

  // Maps the page at `va` to `pa` with the leaf entry bits `leaf_bits` (guest: RW/US/XD/G/A/D...,
  // P and, for large pages, PS added; EPT: R/W/X and memory type, the large bit added). Missing
  // tables are created with `table_bits` (guest default P|RW|US; EPT default RWX). Returns the
  // leaf's address.
  std::uint64_t map(std::uint64_t va, std::uint64_t pa, arch::PageSize size,
                    std::uint64_t leaf_bits, std::uint64_t table_bits = 0) {
    const unsigned leaf_level = level_of(size);
    std::uint64_t table = root_;
    for (unsigned level = 4; level > leaf_level; --level) {
      const std::uint64_t addr = table + 8ull * arch::table_index(va, level);
      std::uint64_t e = read(addr);
      if (!present(e)) {
        e = alloc_page() | (table_bits != 0 ? table_bits : default_table_bits());
        write(addr, e);
      }
      table = e & arch::frame_mask(arch::kDefaultMaxPhyAddr);
    }
    const std::uint64_t addr = table + 8ull * arch::table_index(va, leaf_level);
    const std::uint64_t large = kind_ == Kind::kGuest ? arch::pte::kPS : arch::ept::kLarge;
    const std::uint64_t present_bit = kind_ == Kind::kGuest ? arch::pte::kP : 0;
    write(addr, pa | leaf_bits | present_bit | (leaf_level > 1 ? large : 0));
    return addr;
  }

  // Address of the entry of `level` on the walk of `va` (the tables down to it must exist).
  std::uint64_t entry_addr(std::uint64_t va, unsigned level) const {
    std::uint64_t table = root_;
    for (unsigned l = 4; l > level; --l) {
      const std::uint64_t e = read(table + 8ull * arch::table_index(va, l));
      if (!present(e)) throw std::logic_error("entry_addr: table missing");
      table = e & arch::frame_mask(arch::kDefaultMaxPhyAddr);
    }
    return table + 8ull * arch::table_index(va, level);
  }
  std::uint64_t read(std::uint64_t addr) const {
    std::uint64_t v = 0;
    mem_.read(addr, &v, sizeof v);
    return v;
  }
  void write(std::uint64_t addr, std::uint64_t v) { mem_.write(addr, &v, sizeof v); }

  static unsigned level_of(arch::PageSize s) {
    return s == arch::PageSize::k1G ? 3 : s == arch::PageSize::k2M ? 2 : 1;
  }

 private:
  bool present(std::uint64_t e) const {
    return kind_ == Kind::kGuest ? arch::pte::present(e) : arch::ept::present(e);
  }
  std::uint64_t default_table_bits() const {
    return kind_ == Kind::kGuest ? (arch::pte::kP | arch::pte::kRW | arch::pte::kUS)
                                 : arch::ept::kRWX;
  }

  arch::SparseMemory& mem_;
  Kind kind_;
  std::uint64_t next_;
  std::uint64_t base_;
  std::uint64_t root_ = 0;
};

// Copies [lo, hi) of `from` to `to` at `to_base` (e.g. guest RAM into host memory behind an EPT).
inline void copy_range(const arch::SparseMemory& from, std::uint64_t lo, std::uint64_t hi,
                       arch::SparseMemory& to, std::uint64_t to_base) {
  std::vector<std::uint8_t> buf(hi - lo);
  from.read(lo, buf.data(), buf.size());
  to.write(to_base, buf.data(), buf.size());
}

// Writes [lo, hi) of `mem` to `path`: byte 0 of the file is address `lo`.
inline void save_image(const arch::SparseMemory& mem, std::uint64_t lo, std::uint64_t hi,
                       const std::string& path) {
  std::vector<std::uint8_t> buf(hi - lo);
  mem.read(lo, buf.data(), buf.size());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
  if (!f) throw std::runtime_error("cannot write " + path);
}

// A fresh directory under the system's temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("mmuvp-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace mmuvp::test
