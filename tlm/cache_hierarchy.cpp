// The data-cache hierarchy (cache_hierarchy.h): validation, fills, writebacks, the access path.
#include "tlm/cache_hierarchy.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace mmuvp::tlm {

std::string_view to_string(CacheLevelId l) {
  switch (l) {
    case CacheLevelId::kL1D:
      return "L1D";
    case CacheLevelId::kL2:
      return "L2";
    case CacheLevelId::kLlc:
      return "LLC";
    case CacheLevelId::kDram:
      return "DRAM";
  }
  return "?";
}

std::string_view to_string(Requester r) { return r == Requester::kData ? "data" : "walker"; }

// ---- configuration ----------------------------------------------------------------------------

namespace {

constexpr std::uint32_t kMinLine = 8;
constexpr std::uint32_t kMaxLine = 4096;

// The array geometry of a level, checked: size a multiple of line * ways, lines within limits.
void check_line(std::uint32_t line_bytes) {
  if (line_bytes < kMinLine || line_bytes > kMaxLine || (line_bytes & (line_bytes - 1)) != 0) {
    throw std::invalid_argument(
        fmt::format("CacheConfig.line_bytes: {} is not a power of two in [{}, {}]", line_bytes,
                    kMinLine, kMaxLine));
  }
}

Geometry level_geometry(std::string_view what, const CacheLevelConfig& c,
                        std::uint32_t line_bytes) {
  check_line(line_bytes);
  if (c.size_bytes == 0) return Geometry::disabled();
  if (c.ways == 0) {
    throw std::invalid_argument(fmt::format("{}: ways must be at least 1", what));
  }
  const std::uint64_t set_bytes = std::uint64_t{line_bytes} * c.ways;
  if (c.size_bytes % set_bytes != 0) {
    throw std::invalid_argument(
        fmt::format("{}: size {} B is not a multiple of line_bytes * ways = {} B", what,
                    c.size_bytes, set_bytes));
  }
  const std::uint64_t lines = c.size_bytes / line_bytes;
  if (lines > kMaxEntries) {
    throw std::invalid_argument(
        fmt::format("{}: {} lines exceed the limit of {}", what, lines, kMaxEntries));
  }
  const Geometry g{static_cast<std::uint32_t>(lines), c.ways};
  check_geometry(what, g, SetRule::kAny);
  return g;
}

unsigned log2_exact(std::uint32_t v) {
  unsigned s = 0;
  while ((1u << s) < v) ++s;
  return s;
}

}  // namespace

void CacheConfig::validate() const {
  check_line(line_bytes);
  level_geometry("CacheConfig.l1d", l1d, line_bytes);
  level_geometry("CacheConfig.l2", l2, line_bytes);
  level_geometry("CacheConfig.llc", llc, line_bytes);
  // Latencies must not decrease along the path (absent levels are skipped).
  const std::pair<std::string_view, const CacheLevelConfig*> levels[] = {
      {"l1d", &l1d}, {"l2", &l2}, {"llc", &llc}};
  std::string_view prev_name;
  std::uint32_t prev = 0;
  for (const auto& [name, c] : levels) {
    if (c->size_bytes == 0) continue;
    if (!prev_name.empty() && c->latency < prev) {
      throw std::invalid_argument(fmt::format("CacheConfig.{}.latency: {} is below {}'s {}", name,
                                              c->latency, prev_name, prev));
    }
    prev_name = name;
    prev = c->latency;
  }
  if (!prev_name.empty() && dram_latency < prev) {
    throw std::invalid_argument(fmt::format("CacheConfig.dram_latency: {} is below {}'s {}",
                                            dram_latency, prev_name, prev));
  }
}

CacheAccessCounters CacheLevelCounters::total() const {
  CacheAccessCounters t;
  for (const CacheAccessCounters& c : by_requester) {
    t.accesses += c.accesses;
    t.hits += c.hits;
    t.misses += c.misses;
  }
  return t;
}

std::uint64_t CoreCacheCounters::accesses(Requester who) const {
  std::uint64_t n = 0;
  for (std::uint64_t v : served[static_cast<unsigned>(who)]) n += v;
  return n;
}

// ---- CacheLevel -------------------------------------------------------------------------------

