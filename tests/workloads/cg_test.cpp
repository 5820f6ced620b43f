// cg: CSR structure (exact nonzeros per row, sorted distinct columns with the diagonal), the
// sparse matrix-vector access pattern, and the loop order of one CG iteration.
#include "workloads/cg.h"

#include <gtest/gtest.h>

#include <map>

#include "tests/workloads/test_util.h"

namespace mmuvp::workloads {
namespace {

using arch::AccessType;
using testing::collect;

WorkloadConfig cg_config() {
  WorkloadConfig cfg;
  cfg.footprint = 1 * kMiB;
  cfg.cg_nnz_per_row = 16;
  cfg.seed = 11;
  return cfg;
}

TEST(Cg, RowsFromFootprint) {
  CgWorkload w(cg_config());
  // 8 (rowptr) + 16 * 12 (colidx + val) + 5 * 8 (vectors) = 240 bytes per row.
  EXPECT_EQ(w.rows(), kMiB / 240);
  EXPECT_EQ(w.nnz_per_row(), 16u);
}

TEST(Cg, ColumnsSortedDistinctWithDiagonalAndSpread) {
  CgWorkload w(cg_config());
  const std::uint64_t n = w.rows();
  const unsigned k = w.nnz_per_row();
  double sum = 0;
  std::uint64_t differing_rows = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    bool diag = false;
    for (unsigned s = 0; s < k; ++s) {
      const std::uint64_t c = w.column(i, s);
      ASSERT_LT(c, n);
      if (s > 0) {
        ASSERT_LT(w.column(i, s - 1), c) << "row " << i;
      }
      diag |= c == i;
      // Stratum s covers [n s / k, n (s+1) / k).
      ASSERT_GE(c, n * s / k);
      ASSERT_LT(c, n * (s + 1) / k);
      sum += static_cast<double>(c);
    }
    EXPECT_TRUE(diag) << "row " << i;
    if (i > 0 && w.column(i, k / 2) != w.column(i - 1, k / 2)) ++differing_rows;
  }
  EXPECT_NEAR(sum / static_cast<double>(n * k) / static_cast<double>(n), 0.5, 0.01);
  EXPECT_GT(differing_rows, n * 9 / 10) << "columns are pseudo-random per row";
}

TEST(Cg, FirstSpmvHasExactNonzeroCountsAndGathers) {
  const WorkloadConfig base = cg_config();
  CgWorkload probe(base);
  const std::uint64_t n = probe.rows();
  const unsigned k = probe.nnz_per_row();
  WorkloadConfig cfg = base;
  cfg.accesses = n * (2 + 3 * k) + 2;  // one q = A p, then the first element of p.q
  CgWorkload w(cfg);
  const auto& a = w.arrays();
  const auto s = collect(w, cfg.accesses);
  ASSERT_EQ(s.size(), cfg.accesses);
  std::size_t pos = 0;
  std::map<std::uint64_t, unsigned> nnz_per_row;
  for (std::uint64_t i = 0; i < n; ++i) {
    ASSERT_EQ(s[pos++], (MemAccess{a.rowptr + 8 * (i + 1), 8, AccessType::kRead, 0,
                                   CgWorkload::kInsnsPerRow}));
    for (unsigned j = 0; j < k; ++j) {
      const std::uint64_t nz = i * k + j;
      ASSERT_EQ(s[pos++], (MemAccess{a.colidx + 4 * nz, 4, AccessType::kRead, 0,
                                     CgWorkload::kInsnsPerNonzero}));
      ASSERT_EQ(s[pos++], (MemAccess{a.val + 8 * nz, 8, AccessType::kRead, 0, 0}));
      ASSERT_EQ(s[pos++], (MemAccess{a.p + 8 * w.column(i, j), 8, AccessType::kRead, 0, 0}))
          << "row " << i << " nz " << j;
      ++nnz_per_row[i];
    }
    ASSERT_EQ(s[pos++], (MemAccess{a.q + 8 * i, 8, AccessType::kWrite, 0, 0}));
  }
  EXPECT_EQ(nnz_per_row.size(), n);
  for (const auto& [row, count] : nnz_per_row) ASSERT_EQ(count, k) << "row " << row;
  // Then d = p.q starts at row 0.
  EXPECT_EQ(s[pos].va, a.p);
  EXPECT_EQ(s[pos + 1].va, a.q);
}

TEST(Cg, IterationLoopOrder) {
  // Count, per array, the accesses of one full inner iteration (spmv + 4 vector loops) and of
  // the whole outer iteration; check them against the loop bodies.
  WorkloadConfig cfg = cg_config();
  CgWorkload probe(cfg);
  const std::uint64_t n = probe.rows(), k = probe.nnz_per_row();
  const std::uint64_t spmv = n * (2 + 3 * k);
  const std::uint64_t inner = spmv + n * (2 + 6 + 1 + 3);
  const std::uint64_t tail = spmv + n * (2 + 2 + 2);  // spmv z, resid, norms, scale
  const std::uint64_t head = n * (5 + 1);             // init, rho
  cfg.accesses = CgWorkload::kInnerIterations * inner + tail + head + spmv;
  CgWorkload w(cfg);
  const auto& a = w.arrays();
  const auto s = collect(w, cfg.accesses);
  ASSERT_EQ(s.size(), cfg.accesses);
  std::map<std::string, std::uint64_t> reads, writes;
  const std::vector<std::pair<std::string, arch::gva_t>> names = {
      {"x", a.x}, {"z", a.z}, {"p", a.p}, {"q", a.q}, {"r", a.r}};
  auto vec_of = [&](arch::gva_t va) -> std::string {
    for (const auto& [name, base] : names) {
      if (va >= base && va < base + 8 * n) return name;
    }
    return "matrix";
  };
  const std::uint64_t first_outer = CgWorkload::kInnerIterations * inner + tail;
  for (std::uint64_t i = 0; i < first_outer; ++i) {
    (s[i].write() ? writes : reads)[vec_of(s[i].va)]++;
  }
  const std::uint64_t it = CgWorkload::kInnerIterations;
  EXPECT_EQ(reads["p"], it * (n * k + n + n + n));  // gather, dot p.q, axpy, p update
  EXPECT_EQ(writes["q"], it * n);
  EXPECT_EQ(reads["q"], it * (n + n));  // dot, axpy
  EXPECT_EQ(writes["z"], it * n);
  EXPECT_EQ(reads["z"], it * n + n * k + n + n);  // axpy; spmv z; norms; scale
  EXPECT_EQ(writes["r"], it * n + n);             // axpy; r = A z
  EXPECT_EQ(writes["x"], n);                      // scale
  EXPECT_EQ(reads["x"], 2 * n);                   // resid, norms
  // The next outer iteration starts with init (q z r p written from x) and rho.
  EXPECT_EQ(s[first_outer], (MemAccess{a.q, 8, AccessType::kWrite, 0, 4}));
  EXPECT_EQ(s[first_outer + 2].va, a.x);
  EXPECT_EQ(s[first_outer + head], (MemAccess{a.rowptr + 8, 8, AccessType::kRead, 0, 6}));
}

TEST(Cg, ThreadsRunDisjointRows) {
  WorkloadConfig cfg = cg_config();
  cfg.threads = 3;
  std::uint64_t covered = 0;
  for (unsigned t = 0; t < 3; ++t) {
    cfg.thread = t;
    CgWorkload probe(cfg);
    const std::uint64_t lo = probe.rows() * t / 3, hi = probe.rows() * (t + 1) / 3;
    cfg.accesses = (hi - lo) * (2 + 3 * 16);
    CgWorkload w(cfg);
    const auto s = collect(w, cfg.accesses);
    EXPECT_EQ(s.front().va, w.arrays().rowptr + 8 * (lo + 1));
    EXPECT_EQ(s.back().va, w.arrays().q + 8 * (hi - 1));
    covered += hi - lo;
  }
  EXPECT_EQ(covered, CgWorkload(cfg).rows());
}

}  // namespace
}  // namespace mmuvp::workloads
