// The data-cache hierarchy (SPEC §4) that both the cores' data accesses and the page walkers'
// references go through, so that a workload that thrashes the caches also slows its walks.
// Tag arrays only (the data live in the physical memory model); plain C++17, no SystemC.
//
// Composition: one SharedCache (LLC + DRAM) for the whole platform, and per core one
// CacheHierarchy (private L1D and L2) that refers to it. CacheSystem builds N of them. Not
// thread-safe: SystemC runs processes one at a time.
//
// Defaults (Sandy Bridge host of the paper): 64-byte lines; L1D 32 KiB 8-way, L2 256 KiB 8-way,
// LLC 15 MiB 20-way; latencies 4 / 12 / 40 cycles, DRAM 200. The LLC has 15 MiB / 64 B / 20 =
// 12288 sets, not a power of two (it is 6 slices of 2048 sets on the real part): sets are indexed
// by line number modulo the set count, with an exact multiply-based modulo (set_assoc.h).
//
// Policy: write-back, write-allocate, non-inclusive. A miss fills every level it passed (so the
// levels are inclusive in practice, but an eviction never back-invalidates the levels above). A
// write marks only the L1D copy dirty. A dirty victim is written back to the nearest lower level
// that holds the line (marking it dirty without changing its LRU place), else to DRAM; writebacks
// are counted but cost no latency. No coherence between cores' private caches.
//
// Latency of an access: the latency of the level that serves it (these are load-to-use latencies
// of the whole path, not per-level increments). An access touches one line: the line of `pa`.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "arch/address.h"
#include "tlm/set_assoc.h"

namespace mmuvp::tlm {

enum class CacheLevelId : std::uint8_t { kL1D = 0, kL2 = 1, kLlc = 2, kDram = 3 };
constexpr unsigned kCacheLevelIds = 4;
std::string_view to_string(CacheLevelId l);  // "L1D", "L2", "LLC", "DRAM"

// Who made an access, for separate counters.
enum class Requester : std::uint8_t { kData = 0, kWalker = 1 };
constexpr unsigned kRequesters = 2;
std::string_view to_string(Requester r);  // "data", "walker"

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = 1024 * kKiB;

struct CacheLevelConfig {
  std::uint64_t size_bytes = 0;  // 0: the level is absent
  std::uint32_t ways = 0;
  std::uint32_t latency = 0;  // cycles when this level serves the access
};

struct CacheConfig {
  std::uint32_t line_bytes = 64;
  CacheLevelConfig l1d{32 * kKiB, 8, 4};
  CacheLevelConfig l2{256 * kKiB, 8, 12};
  CacheLevelConfig llc{15 * kMiB, 20, 40};
  std::uint32_t dram_latency = 200;

  // Throws std::invalid_argument("CacheConfig.<field>: <reason>"): line size a power of two in
  // [8, 4096], each present level's size a multiple of line_bytes * ways with at most 2^24 lines,
  // latencies not decreasing from L1D to DRAM over the present levels.
  void validate() const;
};

struct CacheAccessCounters {
  std::uint64_t accesses = 0;
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
};

struct CacheLevelCounters {
  std::array<CacheAccessCounters, kRequesters> by_requester{};  // [Requester]
  std::uint64_t fills = 0;
  std::uint64_t evictions = 0;   // valid lines replaced
  std::uint64_t writebacks = 0;  // of those, dirty ones written to a lower level
  CacheAccessCounters total() const;
};

// One level's tag array, true LRU (as tlm/set_assoc.h defines it: the victim is the first invalid
// way, else the way used longest ago). Laid out for the per-access scan rather than through
// SetAssoc: each set is one contiguous block of 64-bit words, its line numbers (kNoLine when
// invalid) followed by its use stamps, the way count padded to a multiple of 4 with ways that
// never match and are never chosen. One block is one run of host cache lines, so a set of a
// large level costs one burst of host-memory traffic. A stamp is
//   (use counter << kCounterShift) | (dirty << kWayBits) | way
// with counter 0 while the way is invalid, so the smallest stamp of a set names the victim directly
// (the first invalid way, else the least recently used: counters of valid ways are distinct), and
// a miss finds it with one branch-free min over the set.
class CacheLevel {
 public:
  // Slot handle: the index of the way's line word (set block + way). kNoSlot for none.
  static constexpr std::uint32_t kNoSlot = ~0u;

  // Throws std::invalid_argument naming `name` for a bad geometry.
  CacheLevel(std::string name, const CacheLevelConfig& cfg, std::uint32_t line_bytes);