CacheLevel::CacheLevel(std::string name, const CacheLevelConfig& cfg, std::uint32_t line_bytes)
    : name_(std::move(name)),
      latency_(cfg.latency),
      geometry_(level_geometry(name_, cfg, line_bytes)),
      index_(geometry_.enabled() ? geometry_.sets() : 1) {
  if (!geometry_.enabled()) return;
  stride_ = (geometry_.ways + kPad - 1) / kPad * kPad;
  words_.assign(std::size_t{geometry_.sets()} * 2 * stride_, kNoLine);
  for (std::size_t base = 0; base < words_.size(); base += 2 * stride_) {
    for (std::uint32_t w = 0; w < stride_; ++w)
      words_[base + stride_ + w] = w < geometry_.ways ? w : kPadStamp;  // invalid, way w
  }
}

bool CacheLevel::fill(std::uint64_t line, bool dirty, std::uint64_t* victim) {
  const std::uint32_t base = base_of(line);
  const std::uint32_t slot = find(base, line);
  if (slot == kNoSlot) return fill_at(this->victim(base), line, dirty, victim);
  // Present: refreshed in place, nothing evicted.
  touch(slot, dirty);
  ++counters_.fills;
  return false;
}

bool CacheLevel::contains(std::uint64_t line) const {
  return enabled() && find(base_of(line), line) != kNoSlot;
}

bool CacheLevel::is_dirty(std::uint64_t line) const {
  if (!enabled()) return false;
  const std::uint32_t slot = find(base_of(line), line);
  return slot != kNoSlot && (words_[slot + stride_] & kDirtyBit) != 0;
}

std::uint32_t CacheLevel::valid_lines() const {
  std::uint32_t n = 0;
  for (std::size_t base = 0; base < words_.size(); base += 2 * stride_) {
    for (std::uint32_t w = 0; w < stride_; ++w) n += words_[base + w] != kNoLine;
  }
  return n;
}

std::vector<std::uint64_t> CacheLevel::lru_lines(std::uint64_t line) const {
  std::vector<std::uint32_t> slots;
  if (!enabled()) return {};
  const std::uint32_t base = base_of(line);
  for (std::uint32_t w = 0; w < geometry_.ways; ++w) {
    if (words_[base + w] != kNoLine) slots.push_back(base + w);
  }
  std::sort(slots.begin(), slots.end(), [this](std::uint32_t a, std::uint32_t b) {
    return words_[a + stride_] > words_[b + stride_];
  });
  std::vector<std::uint64_t> out;
  for (std::uint32_t s : slots) out.push_back(words_[s]);
  return out;
}

// ---- SharedCache ------------------------------------------------------------------------------

namespace {
const CacheConfig& validated(const CacheConfig& cfg) {
  cfg.validate();
  return cfg;
}
}  // namespace

SharedCache::SharedCache(const CacheConfig& cfg)
    : config_(validated(cfg)), llc_("CacheConfig.llc", cfg.llc, cfg.line_bytes) {}

void SharedCache::reset_counters() {
  llc_.reset_counters();
  dram_ = {};
}

// ---- CacheHierarchy ---------------------------------------------------------------------------

CacheHierarchy::CacheHierarchy(const CacheConfig& cfg, SharedCache& shared)
    : line_shift_(log2_exact(validated(cfg).line_bytes)),
      l1d_("CacheConfig.l1d", cfg.l1d, cfg.line_bytes),
      l2_("CacheConfig.l2", cfg.l2, cfg.line_bytes),
      shared_(&shared) {
  if (shared.line_bytes() != cfg.line_bytes) {
    throw std::invalid_argument(
        fmt::format("CacheConfig.line_bytes: {} differs from the shared LLC's {}", cfg.line_bytes,
                    shared.line_bytes()));
  }
}

