// graph: Graph500-like BFS address stream.
#include "workloads/graph.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace mmuvp::workloads {
namespace {

constexpr unsigned kRootAttempts = 4096;
constexpr std::uint64_t kMinListMax = 1024;  // frontiers up to max(this, nv/64) are listed
constexpr std::uint64_t kSaltRoot = 0x726f6f74u;
constexpr std::uint64_t kSaltOrder = 0x6f72646572u;

bool test_bit(const std::vector<std::uint64_t>& bits, std::uint64_t i) {
  return (bits[i >> 6] >> (i & 63)) & 1;
}
void set_bit(std::vector<std::uint64_t>& bits, std::uint64_t i) {
  bits[i >> 6] |= 1ull << (i & 63);
}
constexpr std::uint64_t bit_of(std::uint64_t v) { return 1ull << (v & 63); }

}  // namespace

GraphWorkload::GraphWorkload(const WorkloadConfig& cfg)
    : BatchedWorkload(cfg.accesses), cfg_(cfg), layout_(cfg.heap_base, cfg.private_in_heap) {
  validate(cfg);
  if (cfg.graph_edgefactor == 0) throw std::invalid_argument("graph: edgefactor must be >= 1");
  // Bytes per vertex: xoff pair 16, xadj 2 * edgefactor ids, bfs_tree 8, vlist 8.
  const std::uint64_t per_vertex = 32 + 16ull * cfg.graph_edgefactor;
  unsigned scale = 0;
  while (scale < RmatGraph::kMaxScale && (per_vertex << (scale + 1)) <= cfg.footprint) ++scale;
  if (scale < RmatGraph::kMinScale) {
    throw std::invalid_argument(fmt::format("graph: footprint {} too small (needs >= {})",
                                            format_bytes(cfg.footprint),
                                            format_bytes(per_vertex << RmatGraph::kMinScale)));
  }
  graph_ = std::make_unique<RmatGraph>(
      RmatParams{scale, cfg.graph_edgefactor, cfg.rmat_a, cfg.rmat_b, cfg.rmat_c, cfg.seed});
  if (graph_->adjacency_entries() == 0)
    throw std::invalid_argument("graph: the graph has no edges");
  nv_ = graph_->vertices();
  if (nv_ < cfg.threads) {  // every thread needs a slice of the -1 fill
    throw std::invalid_argument(
        fmt::format("graph: scale {} has fewer vertices than {} threads", scale, cfg.threads));
  }
  a_.xoff = layout_.add_heap("graph.xoff", (2 * nv_ + 2) * kWord);
  a_.xadj = layout_.add_heap("graph.xadj", graph_->adjacency_entries() * kWord);
  a_.bfs_tree = layout_.add_heap("graph.bfs_tree", nv_ * kWord);
  a_.vlist = layout_.add_heap("graph.vlist", nv_ * kWord);
  const std::size_t words = static_cast<std::size_t>((nv_ + 63) / 64);
  marks_.assign(words, MarkWord{});
  frontier_.assign(words, 0);
  restart();
}

std::uint64_t GraphWorkload::root(std::uint64_t index) const {
  std::uint64_t v = 0;
  for (unsigned attempt = 0; attempt < kRootAttempts; ++attempt) {
    v = below(hash3(cfg_.seed ^ kSaltRoot, index, attempt), nv_);
    if (graph_->degree(v) > 0) return v;
  }
  while (graph_->degree(v) == 0) v = (v + 1) % nv_;  // the graph has edges: this ends
  return v;
}

void GraphWorkload::restart() {
  bfs_index_ = 0;
  start_bfs();
}

void GraphWorkload::start_bfs() {
  std::fill(marks_.begin(), marks_.end(), MarkWord{});
  std::fill(frontier_.begin(), frontier_.end(), 0);
  head_ = tail_ = 0;
  level_ = 0;
  fill_i_ =
      static_cast<std::uint64_t>(static_cast<unsigned __int128>(nv_) * cfg_.thread / cfg_.threads);
  fill_end_ = static_cast<std::uint64_t>(static_cast<unsigned __int128>(nv_) * (cfg_.thread + 1) /
                                         cfg_.threads);
  phase_ = bfs_index_ == 0 ? Phase::kRoot : Phase::kFill;
}

void GraphWorkload::start_level() {
  expanded_ = 0;
  scan_i_ = 0;
  const std::uint64_t seed = hash3(cfg_.seed ^ kSaltOrder, bfs_index_, level_);
  listed_ = frontier_count_ <= std::max(kMinListMax, nv_ / 64);
  if (listed_) {
    list_.clear();
    for (std::size_t w = 0; w < frontier_.size(); ++w) {
      for (std::uint64_t bits = frontier_[w]; bits != 0; bits &= bits - 1) {
        list_.push_back(w * 64 + static_cast<unsigned>(__builtin_ctzll(bits)));
      }
    }
    SplitMix rng(seed);  // Fisher-Yates
    for (std::size_t i = list_.size(); i > 1; --i)
      std::swap(list_[i - 1], list_[below(rng.next(), i)]);
  } else {
    order_ = Bijection(nv_, seed);
  }
}

