// A generic set-associative array with true-LRU replacement: the storage behind the TLBs, the
// paging-structure caches, the nested TLB and the data caches. Fully associative = one set.
//
// Plain C++17, no SystemC. The storage is allocated once, at construction; lookups, fills and
// invalidations allocate nothing and make no virtual calls. The caller computes the set from a key
// (SetIndex: an index mask for a power-of-two set count, an exact multiply-based modulo otherwise)
// and passes a match predicate, which inlines.
//
// LRU: every valid way carries the value of a per-array use counter at its last use ("stamp");
// the victim is the valid way with the smallest stamp, after any invalid way (stamp 0, lowest way
// first). That is exact LRU for any associativity, with O(1) update on a hit.
#pragma once
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace mmuvp::tlm {

// Shape of one array. ways == entries is fully associative; entries == 0 disables the array.
struct Geometry {
  std::uint32_t entries = 0;
  std::uint32_t ways = 0;

  static constexpr Geometry fully_associative(std::uint32_t n) { return Geometry{n, n}; }
  static constexpr Geometry disabled() { return Geometry{0, 0}; }
  constexpr bool enabled() const { return entries != 0; }
  constexpr std::uint32_t sets() const { return entries == 0 || ways == 0 ? 0 : entries / ways; }
};

// Whether an array's set count must be a power of two (index bits, as in TLB hardware) or may be
// any count (sliced last-level caches such as a 15 MiB, 20-way LLC with 12288 sets).
enum class SetRule : std::uint8_t { kPowerOfTwo, kAny };

constexpr std::uint32_t kMaxEntries = 1u << 24;  // per array: larger is a configuration mistake
constexpr std::uint32_t kMaxWays = 4096;         // a lookup scans the ways of one set

// Throws std::invalid_argument("<what>: <reason>") unless `g` is disabled (entries 0) or has
// 1 <= ways <= kMaxWays, entries a multiple of ways, entries <= kMaxEntries, and a set count
// that obeys `rule`.
void check_geometry(std::string_view what, const Geometry& g, SetRule rule);

// Maps a key (a page or line number) to its set. Power-of-two set counts use a mask. Other counts
// use the exact remainder by direct computation of Lemire, Kaser and Kurz (2019): with
// c = ceil(2^64 / d), key mod d = ((c * key mod 2^64) * d) >> 64 for every key < 2^(64 - L),
// 2^L >= d; larger keys fall back to the division (never for 52-bit physical addresses).
class SetIndex {
 public:
  explicit SetIndex(std::uint32_t sets = 1);

  std::uint32_t operator()(std::uint64_t key) const {
    if (pow2_) return static_cast<std::uint32_t>(key & mask_);
    if (key >> exact_bits_) return static_cast<std::uint32_t>(key % sets_);
    const std::uint64_t low = multiplier_ * key;
    return static_cast<std::uint32_t>(mul_high(low, sets_));
  }
  std::uint32_t sets() const { return sets_; }
  bool power_of_two() const { return pow2_; }

 private:
  static std::uint64_t mul_high(std::uint64_t a, std::uint64_t b) {
    __extension__ using u128 = unsigned __int128;
    return static_cast<std::uint64_t>((static_cast<u128>(a) * b) >> 64);
  }
  std::uint32_t sets_ = 1;
  bool pow2_ = true;
  std::uint64_t mask_ = 0;
  std::uint64_t multiplier_ = 0;  // ceil(2^64 / sets) for a non-power-of-two count
  unsigned exact_bits_ = 64;      // keys below 2^exact_bits_ take the multiply path
};

// Where place() put a new entry.
template <typename Entry>
struct Placement {
  Entry* slot = nullptr;  // to be written by the caller
  bool replaced = false;  // a valid entry that `same` matched is being overwritten in place
  bool evicted = false;   // a valid, different entry is being evicted (still in *slot)
};

// What an insert did.
template <typename Entry>
struct InsertResult {
  bool replaced = false;  // a valid entry that `same` matched was overwritten in place
  bool evicted = false;   // a valid, different entry was evicted (its copy is in `victim`)
  Entry victim{};
};

template <typename Entry>
class SetAssoc {
 public:
  // Throws std::invalid_argument (see check_geometry), naming the array `what`.
  SetAssoc(std::string_view what, const Geometry& g, SetRule rule = SetRule::kPowerOfTwo)
      : geometry_((check_geometry(what, g, rule), g)),
        index_(g.enabled() ? g.sets() : 1),
        slots_(g.entries) {}

  bool enabled() const { return geometry_.entries != 0; }
  std::uint32_t entries() const { return geometry_.entries; }
  std::uint32_t ways() const { return geometry_.ways; }
  std::uint32_t sets() const { return geometry_.sets(); }
  const Geometry& geometry() const { return geometry_; }

  // Set of a key. Only meaningful when enabled().
  std::uint32_t set_of(std::uint64_t key) const { return index_(key); }

  // The valid entry of `set` that `match` accepts, made most recently used; nullptr if none.
  template <typename Match>
  Entry* find(std::uint32_t set, Match&& match) {
    Slot* s = slots_.data() + static_cast<std::size_t>(set) * geometry_.ways;
    for (std::uint32_t w = 0; w < geometry_.ways; ++w, ++s) {
      // Tag first: a mismatch is the common case. An invalid way may hold a stale match.
      if (match(s->entry) && s->stamp != 0) {
        s->stamp = ++clock_;
        return &s->entry;
      }
    }
    return nullptr;
  }

  // Slot handles for exact fast paths in front of find(): an index into the array (set-major,
  // set s holds [s * ways, (s + 1) * ways)). A handle stays meaningful while the caller checks
  // that the slot still holds what it expects (slot_valid() and the entry's key), since a valid
  // key is held by one way of its set at most (place() overwrites a match in place).
  static constexpr std::uint32_t kNoSlot = ~0u;

  // As find(), returning the slot of the hit (made most recently used), or kNoSlot.
  template <typename Match>
  std::uint32_t find_slot(std::uint32_t set, Match&& match) {
    const std::uint32_t first = set * geometry_.ways;
    Slot* s = slots_.data() + first;
    for (std::uint32_t w = 0; w < geometry_.ways; ++w, ++s) {
      if (match(s->entry) && s->stamp != 0) {
        s->stamp = ++clock_;
        return first + w;
      }
    }
    return kNoSlot;
  }

  // What probe() found: the hit's slot, or on a miss the slot for a new entry.
  struct SlotProbe {
    bool hit = false;
    std::uint32_t slot = kNoSlot;
  };
  // As find_slot(); on a miss, `slot` is the slot place() would choose for a new entry of this
  // set that no valid way matches (the first invalid way, else the least recently used). One scan
  // for the lookup and the replacement decision: place_at(slot) then equals place() as long as
  // the set has not changed in between.
  template <typename Match>
  SlotProbe probe(std::uint32_t set, Match&& match) {
    const std::uint32_t first = set * geometry_.ways;
    Slot* base = slots_.data() + first;
    std::uint32_t v = 0;
    std::uint64_t oldest = ~0ull;
    for (std::uint32_t w = 0; w < geometry_.ways; ++w) {
      Slot* s = base + w;
      const std::uint64_t stamp = s->stamp;
      if (stamp != 0 && match(s->entry)) {
        s->stamp = ++clock_;
        return SlotProbe{true, first + w};
      }
      if (stamp < oldest) {
        oldest = stamp;
        v = w;
      }
    }
    return SlotProbe{false, first + v};
  }

  // Makes `slot` valid and most recently used for a new entry, as place() does when it chooses
  // that slot for an entry no valid way matches (`evicted`: the slot held a valid entry, still in
  // *slot until the caller writes the new one).
  Placement<Entry> place_at(std::uint32_t slot) {
    Slot& s = slots_[slot];
    const bool evicted = s.stamp != 0;
    s.stamp = ++clock_;
    return Placement<Entry>{&s.entry, false, evicted};
  }

  bool slot_valid(std::uint32_t slot) const { return slots_[slot].stamp != 0; }
  Entry& slot_entry(std::uint32_t slot) { return slots_[slot].entry; }
  const Entry& slot_entry(std::uint32_t slot) const { return slots_[slot].entry; }
  // Makes the valid `slot` most recently used: what find() does to the way it returns.
  void touch(std::uint32_t slot) { slots_[slot].stamp = ++clock_; }

  // As find(), without changing the LRU order.
  template <typename Match>
  Entry* peek(std::uint32_t set, Match&& match) {
    Slot* s = slots_.data() + static_cast<std::size_t>(set) * geometry_.ways;
    for (std::uint32_t w = 0; w < geometry_.ways; ++w, ++s) {
      if (match(s->entry) && s->stamp != 0) return &s->entry;
    }
    return nullptr;
  }
  template <typename Match>
  const Entry* peek(std::uint32_t set, Match&& match) const {
    return const_cast<SetAssoc*>(this)->peek(set, std::forward<Match>(match));
  }

  // Chooses the slot of `set` for a new entry and makes it valid and most recently used: the
  // valid entry that `same` accepts if there is one, else the first invalid way, else the least
  // recently used way. The caller writes the new entry into *slot; when `evicted`, *slot still
  // holds the victim until then.
  template <typename Same>
  Placement<Entry> place(std::uint32_t set, Same&& same) {
    Slot* base = slots_.data() + static_cast<std::size_t>(set) * geometry_.ways;
    Slot* victim = base;
    std::uint64_t oldest = ~0ull;  // kept in a register: the loads of the ways are independent
    bool replaced = false;
    for (std::uint32_t w = 0; w < geometry_.ways; ++w) {
      Slot* s = base + w;
      const std::uint64_t stamp = s->stamp;
      if (stamp != 0 && same(s->entry)) {
        victim = s;
        oldest = stamp;
        replaced = true;
        break;
      }
      if (stamp < oldest) {
        oldest = stamp;
        victim = s;
      }
    }
    const bool evicted = !replaced && oldest != 0;
    victim->stamp = ++clock_;
    return Placement<Entry>{&victim->entry, replaced, evicted};
  }

  // place() and copy `e` in; returns a copy of the evicted entry.
  template <typename Same>
  InsertResult<Entry> insert(std::uint32_t set, const Entry& e, Same&& same) {
    const Placement<Entry> p = place(set, std::forward<Same>(same));
    InsertResult<Entry> r;
    r.replaced = p.replaced;
    r.evicted = p.evicted;
    if (p.evicted) r.victim = *p.slot;
    *p.slot = e;
    return r;
  }

  // Invalidates every valid entry of `set` that `pred` accepts; returns how many.
  template <typename Pred>
  std::uint32_t invalidate_in_set(std::uint32_t set, Pred&& pred) {
    std::uint32_t n = 0;
    Slot* s = slots_.data() + static_cast<std::size_t>(set) * geometry_.ways;
    for (std::uint32_t w = 0; w < geometry_.ways; ++w, ++s) {
      if (s->stamp != 0 && pred(s->entry)) {
        s->stamp = 0;
        ++n;
      }
    }
    return n;
  }

  // Invalidates every valid entry of the array that `pred` accepts; returns how many.
  template <typename Pred>
  std::uint32_t invalidate_if(Pred&& pred) {
    std::uint32_t n = 0;
    for (Slot& s : slots_) {
      if (s.stamp != 0 && pred(s.entry)) {
        s.stamp = 0;
        ++n;
      }
    }
    return n;
  }

  // Invalidates everything; returns how many entries were valid.
  std::uint32_t clear() {
    return invalidate_if([](const Entry&) { return true; });
  }

  std::uint32_t valid_count() const {
    std::uint32_t n = 0;
    for (const Slot& s : slots_) n += s.stamp != 0;
    return n;
  }

  template <typename F>
  void for_each_valid(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.stamp != 0) f(s.entry);
    }
  }

  // Valid ways of `set` from most to least recently used (tests, debug dumps).
  std::vector<std::uint32_t> lru_order(std::uint32_t set) const;

  // The entry in `way` of `set`, or nullptr if that way is invalid (tests, debug dumps).
  const Entry* at(std::uint32_t set, std::uint32_t way) const {
    const Slot& s = slots_[static_cast<std::size_t>(set) * geometry_.ways + way];
    return s.stamp != 0 ? &s.entry : nullptr;
  }

 private:
  struct Slot {
    Entry entry{};
    std::uint64_t stamp = 0;  // 0: invalid; else the use counter at the last use
  };

  Geometry geometry_;
  SetIndex index_;
  std::vector<Slot> slots_;  // set-major: set s holds slots [s * ways, (s + 1) * ways)
  std::uint64_t clock_ = 0;
};

template <typename Entry>
std::vector<std::uint32_t> SetAssoc<Entry>::lru_order(std::uint32_t set) const {
  std::vector<std::uint32_t> ways;
  const Slot* base = slots_.data() + static_cast<std::size_t>(set) * geometry_.ways;
  for (std::uint32_t w = 0; w < geometry_.ways; ++w) {
    if (base[w].stamp != 0) ways.push_back(w);
  }
  // Insertion sort by stamp, newest first: sets are small and this is a debug path.
  for (std::size_t i = 1; i < ways.size(); ++i) {
    for (std::size_t j = i; j > 0 && base[ways[j]].stamp > base[ways[j - 1]].stamp; --j) {
      std::swap(ways[j], ways[j - 1]);
    }
  }
  return ways;
}

}  // namespace mmuvp::tlm
