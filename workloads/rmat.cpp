// RmatGraph: degrees, CSR offsets and neighbour sampling of the implicit R-MAT graph.
#include "workloads/rmat.h"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace mmuvp::workloads {
namespace {

constexpr double kPoissonTableMaxLambda = 64;  // above: normal approximation
constexpr double kPoissonTail = 1e-16;
constexpr unsigned kThresholdBits = 24;
constexpr std::uint32_t kThresholdMax = (1u << kThresholdBits) - 1;
constexpr double kTwoPi = 6.283185307179586476925286766559;

}  // namespace

std::vector<std::uint32_t> RmatGraph::build_tables(unsigned width, double p_one_given_zero,
                                                   double p_one_given_one) {
  const std::uint32_t outcomes = 1u << width;
  std::vector<std::uint32_t> table(static_cast<std::size_t>(outcomes) * outcomes);
  std::vector<double> scaled(outcomes);
  std::vector<std::uint32_t> small, large;
  for (std::uint32_t pattern = 0; pattern < outcomes; ++pattern) {
    for (std::uint32_t o = 0; o < outcomes; ++o) {
      double p = 1;
      for (unsigned i = 0; i < width; ++i) {
        const double p1 = ((pattern >> i) & 1) ? p_one_given_one : p_one_given_zero;
        p *= ((o >> i) & 1) ? p1 : 1 - p1;
      }
      scaled[o] = p * outcomes;
    }
    // Vose's alias method.
    std::uint32_t* row = &table[static_cast<std::size_t>(pattern) * outcomes];
    small.clear();
    large.clear();
    for (std::uint32_t o = 0; o < outcomes; ++o) (scaled[o] < 1 ? small : large).push_back(o);
    while (!small.empty() && !large.empty()) {
      const std::uint32_t s = small.back(), l = large.back();
      small.pop_back();
      const auto thr = static_cast<std::uint32_t>(
          std::min(std::round(scaled[s] * (1u << kThresholdBits)), double{kThresholdMax}));
      row[s] = (thr << 8) | l;
      scaled[l] -= 1 - scaled[s];
      if (scaled[l] < 1) {
        large.pop_back();
        small.push_back(l);
      }
    }
    for (std::uint32_t o : large) row[o] = (kThresholdMax << 8) | o;
    for (std::uint32_t o : small) row[o] = (kThresholdMax << 8) | o;  // rounding leftovers
  }
  return table;
}

RmatGraph::RmatGraph(const RmatParams& params) : p_(params) {
  const unsigned s = p_.scale;
  if (s < kMinScale || s > kMaxScale) {
    throw std::invalid_argument(
        fmt::format("rmat: scale {} outside {}..{}", s, kMinScale, kMaxScale));
  }
  if (p_.edgefactor == 0) throw std::invalid_argument("rmat: edgefactor must be >= 1");
  const double a = p_.a, b = p_.b, c = p_.c, d = 1 - a - b - c;
  if (!(a > 0 && b > 0 && c > 0 && d > 0)) {
    throw std::invalid_argument(
        fmt::format("rmat: parameters a={} b={} c={} need a, b, c > 0 and a + b + c < 1", a, b, c));
  }
  ne_ = static_cast<std::uint64_t>(p_.edgefactor) << s;
  perm_ = Bijection(vertices(), hash2(p_.seed, 0x7065726du));
  degree_key_ = hash2(p_.seed, 0x646567u);
  neighbor_key_ = hash2(p_.seed, 0x6e6272u);
  symmetric_ = b == c;

  lambda_.resize(s + 1);
  poisson_cdf_.resize(s + 1);
  row_prob_.resize(s + 1);
  for (unsigned ones = 0; ones <= s; ++ones) {
    const double zeros = s - ones;
    const double as_row = std::pow(a + b, zeros) * std::pow(c + d, ones);
    const double as_col = std::pow(a + c, zeros) * std::pow(b + d, ones);
    const double lambda = static_cast<double>(ne_) * (as_row + as_col);
    lambda_[ones] = lambda;
    row_prob_[ones] = static_cast<std::uint32_t>(
        std::min(std::ldexp(as_row / (as_row + as_col), 32), 4294967295.0));
    if (lambda <= kPoissonTableMaxLambda) {
      std::vector<double>& cdf = poisson_cdf_[ones];
      double pk = std::exp(-lambda), sum = 0;
      for (unsigned k = 0; sum < 1 - kPoissonTail && pk > 0; ++k) {
        sum += pk;
        cdf.push_back(sum);
        pk *= lambda / (k + 1);
      }
      if (cdf.empty()) cdf.push_back(1);
    }
  }

  chunks_ = (s + kChunkBits - 1) / kChunkBits;
  const unsigned last_width = s % kChunkBits;
  tables_[0][0] = build_tables(kChunkBits, b / (a + b), d / (c + d));
  if (last_width) tables_[0][1] = build_tables(last_width, b / (a + b), d / (c + d));
  if (!symmetric_) {
    tables_[1][0] = build_tables(kChunkBits, c / (a + c), d / (b + d));
    if (last_width) tables_[1][1] = build_tables(last_width, c / (a + c), d / (b + d));
  }

  const std::uint64_t nv = vertices();
  const std::uint64_t blocks = (nv + kOffsetBlock - 1) / kOffsetBlock;
  block_offset_.assign(blocks + 1, 0);
  std::uint64_t sum = 0;
  for (std::uint64_t v = 0; v < nv; ++v) {
    if (v % kOffsetBlock == 0) block_offset_[v / kOffsetBlock] = sum;
    sum += degree(v);
  }
  block_offset_[blocks] = sum;
}

