// graph: Graph500-like top-down BFS over an implicit R-MAT graph (RmatGraph).
//
// Scale s is the largest with 2^s * (32 + 16 * edgefactor) bytes <= footprint. Arrays as in the
// Graph500 reference CSR code: xoff (start/end offset pairs, 16 bytes per vertex), xadj (int64
// neighbour ids), bfs_tree (int64 parent per vertex) and vlist (the int64 BFS queue).
// One BFS (roots drawn from the seed among vertices of non-zero degree):
//   bfs_tree[*] = -1 (sequential writes; skipped for the very first BFS, which the stream enters
//   right at its root); bfs_tree[root] = root; vlist[0] = root;
//   per level, for each frontier vertex v: read vlist[head++]; read xoff[2v..2v+1];
//     per neighbour j: read xadj[off + j]; w = that id; read bfs_tree[w];
//       if w is new: write bfs_tree[w]; write vlist[tail++].
// The host keeps visited / frontier / next-frontier bitmaps (3 bits per vertex) to decide the
// order. Within a level, frontier vertices are taken in a seeded random order (a bijection of all
// vertex ids), which is what the discovery order of a BFS over randomly numbered vertices looks
// like, without storing the queue.
// Threads: all threads run the same BFS; the i-th frontier vertex expanded in a level belongs to
// thread i % T (only it emits that vertex's accesses), the -1 fill is split in T slices, thread 0
// writes the root. Every thread's generator does the whole BFS's bookkeeping.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "workloads/batch.h"
#include "workloads/config.h"
#include "workloads/layout.h"
#include "workloads/rmat.h"

namespace mmuvp::workloads {

class GraphWorkload final : public BatchedWorkload<GraphWorkload, 4> {
 public:
  explicit GraphWorkload(const WorkloadConfig& cfg);

  std::string name() const override { return "graph"; }
  std::string describe() const override;
  std::vector<Region> regions() const override { return layout_.regions(); }

  const RmatGraph& graph() const { return *graph_; }
  struct Arrays {
    arch::gva_t xoff, xadj, bfs_tree, vlist;
  };
  const Arrays& arrays() const { return a_; }
  // Root of BFS number `index` (0, 1, ...).
  std::uint64_t root(std::uint64_t index) const;
  // BFS runs started so far (the current one included) and vertices it has reached.
  std::uint64_t bfs_started() const { return bfs_index_ + 1; }
  std::uint64_t reached() const { return tail_; }

  std::size_t step(MemAccess* out);
  void restart();

  static constexpr std::uint16_t kInsnsPerVertex = 8;    // queue pop, offsets, loop setup
  static constexpr std::uint16_t kInsnsPerNeighbor = 7;  // load id, load parent, compare, loop
  static constexpr std::uint16_t kInsnsPerFill = 2;
  static constexpr std::uint64_t kWord = 8;

 private:
  enum class Phase : std::uint8_t { kFill, kRoot, kScan, kExpand };
  void start_bfs();
  void start_level();
  // Next frontier vertex of the level in its random order, or nullopt when the level is done.
  std::optional<std::uint64_t> next_frontier_vertex();
  std::size_t expand_step(MemAccess* out);

  WorkloadConfig cfg_;
  Layout layout_;
  std::unique_ptr<RmatGraph> graph_;
  Arrays a_{};
  std::uint64_t nv_ = 0;
  // Host bitmaps. visited and next-frontier bits of 64 vertices share a cache line, since both
  // are touched at random for every neighbour; the frontier is read in the level scan only.
  struct MarkWord {
    std::uint64_t visited = 0, next = 0;
  };
  std::vector<MarkWord> marks_;
  std::vector<std::uint64_t> frontier_;

  Phase phase_ = Phase::kRoot;
  std::uint64_t bfs_index_ = 0;
  std::uint64_t fill_i_ = 0, fill_end_ = 0;
  std::uint64_t level_ = 0;
  // A level's order: a small frontier is listed and shuffled; a big one is found by walking all
  // ids through a seeded bijection (stopping once every frontier vertex was taken).
  bool listed_ = false;
  std::vector<std::uint64_t> list_;
  Bijection order_;
  std::uint64_t scan_i_ = 0;
  std::uint64_t frontier_count_ = 0;  // vertices in frontier_
  std::uint64_t next_count_ = 0;      // vertices in next_
  std::uint64_t expanded_ = 0;        // frontier vertices expanded in this level
  std::uint64_t head_ = 0, tail_ = 0;
  // The vertex being expanded. Neighbours are drawn kLookahead ahead of their use, and their
  // mark words prefetched, so the random bitmap accesses overlap the sampling.
  static constexpr unsigned kLookahead = 16;
  void draw_ahead(std::uint64_t j);
  std::uint64_t cur_off_ = 0, cur_deg_ = 0, cur_j_ = 0;
  bool cur_mine_ = false;
  std::optional<RmatGraph::Neighbors> cur_nb_;
  std::uint64_t ahead_[kLookahead] = {};
};

}  // namespace mmuvp::workloads
