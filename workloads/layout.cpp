// Layout: heap arrays, stacks and per-thread buffers as Regions.
#include "workloads/layout.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace mmuvp::workloads {

arch::gva_t Layout::add_heap(const std::string& label, std::uint64_t bytes, bool writable) {
  const std::uint64_t size = round_up(std::max<std::uint64_t>(bytes, 1), kRegionAlign);
  if (size > kMiscBase - heap_end_) {
    throw std::invalid_argument(
        fmt::format("workload layout: array '{}' ({}) does not fit below "
                    "{:#x}",
                    label, format_bytes(bytes), kMiscBase));
  }
  const arch::gva_t va = heap_end_;
  regions_.push_back(Region{va, size, writable, false, true, label});
  heap_end_ += size;
  return va;
}

arch::gva_t Layout::add_stacks(unsigned threads, unsigned thread) {
  if (private_in_heap_) {
    arch::gva_t mine = 0;
    for (unsigned t = 0; t < threads; ++t) {
      const arch::gva_t base = add_heap(fmt::format("stack.{}", t), kStackBytes);
      if (t == thread) mine = base + kStackBytes;
    }
    return mine;
  }
  for (unsigned t = 0; t < threads; ++t) {
    const arch::gva_t top = kStackTop - static_cast<std::uint64_t>(t) * kStackBytes;
    regions_.push_back(
        Region{top - kStackBytes, kStackBytes, true, false, false, fmt::format("stack.{}", t)});
  }
  return kStackTop - static_cast<std::uint64_t>(thread) * kStackBytes;
}

arch::gva_t Layout::add_per_thread(const std::string& label, std::uint64_t bytes_per_thread,
                                   unsigned threads, unsigned thread) {
  if (private_in_heap_) {
    arch::gva_t mine = 0;
    for (unsigned t = 0; t < threads; ++t) {
      const arch::gva_t va = add_heap(fmt::format("{}.{}", label, t), bytes_per_thread);
      if (t == thread) mine = va;
    }
    return mine;
  }
  const std::uint64_t size = round_up(std::max<std::uint64_t>(bytes_per_thread, 1), kRegionAlign);
  arch::gva_t mine = 0;
  for (unsigned t = 0; t < threads; ++t) {
    const arch::gva_t va = kMiscBase + static_cast<std::uint64_t>(t) * size;
    regions_.push_back(Region{va, size, true, false, false, fmt::format("{}.{}", label, t)});
    if (t == thread) mine = va;
  }
  return mine;
}

std::vector<Region> Layout::regions() const {
  std::vector<Region> out = regions_;
  std::sort(out.begin(), out.end(), [](const Region& a, const Region& b) { return a.va < b.va; });
  for (std::size_t i = 1; i < out.size(); ++i) {
    if (out[i].va < out[i - 1].end()) {
      throw std::invalid_argument(fmt::format("workload layout: region '{}' overlaps '{}'",
                                              out[i].label, out[i - 1].label));
    }
  }
  return out;
}

}  // namespace mmuvp::workloads
