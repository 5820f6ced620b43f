// stream: the STREAM triad a[i] = b[i] + s * c[i] over three arrays of 8-byte elements (each a
// third of the footprint), swept again and again. Per element: read b[i], read c[i], write a[i].
// Threads: thread t sweeps the slice [n*t/T, n*(t+1)/T) of every pass (OpenMP static schedule).
#pragma once
#include <cstdint>

#include "workloads/batch.h"
#include "workloads/config.h"
#include "workloads/layout.h"

namespace mmuvp::workloads {

class StreamWorkload final : public BatchedWorkload<StreamWorkload, 3> {
 public:
  explicit StreamWorkload(const WorkloadConfig& cfg);

  std::string name() const override { return "stream"; }
  std::string describe() const override;
  std::vector<Region> regions() const override { return layout_.regions(); }

  arch::gva_t a_base() const { return a_; }
  arch::gva_t b_base() const { return b_; }
  arch::gva_t c_base() const { return c_; }
  std::uint64_t elements() const { return n_; }
  std::uint64_t slice_begin() const { return lo_; }
  std::uint64_t slice_end() const { return hi_; }

  std::size_t step(MemAccess* out);
  void restart() { i_ = lo_; }

  // Two loads, a multiply-add, a store and loop control per element.
  static constexpr std::uint16_t kInsnsPerElement = 6;
  static constexpr std::uint64_t kElementBytes = 8;

 private:
  WorkloadConfig cfg_;
  Layout layout_;
  arch::gva_t a_ = 0, b_ = 0, c_ = 0;
  std::uint64_t n_ = 0, lo_ = 0, hi_ = 0, i_ = 0;
};

}  // namespace mmuvp::workloads