  const std::string& name() const { return name_; }
  bool enabled() const { return geometry_.enabled(); }
  std::uint32_t latency() const { return latency_; }
  const Geometry& geometry() const { return geometry_; }

  // Counted lookup of line number `line` (address >> log2 line size). A hit becomes most
  // recently used; with `write` it also becomes dirty.
  bool access(std::uint64_t line, bool write, Requester who) {
    return probe(line, write, who).hit;
  }
  // As access(), in one pass over the set: on a hit `slot` is the line's slot; on a miss it is
  // the slot fill_at() must be given to fill the line as fill() would (valid while the set is not
  // changed in between).
  struct Probe {
    bool hit = false;
    std::uint32_t slot = kNoSlot;
  };
  Probe probe(std::uint64_t line, bool write, Requester who) {
    CacheAccessCounters& c = counters_.by_requester[static_cast<unsigned>(who)];
    ++c.accesses;
    const std::uint32_t base = base_of(line);
    const std::uint32_t slot = find(base, line);
    if (slot == kNoSlot) {
      ++c.misses;
      return Probe{false, victim(base)};
    }
    ++c.hits;
    touch(slot, write);
    return Probe{true, slot};
  }
  // The exact fast path of a hit: if `slot` (a handle from probe() or fill_at(), of any age)
  // still holds `line`, counts and applies the hit exactly as access() would (the slot becomes
  // most recently used, a write marks it dirty) and returns true; otherwise changes nothing.
  bool hit_at(std::uint32_t slot, std::uint64_t line, bool write, Requester who) {
    if (words_[slot] != line) return false;
    CacheAccessCounters& c = counters_.by_requester[static_cast<unsigned>(who)];
    ++c.accesses;
    ++c.hits;
    touch(slot, write);
    return true;
  }
  // Installs `line` as most recently used (in place if present, dirty staying dirty). Returns
  // true and sets *victim if a dirty line was evicted (the caller writes it back).
  bool fill(std::uint64_t line, bool dirty, std::uint64_t* victim);
  // fill() of a line that probe() missed, into the slot the probe chose.
  bool fill_at(std::uint32_t slot, std::uint64_t line, bool dirty, std::uint64_t* victim) {
    std::uint64_t& stamp = words_[slot + stride_];
    const bool evicted = words_[slot] != kNoLine;
    const bool write_back = (stamp & kDirtyBit) != 0;  // only a valid way is ever dirty
    if (write_back) *victim = words_[slot];
    words_[slot] = line;
    stamp = (++clock_ << kCounterShift) | (std::uint64_t{dirty} << kWayBits) | (stamp & kWayMask);
    ++counters_.fills;
    counters_.evictions += evicted;
    counters_.writebacks += write_back;
    return write_back;
  }
  // A writeback from the level above: marks `line` dirty if present (LRU unchanged).
  bool absorb_writeback(std::uint64_t line) {
    const std::uint32_t slot = find(base_of(line), line);
    if (slot == kNoSlot) return false;
    words_[slot + stride_] |= kDirtyBit;
    return true;
  }
  // Uncounted presence test (tests, debug).
  bool contains(std::uint64_t line) const;
  bool is_dirty(std::uint64_t line) const;
  std::uint32_t valid_lines() const;
  // The valid lines of the set holding `line`, most recently used first (tests, debug).
  std::vector<std::uint64_t> lru_lines(std::uint64_t line) const;

  const CacheLevelCounters& counters() const { return counters_; }
  void reset_counters() { counters_ = {}; }

 private:
  // Line numbers of 63-bit physical addresses need at most 57 bits: this one is never a line.
  static constexpr std::uint64_t kNoLine = ~0ull;
  static constexpr std::uint32_t kPad = 4;  // ways per set rounded up to a multiple of this
  static constexpr unsigned kWayBits = 12;  // kMaxWays = 4096 ways
  static constexpr std::uint64_t kWayMask = (1ull << kWayBits) - 1;
  static constexpr std::uint64_t kDirtyBit = 1ull << kWayBits;
  static constexpr unsigned kCounterShift = kWayBits + 1;
  static constexpr std::uint64_t kPadStamp = ~0ull;  // larger than any stamp: never the victim
  static_assert(kMaxWays <= (1u << kWayBits), "a stamp's way bits must hold every way");
  // The use counter has 64 - kCounterShift = 51 bits: 2.2e15 uses of one level, never reached.

