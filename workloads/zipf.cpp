// Zipfian: YCSB's generator.
#include "workloads/zipf.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace mmuvp::workloads {

double Zipfian::zeta(std::uint64_t n, double theta) {
  constexpr std::uint64_t kExactTerms = 1ull << 20;
  const std::uint64_t exact = std::min(n, kExactTerms);
  double sum = 0;
  // Smallest terms first: less rounding error.
  for (std::uint64_t i = exact; i >= 1; --i) sum += std::pow(static_cast<double>(i), -theta);
  if (n > exact) {
    const double e = 1.0 - theta;
    const double lo = static_cast<double>(exact) + 0.5, hi = static_cast<double>(n) + 0.5;
    sum += (std::pow(hi, e) - std::pow(lo, e)) / e;
  }
  return sum;
}

Zipfian::Zipfian(std::uint64_t n, double theta) : n_(n), theta_(theta) {
  if (n == 0) throw std::invalid_argument("zipfian: item count must be >= 1");
  if (!(theta > 0.0 && theta < 1.0)) {
    throw std::invalid_argument(fmt::format("zipfian: theta {} outside (0, 1)", theta));
  }
  alpha_ = 1.0 / (1.0 - theta);
  zetan_ = zeta(n, theta);
  const double zeta2 = zeta(2, theta);
  eta_ = n < 2
             ? 0.0
             : (1.0 - std::pow(2.0 / static_cast<double>(n), 1.0 - theta)) / (1.0 - zeta2 / zetan_);
  second_ = 1.0 + std::pow(0.5, theta);
}

std::uint64_t Zipfian::rank(double u) const {
  const double uz = u * zetan_;
  if (uz < 1.0 || n_ == 1) return 0;
  if (uz < second_) return 1;
  const double r = static_cast<double>(n_) * std::pow(eta_ * u - eta_ + 1.0, alpha_);
  return std::min<std::uint64_t>(static_cast<std::uint64_t>(r), n_ - 1);
}

}  // namespace mmuvp::workloads
