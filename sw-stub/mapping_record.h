// The software record of the leaf mappings a page-table owner wrote: the guest OS's gVA -> gPA
// leaves of a process and the VMM's gPA -> hPA EPT leaves of a VM. Each leaf keeps the entry flags
// exactly as written (the entry minus its frame address), so tests and `mmuvp pagetable --list` can
// compare tables in memory against it.
//
// Leaves are stored as runs: consecutive leaves of one size and one set of flags whose inputs and
// outputs are both contiguous collapse into one run, so a gigabyte of sequentially allocated 4 KiB
// pages costs a handful of records. Lookups are O(log runs).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "arch/address.h"
#include "sw-stub/range_set.h"

namespace mmuvp::stub {

struct Leaf {
  std::uint64_t in = 0;   // first input address (aligned to size)
  std::uint64_t out = 0;  // frame address (aligned to size)
  arch::PageSize size = arch::PageSize::k4K;
  std::uint64_t flags = 0;  // entry bits other than the frame address

  std::uint64_t bytes() const { return arch::page_bytes(size); }
  std::uint64_t entry() const { return out | flags; }
  std::uint64_t translate(std::uint64_t a) const { return out + (a - in); }
  bool operator==(const Leaf& o) const {
    return in == o.in && out == o.out && size == o.size && flags == o.flags;
  }
};

struct MappingRun {
  std::uint64_t in = 0;
  std::uint64_t out = 0;
  std::uint64_t bytes = 0;  // a multiple of the leaf size
  arch::PageSize size = arch::PageSize::k4K;
  std::uint64_t flags = 0;

  Range input() const { return {in, in + bytes}; }
  Range output() const { return {out, out + bytes}; }
  std::uint64_t leaves() const { return bytes >> arch::page_shift(size); }
};

class MappingRecord {
 public:
  void add(const Leaf& leaf);  // throws StubError if it overlaps a recorded leaf
  // Removes every leaf inside [r.lo, r.hi); throws if a leaf straddles a boundary of r.
  void remove(Range r);
  std::optional<Leaf> find(std::uint64_t in) const;  // the leaf holding input address `in`
  // The leaf holding `in`, else the first leaf above it.
  std::optional<Leaf> find_from(std::uint64_t in) const;
  // The leaf whose output frame range holds `out` (a reverse lookup, O(runs)).
  std::optional<Leaf> find_output(std::uint64_t out) const;
  bool overlaps(Range r) const;
  std::vector<Leaf> leaves_in(Range r) const;  // whole leaves overlapping r, in input order

  template <typename F>
  void for_each_leaf(F&& f) const {
    for (const auto& [in, run] : runs_)
      for (std::uint64_t off = 0; off < run.bytes; off += arch::page_bytes(run.size))
        f(Leaf{run.in + off, run.out + off, run.size, run.flags});
  }
  std::vector<Leaf> leaves() const;  // every leaf, in input order
  const std::map<std::uint64_t, MappingRun>& runs() const { return runs_; }
  std::uint64_t leaf_count() const;
  std::uint64_t bytes() const;
  bool empty() const { return runs_.empty(); }

 private:
  std::map<std::uint64_t, MappingRun> runs_;  // keyed by input start; runs never overlap
};

}  // namespace mmuvp::stub