std::optional<std::uint64_t> GraphWorkload::next_frontier_vertex() {
  if (expanded_ == frontier_count_) return std::nullopt;
  if (listed_) return list_[scan_i_++];
  for (;;) {  // frontier_count_ > expanded_: a frontier vertex lies ahead
    const std::uint64_t v = order_.forward(scan_i_++);
    if (test_bit(frontier_, v)) return v;
  }
}

std::size_t GraphWorkload::step(MemAccess* out) {
  using arch::AccessType;
  switch (phase_) {
    case Phase::kFill:  // bfs_tree[k] = -1
      if (fill_i_ < fill_end_) {
        emit(out, a_.bfs_tree + kWord * fill_i_++, kWord, AccessType::kWrite, kInsnsPerFill);
        return 1;
      }
      phase_ = Phase::kRoot;
      return 0;
    case Phase::kRoot: {
      const std::uint64_t r = root(bfs_index_);
      marks_[r >> 6].visited |= bit_of(r);
      set_bit(frontier_, r);
      frontier_count_ = 1;
      next_count_ = 0;
      tail_ = 1;
      start_level();
      phase_ = Phase::kScan;
      if (cfg_.thread != 0) return 0;
      emit(out, a_.bfs_tree + kWord * r, kWord, AccessType::kWrite, kInsnsPerVertex);
      emit(out + 1, a_.vlist, kWord, AccessType::kWrite);
      return 2;
    }
    case Phase::kScan: {
      const std::optional<std::uint64_t> v = next_frontier_vertex();
      if (!v) {  // level done
        if (next_count_ == 0) {
          ++bfs_index_;
          start_bfs();
          return 0;
        }
        for (std::size_t w = 0; w < marks_.size(); ++w) {
          frontier_[w] = marks_[w].next;
          marks_[w].next = 0;
        }
        frontier_count_ = next_count_;
        next_count_ = 0;
        ++level_;
        start_level();
        return 0;
      }
      cur_mine_ = expanded_ % cfg_.threads == cfg_.thread;
      ++expanded_;
      cur_off_ = graph_->offset(*v);
      cur_deg_ = graph_->degree(*v);
      cur_j_ = 0;
      if (cur_deg_ > 0) {
        cur_nb_.emplace(*graph_, *v);
        for (std::uint64_t j = 0; j < kLookahead && j < cur_deg_; ++j) draw_ahead(j);
        phase_ = Phase::kExpand;
      }
      const std::uint64_t slot = head_++;
      if (!cur_mine_) return 0;
      emit(out, a_.vlist + kWord * slot, kWord, AccessType::kRead, kInsnsPerVertex);
      emit(out + 1, a_.xoff + 2 * kWord * *v, 2 * kWord, AccessType::kRead);
      return 2;
    }
    case Phase::kExpand:
      return expand_step(out);
  }
  return 0;
}

void GraphWorkload::draw_ahead(std::uint64_t j) {
  const std::uint64_t w = (*cur_nb_)(j);
  ahead_[j % kLookahead] = w;
  __builtin_prefetch(&marks_[w >> 6], 1);
}

std::size_t GraphWorkload::expand_step(MemAccess* out) {
  using arch::AccessType;
  const std::uint64_t w = ahead_[cur_j_ % kLookahead];
  if (cur_j_ + kLookahead < cur_deg_) draw_ahead(cur_j_ + kLookahead);
  MemAccess* p = out;
  if (cur_mine_) {
    p = emit(p, a_.xadj + kWord * (cur_off_ + cur_j_), kWord, AccessType::kRead, kInsnsPerNeighbor);
    p = emit(p, a_.bfs_tree + kWord * w, kWord, AccessType::kRead);
  }
  const std::uint64_t bit = bit_of(w);
  MarkWord& mark = marks_[w >> 6];
  if ((mark.visited & bit) == 0) {
    mark.visited |= bit;
    mark.next |= bit;
    ++next_count_;
    const std::uint64_t slot = tail_++;
    if (cur_mine_) {
      p = emit(p, a_.bfs_tree + kWord * w, kWord, AccessType::kWrite);
      p = emit(p, a_.vlist + kWord * slot, kWord, AccessType::kWrite);
    }
  }
  if (++cur_j_ == cur_deg_) phase_ = Phase::kScan;
  return static_cast<std::size_t>(p - out);
}

std::string GraphWorkload::describe() const {
  return fmt::format(
      "graph: R-MAT scale {} edgefactor {} (a={} b={} c={}), {} adjacency "
      "entries, BFS (thread {}/{})",
      graph_->scale(), cfg_.graph_edgefactor, cfg_.rmat_a, cfg_.rmat_b, cfg_.rmat_c,
      graph_->adjacency_entries(), cfg_.thread, cfg_.threads);
}

}  // namespace mmuvp::workloads
