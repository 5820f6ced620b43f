// A Graph500 R-MAT/Kronecker graph that is never stored: every vertex's degree and neighbours are
// deterministic functions of (seed, vertex), so a BFS over a graph of billions of edges needs only
// a few bits of host memory per vertex.
//
// The Kronecker generator drops each of ne = edgefactor * 2^scale edges into quadrant A/B/C/D of
// the adjacency matrix at each of `scale` levels. For a vertex with Kronecker label k, the chance
// that an edge has k as its row is prod_i (k_i ? C+D : A+B), as its column prod_i (k_i ? B+D :
// A+C): both depend only on popcount(k). So:
//   degree(k) ~ Poisson(ne * (P_row(k) + P_col(k)))      (undirected: both endpoints count)
//   a neighbour of k is the other end of such an edge: with probability P_row/(P_row+P_col) its
//   bits are drawn given k as the row (bit i is 1 with probability B/(A+B) where k_i = 0, D/(C+D)
//   where k_i = 1), otherwise given k as the column (C/(A+C), D/(B+D)).
// Bits are drawn 8 at a time from alias tables indexed by the 8 bits of k, 32 hash bits each.
// As in Graph500, vertex numbers are a seeded permutation of Kronecker labels, so hubs are spread
// through the arrays. CSR offsets (prefix sums of degrees) are kept for every 32nd vertex (8 bytes
// per 32 vertices) and completed by summing at most 31 degrees.
// Neighbour lists are sampled independently per vertex (w in N(v) does not imply v in N(w)); the
// degree distribution and the neighbour distribution are those of the R-MAT graph.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "workloads/random.h"

namespace mmuvp::workloads {

struct RmatParams {
  unsigned scale = 16;
  unsigned edgefactor = 16;
  double a = 0.57, b = 0.19, c = 0.19;  // d = 1 - a - b - c
  std::uint64_t seed = 1;
};

class RmatGraph {
 public:
  static constexpr unsigned kMinScale = 4;
  static constexpr unsigned kMaxScale = 40;
  static constexpr unsigned kChunkBits = 8;
  static constexpr unsigned kMaxChunks = (kMaxScale + kChunkBits - 1) / kChunkBits;
  static constexpr unsigned kOffsetBlock = 32;

  // Throws std::invalid_argument on a bad scale or R-MAT parameters. Computes every degree once.
  explicit RmatGraph(const RmatParams& params);

  unsigned scale() const { return p_.scale; }
  std::uint64_t vertices() const { return 1ull << p_.scale; }
  std::uint64_t generated_edges() const { return ne_; }
  // Sum of all degrees: the length of the CSR adjacency array.
  std::uint64_t adjacency_entries() const { return block_offset_.back(); }
  const RmatParams& params() const { return p_; }

  std::uint64_t label_of(std::uint64_t v) const { return perm_.inverse(v); }
  std::uint64_t vertex_of(std::uint64_t label) const { return perm_.forward(label); }

  // Expected degree of a vertex whose label has `ones` bits set.
  double expected_degree(unsigned ones) const { return lambda_[ones]; }
  std::uint64_t degree(std::uint64_t v) const;
  // CSR offset: sum of degree(u) for u < v.
  std::uint64_t offset(std::uint64_t v) const;

  // Draws the neighbours of one vertex; cheap to construct, one call per neighbour.
  class Neighbors {
   public:
    Neighbors(const RmatGraph& g, std::uint64_t v);
    std::uint64_t operator()(std::uint64_t j) const { return g_->vertex_of(label(j)); }
    // Kronecker label of the j-th neighbour.
    std::uint64_t label(std::uint64_t j) const;

   private:
    const RmatGraph* g_;
    std::uint64_t key_;
    std::uint32_t row_threshold_;  // family choice: as-row when the draw is below it
    std::array<const std::uint32_t*, kMaxChunks> row_{}, col_{};
    std::array<std::uint32_t, kMaxChunks> slot_mask_{};
  };

 private:
  std::uint64_t degree_of_label(std::uint64_t v, std::uint64_t label) const;
  // Alias tables for one family and chunk width: 2^w patterns x 2^w outcomes, each entry
  // (24-bit threshold << 8) | alias.
  static std::vector<std::uint32_t> build_tables(unsigned width, double p_one_given_zero,
                                                 double p_one_given_one);

  RmatParams p_;
  std::uint64_t ne_ = 0;
  Bijection perm_;
  std::uint64_t degree_key_ = 0, neighbor_key_ = 0;
  std::vector<double> lambda_;                    // by popcount
  std::vector<std::vector<double>> poisson_cdf_;  // by popcount, for small lambda
  std::vector<std::uint32_t> row_prob_;           // by popcount: P(as row) * 2^32
  bool symmetric_ = false;                        // b == c: both families coincide
  unsigned chunks_ = 0;
  // [family][width == kChunkBits ? 0 : 1]
  std::array<std::array<std::vector<std::uint32_t>, 2>, 2> tables_;
  std::vector<std::uint64_t> block_offset_;  // offset(32 i), plus the total at the end
};

}  // namespace mmuvp::workloads
