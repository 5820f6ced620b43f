// Builds a generator's virtual layout: named arrays placed one after another in the heap (each
// 2 MiB aligned and rounded, so the heap is one contiguous primary region), plus per-thread stacks
// and small buffers outside it. The result is the sorted, disjoint list regions() returns.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/access.h"
#include "workloads/config.h"

namespace mmuvp::workloads {

class Layout {
 public:
  // `private_in_heap`: stacks and per-thread buffers are placed in the heap (primary) too.
  explicit Layout(arch::gva_t heap_base, bool private_in_heap = false)
      : heap_base_(heap_base), heap_end_(heap_base), private_in_heap_(private_in_heap) {}

  // Places an array of `bytes` in the heap; returns its base address.
  arch::gva_t add_heap(const std::string& label, std::uint64_t bytes, bool writable = true);

  // One stack per thread below kStackTop ("stack.N"); returns thread `thread`'s stack top
  // (the highest address + 1; stacks grow down).
  arch::gva_t add_stacks(unsigned threads, unsigned thread);

  // One buffer of `bytes_per_thread` per thread at kMiscBase ("<label>.N"); returns thread
  // `thread`'s buffer base.
  arch::gva_t add_per_thread(const std::string& label, std::uint64_t bytes_per_thread,
                             unsigned threads, unsigned thread);

  arch::gva_t heap_end() const { return heap_end_; }
  std::uint64_t heap_bytes() const { return heap_end_ - heap_base_; }

  // Sorted by address. Throws std::invalid_argument if the heap ran into the misc area.
  std::vector<Region> regions() const;

 private:
  arch::gva_t heap_base_;
  arch::gva_t heap_end_;
  bool private_in_heap_ = false;
  std::vector<Region> regions_;
};

constexpr std::uint64_t round_up(std::uint64_t v, std::uint64_t align) {
  return (v + align - 1) / align * align;
}

}  // namespace mmuvp::workloads
