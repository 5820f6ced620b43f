// cg: NPB CG-like conjugate gradient on a random sparse matrix in CSR form.
//
// n rows with exactly k = cg_nnz_per_row nonzeros each (n sized from the footprint). Row i's
// columns are its diagonal and k-1 seeded pseudo-random columns, one in each of k equal column
// strata (so they are sorted, distinct and spread over the whole vector, like NPB's makea rows).
// Arrays: rowptr (n+1 x int64), colidx (n*k x int32), val (n*k x double), and the vectors x, z,
// p, q, r (n x double), each its own heap array.
// One outer iteration (NPB's conj_grad + norm), every loop over this thread's rows:
//   init   q=z=0, r=p=x          rho    rho = r.r
//   25 x { spmv  q = A p  (per row: read rowptr[i+1]; per nz: read colidx[k], val[k], p[col];
//                          write q[i])
//          dot   p.q         axpy  z += a p, r -= a q     dot  r.r     p = r + b p }
//   spmv   r = A z           resid (x - r).(x - r)        norms x.z, z.z     scale x = c z
// The stream enters at the first spmv (NPB runs one untimed conj_grad to warm up before timing);
// init and rho run at the start of every later outer iteration.
// Threads: thread t runs rows [n*t/T, n*(t+1)/T) of every loop (OpenMP static schedule).
#pragma once
#include <cstdint>

#include "workloads/batch.h"
#include "workloads/config.h"
#include "workloads/layout.h"

namespace mmuvp::workloads {

class CgWorkload final : public BatchedWorkload<CgWorkload, 6> {
 public:
  explicit CgWorkload(const WorkloadConfig& cfg);

  std::string name() const override { return "cg"; }
  std::string describe() const override;
  std::vector<Region> regions() const override { return layout_.regions(); }

  enum class Phase : std::uint8_t {
    kInit,
    kRho,
    kSpmvP,
    kDotPQ,
    kAxpy,
    kDotRR,
    kUpdateP,
    kSpmvZ,
    kResid,
    kNorms,
    kScale,
  };
  static constexpr unsigned kInnerIterations = 25;  // NPB cgitmax

  std::uint64_t rows() const { return n_; }
  unsigned nnz_per_row() const { return k_; }
  // Column of the s-th nonzero of row i (ascending in s).
  std::uint64_t column(std::uint64_t i, unsigned s) const;

  struct Arrays {
    arch::gva_t rowptr, colidx, val, x, z, p, q, r;
  };
  const Arrays& arrays() const { return a_; }

  std::size_t step(MemAccess* out);
  void restart();

  static constexpr std::uint16_t kInsnsPerNonzero = 6;  // 3 loads, fma, index, loop control
  static constexpr std::uint16_t kInsnsPerRow = 6;      // row bounds, reduction, store
  static constexpr std::uint16_t kInsnsPerVectorElement = 4;

 private:
  std::size_t spmv_step(MemAccess* out, arch::gva_t vec_in, arch::gva_t vec_out);
  std::size_t vector_step(MemAccess* out);
  void next_phase();
  // Starts the strata walk of row_.
  void begin_row();

  WorkloadConfig cfg_;
  Layout layout_;
  Arrays a_{};
  std::uint64_t n_ = 0;
  unsigned k_ = 0;
  std::uint64_t lo_ = 0, hi_ = 0;
  std::uint64_t stratum_q_ = 0, stratum_rem_ = 0;  // n = q k + rem

  Phase phase_ = Phase::kInit;
  unsigned inner_ = 0;     // inner iterations done in this outer iteration
  std::uint64_t row_ = 0;  // current row
  unsigned s_ = 0;         // current nonzero of the row
  std::uint64_t stratum_lo_ = 0, stratum_acc_ = 0;
  unsigned diag_stratum_ = 0;
};

}  // namespace mmuvp::workloads