  // The set block of `line`: its first line word.
  std::uint32_t base_of(std::uint64_t line) const { return index_(line) * (2 * stride_); }
  // Makes the slot most recently used (its way bits stay; a write sets its dirty bit).
  void touch(std::uint32_t slot, bool write) {
    std::uint64_t& stamp = words_[slot + stride_];
    stamp = (++clock_ << kCounterShift) | (std::uint64_t{write} << kWayBits) |
            (stamp & (kDirtyBit | kWayMask));
  }
  // The slot of `line` in the set at `base`, or kNoSlot. Pointer steps (not 32-bit indices, whose
  // wrap-around rules cost an address computation per way).
  std::uint32_t find(std::uint32_t base, std::uint64_t line) const {
    const std::uint64_t* const first = words_.data() + base;
    const std::uint64_t* const end = first + stride_;
    for (const std::uint64_t* l = first; l != end; l += kPad) {
      if (l[0] == line) return base + static_cast<std::uint32_t>(l - first);
      if (l[1] == line) return base + static_cast<std::uint32_t>(l - first) + 1;
      if (l[2] == line) return base + static_cast<std::uint32_t>(l - first) + 2;
      if (l[3] == line) return base + static_cast<std::uint32_t>(l - first) + 3;
    }
    return kNoSlot;
  }
  // The slot a new line of the set at `base` goes to: the smallest stamp's way.
  std::uint32_t victim(std::uint32_t base) const {
    const std::uint64_t* st = words_.data() + base + stride_;
    const std::uint64_t* const end = st + stride_;
    std::uint64_t m0 = st[0], m1 = st[1], m2 = st[2], m3 = st[3];
    for (st += kPad; st != end; st += kPad) {
      m0 = std::min(m0, st[0]);
      m1 = std::min(m1, st[1]);
      m2 = std::min(m2, st[2]);
      m3 = std::min(m3, st[3]);
    }
    return base + static_cast<std::uint32_t>(std::min(std::min(m0, m1), std::min(m2, m3)) &
                                             kWayMask);
  }

  std::string name_;
  std::uint32_t latency_ = 0;
  Geometry geometry_;
  SetIndex index_;
  std::uint32_t stride_ = 0;          // ways rounded up to a multiple of kPad
  std::vector<std::uint64_t> words_;  // per set: stride_ line numbers, then stride_ stamps
  std::uint64_t clock_ = 0;
  CacheLevelCounters counters_;
};

struct DramCounters {
  std::array<std::uint64_t, kRequesters> accesses{};  // [Requester]
  std::uint64_t writebacks = 0;                       // dirty lines written back from any level
};

// The platform-wide part: the last-level cache and DRAM.
class SharedCache {
 public:
  explicit SharedCache(const CacheConfig& cfg = {});  // validates cfg

  CacheLevel& llc() { return llc_; }
  const CacheLevel& llc() const { return llc_; }
  std::uint32_t dram_latency() const { return config_.dram_latency; }
  std::uint32_t line_bytes() const { return config_.line_bytes; }
  const CacheConfig& config() const { return config_; }

  void count_dram_access(Requester who) { ++dram_.accesses[static_cast<unsigned>(who)]; }
  void count_dram_writeback() { ++dram_.writebacks; }
  const DramCounters& dram_counters() const { return dram_; }
  void reset_counters();

 private:
  CacheConfig config_;
  CacheLevel llc_;
  DramCounters dram_;
};

struct CacheAccess {
  std::uint32_t latency = 0;
  CacheLevelId level = CacheLevelId::kDram;  // who served it
};

// Counts of one core's accesses by the level that served them, and their cycles.
struct CoreCacheCounters {
  std::array<std::array<std::uint64_t, kCacheLevelIds>, kRequesters> served{};  // [who][level]
  std::array<std::uint64_t, kRequesters> cycles{};                              // [who]
  std::uint64_t accesses(Requester who) const;
};

// One core's view: private L1D and L2 in front of the shared LLC and DRAM.
class CacheHierarchy {
 public:
  // Validates cfg; its LLC and DRAM fields are ignored (the shared part's apply). Throws
  // std::invalid_argument if the line sizes differ.
  CacheHierarchy(const CacheConfig& cfg, SharedCache& shared);