std::uint64_t RmatGraph::degree_of_label(std::uint64_t v, std::uint64_t label) const {
  const unsigned ones = static_cast<unsigned>(__builtin_popcountll(label));
  const std::uint64_t h = hash2(degree_key_, v);
  const std::vector<double>& cdf = poisson_cdf_[ones];
  if (!cdf.empty()) {
    const double u = to_unit(h);
    std::uint64_t k = 0;
    while (k + 1 < cdf.size() && u >= cdf[k]) ++k;
    return k;
  }
  // Normal approximation (Box-Muller on the two 32-bit halves of the hash).
  const double u1 = (static_cast<double>(h >> 32) + 1) * 0x1p-32;  // (0, 1]
  const double u2 = static_cast<double>(h & 0xffffffffu) * 0x1p-32;
  const double z = std::sqrt(-2 * std::log(u1)) * std::cos(kTwoPi * u2);
  const double lambda = lambda_[ones];
  const double deg = std::round(lambda + std::sqrt(lambda) * z);
  return deg > 0 ? static_cast<std::uint64_t>(deg) : 0;
}

std::uint64_t RmatGraph::degree(std::uint64_t v) const { return degree_of_label(v, label_of(v)); }

std::uint64_t RmatGraph::offset(std::uint64_t v) const {
  const std::uint64_t block = v / kOffsetBlock;
  std::uint64_t sum = block_offset_[block];
  for (std::uint64_t u = block * kOffsetBlock; u < v; ++u) sum += degree(u);
  return sum;
}

RmatGraph::Neighbors::Neighbors(const RmatGraph& g, std::uint64_t v)
    : g_(&g), key_(hash2(g.neighbor_key_, v)) {
  const std::uint64_t k = g.label_of(v);
  row_threshold_ = g.row_prob_[__builtin_popcountll(k)];
  const unsigned s = g.p_.scale;
  for (unsigned c = 0; c < g.chunks_; ++c) {
    const unsigned lo = c * kChunkBits;
    const unsigned width = std::min(kChunkBits, s - lo);
    const unsigned which = width == kChunkBits ? 0 : 1;
    const std::size_t pattern = (k >> lo) & ((1u << width) - 1);
    slot_mask_[c] = (1u << width) - 1;
    row_[c] = &g.tables_[0][which][pattern << width];
    col_[c] = &g.tables_[g.symmetric_ ? 0 : 1][which][pattern << width];
  }
}

std::uint64_t RmatGraph::Neighbors::label(std::uint64_t j) const {
  // 32-bit draws: the halves of mix64(key + j*gamma) and, when more are needed, of
  // mix64((key + j*gamma) ^ m*gamma2) for m = 1, 2.
  const std::uint64_t base = key_ + j * kGoldenGamma;
  std::uint64_t words[(kMaxChunks + 2) / 2];
  const unsigned draws = g_->chunks_ + (g_->symmetric_ ? 0 : 1);
  words[0] = mix64(base);
  for (unsigned m = 1; 2 * m < draws; ++m) words[m] = mix64(base ^ (m * 0xd1b54a32d192ed03ull));
  unsigned d = 0;
  auto draw = [&]() {
    const auto r = static_cast<std::uint32_t>(words[d / 2] >> (32 * (d % 2)));
    ++d;
    return r;
  };
  const bool as_row = g_->symmetric_ || draw() < row_threshold_;
  const std::array<const std::uint32_t*, kMaxChunks>& rows = as_row ? row_ : col_;
  std::uint64_t label = 0;
  for (unsigned c = 0; c < g_->chunks_; ++c) {
    const std::uint32_t r = draw();
    const std::uint32_t slot = r & slot_mask_[c];
    const std::uint32_t entry = rows[c][slot];
    // Branch-free select: the outcome is unpredictable by design.
    const std::uint32_t keep = 0u - static_cast<std::uint32_t>((r >> 8) < (entry >> 8));
    const std::uint32_t out = (slot & keep) | (entry & 0xff & ~keep);
    label |= static_cast<std::uint64_t>(out) << (c * kChunkBits);
  }
  return label;
}

}  // namespace mmuvp::workloads
