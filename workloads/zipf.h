// The YCSB zipfian generator (Gray et al., "Quickly generating billion-record synthetic
// databases", as used by YCSB's ZipfianGenerator): rank r in [0, n) with P(r) ~ 1 / (r+1)^theta,
// drawn in O(1) from one uniform number after an O(1)-amortised setup. Ranks 0 and 1 are exact;
// the rest follow the closed-form approximation YCSB uses.
#pragma once
#include <cstdint>

namespace mmuvp::workloads {

class Zipfian {
 public:
  // 0 < theta < 1 (YCSB's default 0.99); n >= 1. Throws std::invalid_argument otherwise.
  Zipfian(std::uint64_t n, double theta);
  Zipfian() : Zipfian(1, 0.5) {}

  // Rank for a uniform u in [0, 1).
  std::uint64_t rank(double u) const;

  std::uint64_t items() const { return n_; }
  double theta() const { return theta_; }
  double zetan() const { return zetan_; }

  // sum_{i=1}^{n} i^-theta: exact for the first 2^20 terms, the rest by the midpoint rule on the
  // integral (relative error far below 1e-9 there).
  static double zeta(std::uint64_t n, double theta);

 private:
  std::uint64_t n_;
  double theta_;
  double alpha_;
  double zetan_;
  double eta_;
  double second_;  // 1 + 0.5^theta: the cumulative weight of ranks 0 and 1
};

}  // namespace mmuvp::workloads