  // One access. Fast path (exact, see access_reference()): the L1D slot that last held the line
  // (a small direct-mapped table of slot handles by hashed line number) is checked first; if it still
  // holds the line, the hit is counted and applied there without scanning the set. Otherwise
  // each level is probed once (lookup and replacement choice in one scan).
  CacheAccess access(arch::hpa_t pa, bool is_write, Requester who) {
    if (hinted_l1d_hit(pa, is_write, who)) return CacheAccess{l1d_.latency(), CacheLevelId::kL1D};
    return access_probed(pa >> line_shift_, is_write, who);
  }
  // access()'s fast path alone: true if the hint found the line in L1D (the hit is counted and
  // applied, and served by L1D); false, changing nothing, if it did not.
  bool hinted_l1d_hit(arch::hpa_t pa, bool is_write, Requester who) {
    const std::uint64_t line = pa >> line_shift_;
    const SlotHint& h = hints_[hint_index(line)];
    if (h.line != line || !l1d_.hit_at(h.slot, line, is_write, who)) return false;
    served(CacheLevelId::kL1D, l1d_.latency(), who);
    return true;
  }
  // access() after hinted_l1d_hit() returned false for the same access.
  CacheAccess access_past_hint(arch::hpa_t pa, bool is_write, Requester who) {
    return access_probed(pa >> line_shift_, is_write, who);
  }

  // The general path the fast one must equal in every counter, line, dirty bit and LRU order:
  // find at each level, then fill() the levels passed (tests compare the two on random streams).
  CacheAccess access_reference(arch::hpa_t pa, bool is_write, Requester who);

  CacheLevel& l1d() { return l1d_; }
  CacheLevel& l2() { return l2_; }
  const CacheLevel& l1d() const { return l1d_; }
  const CacheLevel& l2() const { return l2_; }
  SharedCache& shared() { return *shared_; }
  const SharedCache& shared() const { return *shared_; }
  std::uint64_t line_of(arch::hpa_t pa) const { return pa >> line_shift_; }

  const CoreCacheCounters& counters() const { return counters_; }
  void reset_counters();  // this core's counters and its L1D/L2 (not the shared part)

 private:
  CacheAccess served(CacheLevelId level, std::uint32_t latency, Requester who) {
    const auto w = static_cast<unsigned>(who);
    ++counters_.served[w][static_cast<unsigned>(level)];
    counters_.cycles[w] += latency;
    return CacheAccess{latency, level};
  }
  CacheAccess access_probed(std::uint64_t line, bool is_write, Requester who);
  void fill_l1d(std::uint64_t line, bool dirty);
  void fill_l2(std::uint64_t line);
  void fill_llc(std::uint64_t line);
  void write_back_below(CacheLevelId from, std::uint64_t line);

  // L1D slot handles by hashed line number: hints only, each checked before use.
  static constexpr unsigned kHintBits = 6;
  static constexpr std::size_t kHints = std::size_t{1} << kHintBits;
  struct SlotHint {
    std::uint64_t line = ~0ull;
    std::uint32_t slot = CacheLevel::kNoSlot;
  };
  // Fibonacci hashing of the whole line number: arrays aligned alike (the same page offsets, as
  // a stream's) must not share an entry, so the index is not simply the low bits.
  static std::size_t hint_index(std::uint64_t line) {
    return static_cast<std::size_t>((line * 0x9E3779B97F4A7C15ull) >> (64 - kHintBits));
  }
  void hint(std::uint64_t line, std::uint32_t slot) { hints_[hint_index(line)] = {line, slot}; }

  unsigned line_shift_ = 6;
  std::array<SlotHint, kHints> hints_{};
  CacheLevel l1d_;
  CacheLevel l2_;
  SharedCache* shared_;
  CoreCacheCounters counters_;
};

// N cores' private caches sharing one LLC and DRAM.
class CacheSystem {
 public:
  static constexpr unsigned kMaxCores = 256;
  // Throws std::invalid_argument for a bad config or a core count outside 1..kMaxCores.
  explicit CacheSystem(const CacheConfig& cfg = {}, unsigned cores = 1);
  CacheSystem(const CacheSystem&) = delete;
  CacheSystem& operator=(const CacheSystem&) = delete;

  unsigned cores() const { return static_cast<unsigned>(cores_.size()); }
  CacheHierarchy& core(unsigned i) { return cores_.at(i); }
  const CacheHierarchy& core(unsigned i) const { return cores_.at(i); }
  SharedCache& shared() { return *shared_; }
  const SharedCache& shared() const { return *shared_; }

 private:
  std::unique_ptr<SharedCache> shared_;  // stable address for the cores' references
  std::vector<CacheHierarchy> cores_;
};

}  // namespace mmuvp::tlm
