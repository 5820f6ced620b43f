// A physical-frame allocator over 4 KiB frames: naturally aligned 4K/2M/1G blocks, contiguous runs
// for segments, frees, hot-add and hot-unplug of memory, and excluded frames (the x86 I/O gap,
// bad frames) that are never handed out. Used by the VMM over host-physical memory and by the guest
// OS over guest-physical memory.
//
// Policy (deterministic): best fit. A request goes to the smallest free run that can hold it, at
// the lowest suitably aligned address of that run; ties go to the lowest address. Small requests
// therefore fill holes before they break large runs.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "arch/address.h"
#include "sw-stub/range_set.h"

namespace mmuvp::stub {

// The alignment to give a contiguous block for [addr, addr + bytes): the largest page size (1G, 2M,
// 4K) that divides `addr` and fits in `bytes`, so the block can be mapped with the largest pages
// and a segment over it keeps large-page alignment.
std::uint64_t block_alignment(std::uint64_t addr, std::uint64_t bytes);

class FrameAllocator {
 public:
  FrameAllocator() = default;
  // Manages [lo, hi); both 4 KiB aligned. `name` appears in error messages ("host", "guest").
  FrameAllocator(std::uint64_t lo, std::uint64_t hi, std::string name = "memory");

  // ---- allocation (throw OutOfMemory with the request and the free-space state) -------------
  std::uint64_t alloc(arch::PageSize size);  // a naturally aligned block of that page size
  // `bytes` (a multiple of 4 KiB) starting at a multiple of `align` (a power of two >= 4 KiB).
  std::uint64_t alloc_contiguous(std::uint64_t bytes, std::uint64_t align = arch::kPage4K);
  // A contiguous run that may span excluded (bad) frames of managed memory, but no frame in use
  // and no unmanaged hole: what a segment needs when the escape filter will cover the bad frames.
  struct SpanningRun {
    std::uint64_t addr = 0;
    std::vector<std::uint64_t> bad_frames;  // excluded 4 KiB frames inside [addr, addr + bytes)
  };
  SpanningRun alloc_spanning(std::uint64_t bytes, std::uint64_t align);
  void reserve(Range r);  // allocate exactly r; every frame of it must be free
  // Free frames totalling `bytes`, taken from the smallest free runs first (the fragments).
  std::vector<Range> take_fragments(std::uint64_t bytes);
  // Gives r back; every frame must be managed and in use. Excluded frames inside r stay excluded.
  void free(Range r);

  // ---- the managed memory ---------------------------------------------------------------------
  void add_memory(Range r);     // hot-add: r becomes managed and free (except excluded frames)
  void remove_memory(Range r);  // hot-unplug: r must be managed and not in use
  // Mark frames excluded: they leave the free set now; frames in use stay with their owner and are
  // not returned to the free set when freed.
  void exclude(Range r);

  // ---- state ----------------------------------------------------------------------------------
  bool is_free(Range r) const { return free_.covers(r); }
  bool is_excluded(std::uint64_t addr) const { return excluded_.contains(addr); }
  bool is_managed(Range r) const { return managed_.covers(r); }
  bool in_use(Range r) const;  // every frame managed, not free and not excluded
  std::uint64_t free_bytes() const { return free_.bytes(); }
  std::uint64_t managed_bytes() const { return managed_.bytes(); }
  std::uint64_t largest_free_run() const { return free_.largest(); }
  const RangeSet& free_set() const { return free_; }
  const RangeSet& managed() const { return managed_; }
  const RangeSet& excluded() const { return excluded_; }
  const std::string& name() const { return name_; }

 private:
  std::uint64_t find_fit(std::uint64_t bytes, std::uint64_t align, const RangeSet& space) const;
  [[noreturn]] void fail(const std::string& request) const;

  std::string name_ = "memory";
  RangeSet managed_;        // memory present
  RangeSet free_;           // managed, not in use, not excluded
  RangeSet excluded_;       // never handed out (may hold frames outside managed_)
  RangeSet idle_excluded_;  // excluded, managed and held by no one (alloc_spanning may take them)
};

}  // namespace mmuvp::stub
