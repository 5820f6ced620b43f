// graph: the implicit R-MAT graph (degree distribution, CSR offsets, neighbour bit statistics)
// and the BFS access stream checked against a reference BFS over the materialised graph.
#include "workloads/graph.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <queue>
#include <set>

#include "tests/workloads/test_util.h"

namespace mmuvp::workloads {
namespace {

using arch::AccessType;
using testing::collect;

double binomial(unsigned n, unsigned k) {
  return std::exp(std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0));
}

TEST(Rmat, DegreesArePoissonAroundTheKroneckerExpectation) {
  RmatGraph g(RmatParams{16, 16, 0.57, 0.19, 0.19, 3});
  const unsigned s = g.scale();
  const std::uint64_t nv = g.vertices();
  // Expectations from the per-popcount rates: mean degree 2 * edgefactor, and the share of
  // isolated vertices sum_k C(s,k) exp(-lambda_k) / 2^s.
  double mean = 0, isolated = 0;
  for (unsigned k = 0; k <= s; ++k) {
    const double weight = binomial(s, k) / static_cast<double>(nv);
    mean += weight * g.expected_degree(k);
    isolated += weight * std::exp(-g.expected_degree(k));
  }
  EXPECT_NEAR(mean, 32.0, 1e-9);
  std::uint64_t zero = 0, max_degree = 0, sum = 0;
  std::vector<std::uint64_t> degrees(nv);
  for (std::uint64_t v = 0; v < nv; ++v) {
    degrees[v] = g.degree(v);
    sum += degrees[v];
    zero += degrees[v] == 0;
    max_degree = std::max(max_degree, degrees[v]);
  }
  EXPECT_EQ(sum, g.adjacency_entries());
  EXPECT_NEAR(static_cast<double>(sum) / nv, 32.0, 0.5);
  EXPECT_NEAR(static_cast<double>(zero) / nv, isolated, 0.01);
  EXPECT_GT(isolated, 0.2) << "R-MAT leaves many vertices isolated";
  // Skew: the largest degree, that of Kronecker label 0, is hundreds of times the mean; the top 1%
  // of vertices hold a large share of the edge endpoints (Erdos-Renyi would give them about 2%).
  const double lambda0 = g.expected_degree(0);
  EXPECT_NEAR(static_cast<double>(max_degree), lambda0, 5 * std::sqrt(lambda0));
  EXPECT_GT(max_degree, 500 * 32u);
  std::sort(degrees.rbegin(), degrees.rend());
  std::uint64_t top = 0;
  for (std::uint64_t i = 0; i < nv / 100; ++i) top += degrees[i];
  EXPECT_GT(static_cast<double>(top) / sum, 0.3);
  // The hub is label 0 (all bits on the heavy side), moved by the vertex permutation.
  EXPECT_EQ(g.degree(g.vertex_of(0)), max_degree);
  EXPECT_NE(g.vertex_of(0), 0u);
}

TEST(Rmat, OffsetsArePrefixSums) {
  RmatGraph g(RmatParams{12, 8, 0.57, 0.19, 0.19, 9});
  std::uint64_t sum = 0;
  for (std::uint64_t v = 0; v < g.vertices(); ++v) {
    ASSERT_EQ(g.offset(v), sum) << "v=" << v;
    ASSERT_EQ(g.label_of(g.vertex_of(v)), v);
    sum += g.degree(v);
  }
  EXPECT_EQ(sum, g.adjacency_entries());
}

TEST(Rmat, NeighbourBitsFollowTheQuadrantProbabilities) {
  const double a = 0.57, b = 0.19, c = 0.19, d = 1 - a - b - c;
  RmatGraph g(RmatParams{20, 16, a, b, c, 4});
  // Tally, over many (vertex, neighbour) pairs, neighbour bit i against vertex bit i.
  std::uint64_t ones[2] = {0, 0}, total[2] = {0, 0};
  for (std::uint64_t v = 0; v < 4000; ++v) {
    const std::uint64_t k = g.label_of(v);
    RmatGraph::Neighbors nb(g, v);
    for (std::uint64_t j = 0; j < 64; ++j) {
      const std::uint64_t n = nb.label(j);
      ASSERT_LT(n, g.vertices());
      ASSERT_EQ(g.label_of(nb(j)), n);
      for (unsigned i = 0; i < 20; ++i) {
        const unsigned kb = (k >> i) & 1;
        ++total[kb];
        ones[kb] += (n >> i) & 1;
      }
    }
  }
  const double p0 = static_cast<double>(ones[0]) / total[0];
  const double p1 = static_cast<double>(ones[1]) / total[1];
  EXPECT_NEAR(p0, b / (a + b), 0.005);  // 0.25
  EXPECT_NEAR(p1, d / (c + d), 0.005);  // 0.2083
}

TEST(Rmat, AsymmetricParametersKeepTheMeanDegree) {
  RmatGraph g(RmatParams{14, 16, 0.55, 0.1, 0.25, 2});
  EXPECT_NEAR(static_cast<double>(g.adjacency_entries()) / g.vertices(), 32.0, 1.0);
  RmatGraph::Neighbors nb(g, g.vertex_of(1));
  for (std::uint64_t j = 0; j < 1000; ++j) ASSERT_LT(nb(j), g.vertices());
  EXPECT_THROW(RmatGraph(RmatParams{14, 16, 0.6, 0.3, 0.2, 1}), std::invalid_argument);
  EXPECT_THROW(RmatGraph(RmatParams{2, 16, 0.57, 0.19, 0.19, 1}), std::invalid_argument);
}

// One BFS of the stream, decoded.
struct DecodedBfs {
  std::vector<std::uint64_t> discovered;  // in bfs_tree write order (root first)
  std::vector<std::uint64_t> expanded;    // in xoff read order
  std::uint64_t fill_writes = 0;
};

// Decodes the stream and checks its local structure as it goes.
std::vector<DecodedBfs> decode(const GraphWorkload& w, const std::vector<MemAccess>& s) {
  const auto& a = w.arrays();
  const RmatGraph& g = w.graph();
  const std::uint64_t nv = g.vertices();
  std::vector<DecodedBfs> out(1);
  std::uint64_t vlist_reads = 0, vlist_writes = 0;
  std::uint64_t cur = 0, cur_j = 0, cur_deg = 0;
  std::set<std::uint64_t> seen;
  std::size_t i = 0;
  auto in = [](arch::gva_t va, arch::gva_t base, std::uint64_t bytes) {
    return va >= base && va < base + bytes;
  };
  // The root: bfs_tree[root], vlist[0].
  auto start = [&](std::size_t at) {
    const std::uint64_t root = (s[at].va - a.bfs_tree) / 8;
    EXPECT_GT(g.degree(root), 0u);
    EXPECT_EQ(s[at + 1], (MemAccess{a.vlist, 8, AccessType::kWrite, 0, 0}));
    out.back().discovered.push_back(root);
    seen = {root};
    vlist_reads = 0;
    vlist_writes = 1;
  };
  start(0);
  i = 2;
  while (i + 4 < s.size() && !::testing::Test::HasFailure()) {
    const MemAccess& x = s[i];
    if (x.write() && x.insns == GraphWorkload::kInsnsPerFill) {  // -1 fill of the next BFS
      if (!out.back().expanded.empty()) out.emplace_back();      // a new BFS begins
      EXPECT_EQ(x.va, a.bfs_tree + 8 * out.back().fill_writes);
      ++out.back().fill_writes;
      ++i;
      if (out.back().fill_writes == nv) {
        start(i);
        i += 2;
      }
      continue;
    }
    if (in(x.va, a.vlist, 8 * nv) && !x.write()) {  // next frontier vertex
      EXPECT_EQ(x.va, a.vlist + 8 * vlist_reads++);
      EXPECT_EQ(cur_j, cur_deg) << "previous vertex fully scanned";
      const MemAccess& o = s[i + 1];
      EXPECT_TRUE(in(o.va, a.xoff, 16 * nv) && o.size == 16 && !o.write());
      cur = (o.va - a.xoff) / 16;
      EXPECT_TRUE(seen.count(cur)) << "only discovered vertices are expanded";
      out.back().expanded.push_back(cur);
      cur_j = 0;
      cur_deg = g.degree(cur);
      i += 2;
      continue;
    }
    // A neighbour: xadj[off + j], bfs_tree[w], and if new: bfs_tree[w] = v, vlist[tail] = w.
    EXPECT_LT(cur_j, cur_deg);
    EXPECT_EQ(x, (MemAccess{a.xadj + 8 * (g.offset(cur) + cur_j), 8, AccessType::kRead, 0,
                            GraphWorkload::kInsnsPerNeighbor}));
    const std::uint64_t nbr = RmatGraph::Neighbors(g, cur)(cur_j);
    EXPECT_EQ(s[i + 1], (MemAccess{a.bfs_tree + 8 * nbr, 8, AccessType::kRead, 0, 0}));
    i += 2;
    if (s[i].write() && s[i].va == a.bfs_tree + 8 * nbr) {
      EXPECT_TRUE(seen.insert(nbr).second) << "a vertex is discovered once";
      EXPECT_EQ(s[i + 1], (MemAccess{a.vlist + 8 * vlist_writes++, 8, AccessType::kWrite, 0, 0}));
      out.back().discovered.push_back(nbr);
      i += 2;
    } else {
      EXPECT_TRUE(seen.count(nbr)) << "a new vertex is always written";
    }
    ++cur_j;
  }
  return out;
}

// Level of every vertex reachable from root, by a plain BFS over the materialised graph.
std::map<std::uint64_t, unsigned> reference_levels(const RmatGraph& g, std::uint64_t root) {
  std::map<std::uint64_t, unsigned> level{{root, 0}};
  std::queue<std::uint64_t> q;
  q.push(root);
  while (!q.empty()) {
    const std::uint64_t v = q.front();
    q.pop();
    RmatGraph::Neighbors nb(g, v);
    for (std::uint64_t j = 0, d = g.degree(v); j < d; ++j) {
      if (level.emplace(nb(j), level[v] + 1).second) q.push(nb(j));
    }
  }
  return level;
}

TEST(Graph, BfsStreamMatchesAReferenceBfs) {
  WorkloadConfig cfg;
  cfg.footprint = 2 * kMiB;  // scale 12 at edgefactor 16 (288 bytes per vertex)
  cfg.seed = 21;
  cfg.accesses = 1'500'000;
  GraphWorkload w(cfg);
  ASSERT_EQ(w.graph().scale(), 12u);
  const auto s = collect(w, cfg.accesses);
  const std::vector<DecodedBfs> runs = decode(w, s);
  ASSERT_FALSE(::testing::Test::HasFailure());
  ASSERT_GE(runs.size(), 3u) << "several BFS runs fit in the stream";
  for (std::size_t r = 0; r + 1 < runs.size(); ++r) {  // the last may be cut short
    const DecodedBfs& run = runs[r];
    EXPECT_EQ(run.fill_writes, r == 0 ? 0u : w.graph().vertices()) << "run " << r;
    EXPECT_EQ(run.discovered.front(), w.root(r));
    const auto levels = reference_levels(w.graph(), w.root(r));
    // Same reached set, every reached vertex expanded once, in non-decreasing BFS level.
    EXPECT_EQ(run.discovered.size(), levels.size()) << "run " << r;
    EXPECT_EQ(run.expanded.size(), levels.size()) << "run " << r;
    EXPECT_EQ(std::set<std::uint64_t>(run.expanded.begin(), run.expanded.end()).size(),
              levels.size());
    for (std::size_t k = 1; k < run.expanded.size(); ++k) {
      ASSERT_LE(levels.at(run.expanded[k - 1]), levels.at(run.expanded[k])) << "run " << r;
    }
    // Within a level, the order is scrambled (not by vertex number).
    std::size_t ascending = 0;
    for (std::size_t k = 1; k < run.expanded.size(); ++k) {
      ascending += run.expanded[k - 1] < run.expanded[k];
    }
    EXPECT_LT(ascending, run.expanded.size() * 3 / 4);
  }
}

TEST(Graph, ThreadsSplitTheExpansions) {
  WorkloadConfig cfg;
  cfg.footprint = 2 * kMiB;
  cfg.seed = 8;
  cfg.accesses = 1'000'000;  // covers the whole first BFS
  GraphWorkload single(cfg);
  // Count the neighbour scans of the first BFS (before any -1 fill) per stream.
  auto count_first_bfs = [](const GraphWorkload& w, const std::vector<MemAccess>& s) {
    std::uint64_t xadj = 0;
    for (const MemAccess& x : s) {
      if (x.write() && x.insns == GraphWorkload::kInsnsPerFill) break;
      xadj += x.va >= w.arrays().xadj && x.va < w.arrays().bfs_tree;
    }
    return xadj;
  };
  const std::uint64_t total = count_first_bfs(single, collect(single, cfg.accesses));
  cfg.threads = 2;
  std::uint64_t split = 0;
  for (unsigned t = 0; t < 2; ++t) {
    cfg.thread = t;
    GraphWorkload w(cfg);
    const std::uint64_t mine = count_first_bfs(w, collect(w, cfg.accesses));
    EXPECT_GT(mine, total / 4) << "thread " << t;
    split += mine;
  }
  EXPECT_EQ(split, total);
}

TEST(Graph, ScaleFromFootprint) {
  WorkloadConfig cfg;
  cfg.footprint = 4 * kGiB;
  cfg.accesses = 1000;
  cfg.graph_edgefactor = 16;
  // 2^23 * 288 bytes = 2.25 GiB <= 4 GiB < 2^24 * 288; constructing scale 23 takes a moment.
  GraphWorkload w(cfg);
  EXPECT_EQ(w.graph().scale(), 23u);
  EXPECT_NE(w.describe().find("scale 23"), std::string::npos);
}

}  // namespace
}  // namespace mmuvp::workloads
