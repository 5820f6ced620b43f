// The walk caches seen by the golden translator: an optional hook through which a walk may start
// below the root of the guest tables (a paging-structure cache hit) and skip the EPT walk of a gPA
// (a nested TLB hit), and through which it reports what it could cache. Without a hook (nullptr)
// the golden model walks everything, as before.
//
// Why the oracle takes this input: whether a walk hits a cache is a timing-dependent fact of the
// machine (what was filled and evicted before), not of the architecture. A checker therefore
// replays the walker's own cache hits (ReplayWalkCaches below) into the golden model, which then
// predicts the exact reference list the walker must make; and it separately checks that those
// hits were right by comparing the translation with a full golden walk (no hook).
//
// Where the golden walk consults the hook (see golden_translator.h for the order):
//   - guest dimension, after the guest-segment compare misses: guest_start(va) — a hit gives the
//     paging level L (4, 3, 2) of the deepest cached entry, the address of the level L-1 table and
//     the permissions accumulated over levels 4..L; the walk continues at level L-1.
//   - nested dimension, for every gPA (guest table entries and the final gPA), after the VMM
//     segment compare misses or the filter escapes the frame, and after the 48-bit input check:
//     nested_lookup(gpa, need) — a hit gives the EPT leaf's host frame, size and r/w/x, and
//     replaces the EPT walk. `need` is the EPT permission the access needs (ept::kR, kW or kX:
//     the final access's type; kR for a guest paging-structure read, kW with EPT A/D on). An
//     entry hits only if it grants `need` (a denied access walks the EPT and faults from memory)
//     and, for kW, permits writes without a walk (`dirty`: EPT A/D off, or the leaf's D set).
//     On a hit the result's ept_leaf is 0 (no EPT entry was read).
// Fills: after the walk has read (and, if needed, set A in) a non-leaf guest entry of level 4, 3
// or 2: guest_fill(level, va, next table, accumulated perms). After an EPT walk completed without
// a fault: nested_fill(gpa, result), `dirty` set when writes may use it without a walk.
#pragma once
#include <cstdint>
#include <vector>

#include "arch/address.h"
#include "arch/translation.h"

namespace mmuvp::arch {

struct GuestStart {
  unsigned level = 0;       // 4, 3, 2: level of the cached entry; 0 = no hit (start at CR3)
  std::uint64_t table = 0;  // address of the level `level - 1` table (gPA; PA natively)
  Perms perms;              // w, x, u accumulated over levels 4..level (r always set)
  bool operator==(const GuestStart& o) const {
    return level == o.level && table == o.table && perms == o.perms;
  }
};

struct NestedHit {
  gpa_t gpa = 0;  // the gPA looked up (any address in the page)
  hpa_t hpa = 0;  // host frame base of the EPT page
  PageSize size = PageSize::k4K;
  Perms perms;    // r, w, x of the EPT mapping
  bool dirty = false;
  hpa_t translate(gpa_t a) const { return hpa | (a & (page_bytes(size) - 1)); }
  bool operator==(const NestedHit& o) const {
    return (gpa >> page_shift(size)) == (o.gpa >> page_shift(o.size)) && hpa == o.hpa &&
           size == o.size && perms == o.perms && dirty == o.dirty;
  }
};

class WalkCaches {
 public:
  virtual ~WalkCaches() = default;
  virtual GuestStart guest_start(const TranslationContext& ctx, gva_t va) = 0;
  virtual bool nested_lookup(const TranslationContext& ctx, gpa_t gpa, std::uint64_t need,
                             NestedHit& out) = 0;
  virtual void guest_fill(const TranslationContext& ctx, unsigned level, gva_t va,
                          std::uint64_t table, const Perms& perms) = 0;
  virtual void nested_fill(const TranslationContext& ctx, const NestedHit& entry) = 0;
};

// One nested-TLB lookup a walk made, hit or miss, in order.
struct NestedLookup {
  gpa_t gpa = 0;
  bool hit = false;
  NestedHit entry;  // valid when hit
  bool operator==(const NestedLookup& o) const {
    return (gpa >> kPageShift) == (o.gpa >> kPageShift) && hit == o.hit &&
           (!hit || entry == o.entry);
  }
};

// What one walk took from the caches: the guest start and every nested lookup, in order.
struct WalkCacheUse {
  GuestStart guest;
  std::vector<NestedLookup> nested;
  void clear() {
    guest = {};
    nested.clear();
  }
};

// Replays a WalkCacheUse into a golden walk: guest_start returns the recorded start, and the n-th
// nested lookup returns the walker's n-th outcome (so a walk that filled the nested TLB and then
// hit its own entry replays exactly). Fills are ignored. After the walk, `diverged()` tells
// whether the golden walk asked for a different gPA page than the walker did at some lookup, and
// `unused()` how many recorded lookups it never made: both mean the walker's reference order is
// wrong, and the reference lists will differ too.
class ReplayWalkCaches final : public WalkCaches {
 public:
  explicit ReplayWalkCaches(const WalkCacheUse& use) : use_(use) {}
  GuestStart guest_start(const TranslationContext&, gva_t) override { return use_.guest; }
  bool nested_lookup(const TranslationContext&, gpa_t gpa, std::uint64_t,
                     NestedHit& out) override {
    if (next_ >= use_.nested.size()) {
      diverged_ = true;
      return false;
    }
    const NestedLookup& l = use_.nested[next_++];
    if ((l.gpa >> kPageShift) != (gpa >> kPageShift)) diverged_ = true;
    if (!l.hit) return false;
    out = l.entry;
    return true;
  }
  void guest_fill(const TranslationContext&, unsigned, gva_t, std::uint64_t,
                  const Perms&) override {}
  void nested_fill(const TranslationContext&, const NestedHit&) override {}
  bool diverged() const { return diverged_; }
  std::size_t unused() const { return use_.nested.size() - next_; }

 private:
  const WalkCacheUse& use_;
  std::size_t next_ = 0;
  bool diverged_ = false;
};

}  // namespace mmuvp::arch
