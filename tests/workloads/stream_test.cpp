// stream: exact triad addresses, wrap-around, and the per-thread slices.
#include "workloads/stream.h"

#include <gtest/gtest.h>

#include "tests/workloads/test_util.h"

namespace mmuvp::workloads {
namespace {

using arch::AccessType;
using testing::collect;

TEST(Stream, ExactTriadAddressesAndWrap) {
  WorkloadConfig cfg;
  cfg.footprint = 3 * 8 * 1000 * 24;  // 24000 elements per array
  cfg.accesses = 3 * 24000 + 30;
  StreamWorkload w(cfg);
  ASSERT_EQ(w.elements(), 24000u);
  EXPECT_EQ(w.a_base(), cfg.heap_base);
  EXPECT_EQ(w.b_base() - w.a_base(), round_up(24000 * 8, kRegionAlign));
  const auto s = collect(w, cfg.accesses);
  for (std::size_t k = 0; k < s.size(); ++k) {
    const std::uint64_t i = (k / 3) % 24000;
    const MemAccess expect = k % 3 == 0 ? MemAccess{w.b_base() + 8 * i, 8, AccessType::kRead, 0, 6}
                             : k % 3 == 1
                                 ? MemAccess{w.c_base() + 8 * i, 8, AccessType::kRead, 0, 0}
                                 : MemAccess{w.a_base() + 8 * i, 8, AccessType::kWrite, 0, 0};
    ASSERT_EQ(s[k], expect) << "k=" << k;
  }
}

TEST(Stream, ThreadsSweepDisjointSlices) {
  WorkloadConfig cfg;
  cfg.footprint = 3 * 8 * 3001;  // 3001 elements, 3 threads: 1000, 1000, 1001
  cfg.threads = 3;
  std::uint64_t next_lo = 0;
  for (unsigned t = 0; t < 3; ++t) {
    cfg.thread = t;
    StreamWorkload w(cfg);
    EXPECT_EQ(w.slice_begin(), next_lo);
    next_lo = w.slice_end();
    cfg.accesses = 3 * (w.slice_end() - w.slice_begin()) + 3;
    StreamWorkload v(cfg);
    const auto s = collect(v, cfg.accesses);
    EXPECT_EQ(s.front().va, v.b_base() + 8 * v.slice_begin());
    EXPECT_EQ(s[s.size() - 4].va, v.a_base() + 8 * (v.slice_end() - 1));
    EXPECT_EQ(s[s.size() - 3].va, v.b_base() + 8 * v.slice_begin());  // next pass
  }
  EXPECT_EQ(next_lo, 3001u);
}

}  // namespace
}  // namespace mmuvp::workloads
