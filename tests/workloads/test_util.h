// Helpers shared by the workload tests.
#pragma once
#include <cstddef>
#include <vector>

#include "workloads/access.h"
#include "workloads/config.h"

namespace mmuvp::workloads::testing {

// Drains up to `limit` accesses in batches of `batch`.
inline std::vector<MemAccess> collect(Workload& w, std::size_t limit, std::size_t batch = 4096) {
  std::vector<MemAccess> out;
  std::vector<MemAccess> buf(batch);
  while (out.size() < limit) {
    const std::size_t n = w.next(buf.data(), std::min(batch, limit - out.size()));
    if (n == 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return out;
}

// A small configuration: big enough to leave the TLBs' reach, small enough for fast tests.
inline WorkloadConfig small_config(std::uint64_t footprint = 64 * kMiB,
                                   std::uint64_t accesses = 200'000, std::uint64_t seed = 7) {
  WorkloadConfig cfg;
  cfg.footprint = footprint;
  cfg.accesses = accesses;
  cfg.seed = seed;
  cfg.cg_nnz_per_row = 16;
  return cfg;
}

}  // namespace mmuvp::workloads::testing