CacheAccess CacheHierarchy::access_probed(std::uint64_t line, bool is_write, Requester who) {
  // Each level is probed once: on a miss the probe has also chosen the slot the line will be
  // filled into. A level's set does not change between its miss and its fill: the fills below it
  // and their writebacks touch only lower levels (a writeback marks a lower copy dirty and never
  // changes an LRU order), and the shared LLC serves no other core meanwhile.
  CacheLevel::Probe p1;
  if (l1d_.enabled()) {
    p1 = l1d_.probe(line, is_write, who);
    if (p1.hit) {
      hint(line, p1.slot);
      return served(CacheLevelId::kL1D, l1d_.latency(), who);
    }
  }
  std::uint64_t victim = 0;
  // Below L1D an access is a line fetch: the write, if any, lands in the L1D copy.
  CacheLevelId level = CacheLevelId::kDram;
  std::uint32_t latency = shared_->dram_latency();
  CacheLevel::Probe p2;
  if (l2_.enabled()) {
    p2 = l2_.probe(line, false, who);
    if (p2.hit) {
      level = CacheLevelId::kL2;
      latency = l2_.latency();
    }
  }
  if (!p2.hit) {
    CacheLevel& llc = shared_->llc();
    CacheLevel::Probe p3;
    if (llc.enabled()) {
      p3 = llc.probe(line, false, who);
      if (p3.hit) {
        level = CacheLevelId::kLlc;
        latency = llc.latency();
      }
    }
    if (!p3.hit) {
      shared_->count_dram_access(who);
      if (llc.enabled() && llc.fill_at(p3.slot, line, false, &victim)) {
        write_back_below(CacheLevelId::kLlc, victim);
      }
    }
    if (l2_.enabled() && l2_.fill_at(p2.slot, line, false, &victim)) {
      write_back_below(CacheLevelId::kL2, victim);
    }
  }
  if (l1d_.enabled()) {
    if (l1d_.fill_at(p1.slot, line, is_write, &victim)) {
      write_back_below(CacheLevelId::kL1D, victim);
    }
    hint(line, p1.slot);
  }
  return served(level, latency, who);
}

CacheAccess CacheHierarchy::access_reference(arch::hpa_t pa, bool is_write, Requester who) {
  const std::uint64_t line = pa >> line_shift_;
  if (l1d_.enabled() && l1d_.access(line, is_write, who)) {
    return served(CacheLevelId::kL1D, l1d_.latency(), who);
  }
  // Below L1D an access is a line fetch: the write, if any, lands in the L1D copy.
  if (l2_.enabled() && l2_.access(line, false, who)) {
    fill_l1d(line, is_write);
    return served(CacheLevelId::kL2, l2_.latency(), who);
  }
  CacheLevel& llc = shared_->llc();
  if (llc.enabled() && llc.access(line, false, who)) {
    fill_l2(line);
    fill_l1d(line, is_write);
    return served(CacheLevelId::kLlc, llc.latency(), who);
  }
  shared_->count_dram_access(who);
  fill_llc(line);
  fill_l2(line);
  fill_l1d(line, is_write);
  return served(CacheLevelId::kDram, shared_->dram_latency(), who);
}

void CacheHierarchy::fill_l1d(std::uint64_t line, bool dirty) {
  std::uint64_t victim = 0;
  if (l1d_.enabled() && l1d_.fill(line, dirty, &victim)) {
    write_back_below(CacheLevelId::kL1D, victim);
  }
}

void CacheHierarchy::fill_l2(std::uint64_t line) {
  std::uint64_t victim = 0;
  if (l2_.enabled() && l2_.fill(line, false, &victim)) {
    write_back_below(CacheLevelId::kL2, victim);
  }
}

void CacheHierarchy::fill_llc(std::uint64_t line) {
  std::uint64_t victim = 0;
  CacheLevel& llc = shared_->llc();
  if (llc.enabled() && llc.fill(line, false, &victim)) {
    write_back_below(CacheLevelId::kLlc, victim);
  }
}

void CacheHierarchy::write_back_below(CacheLevelId from, std::uint64_t line) {
  if (from == CacheLevelId::kL1D && l2_.enabled() && l2_.absorb_writeback(line)) return;
  CacheLevel& llc = shared_->llc();
  if (from != CacheLevelId::kLlc && llc.enabled() && llc.absorb_writeback(line)) return;
  shared_->count_dram_writeback();
}

void CacheHierarchy::reset_counters() {
  counters_ = {};
  l1d_.reset_counters();
  l2_.reset_counters();
}

// ---- CacheSystem ------------------------------------------------------------------------------

CacheSystem::CacheSystem(const CacheConfig& cfg, unsigned cores)
    : shared_(std::make_unique<SharedCache>(cfg)) {
  if (cores == 0 || cores > kMaxCores) {
    throw std::invalid_argument(
        fmt::format("CacheSystem: core count {} is outside 1..{}", cores, kMaxCores));
  }
  cores_.reserve(cores);
  for (unsigned i = 0; i < cores; ++i) cores_.emplace_back(cfg, *shared_);
}

}  // namespace mmuvp::tlm
