// The translation lookaside buffers of one core (SPEC §4): a split L1 DTLB (one array per page
// size, probed together) and a unified L2 TLB, tagged by VMID and PCID, with the x86 invalidation
// operations. Plain C++17 (no SystemC): the TLM MMU model owns one Tlb per core and adds timing.
//
// An entry maps one virtual page of one size to the combined translation (hPA frame; and for the
// nested modes the gPA frame, so INVEPT can be honoured), with the effective permissions.
// Lookup key: (va, vmid, pcid). A global entry matches every PCID of its VMID.
//
// Dirty rule: `dirty` says the entry permits a write without a walk (the walker filled it with
// W = 1 and the leaf's D already set, and the EPT leaf's D when EPT A/D is on). A write that finds
// an entry without it is a miss (counted in `misses` and in `dirty_misses`), so the walker runs,
// sets D (or reports the protection fault from memory) and refills the entry in place.
//
// Invalidation (arch::Invalidation, decoded from INV_CMD; SDM Vol. 3A §4.10.4, Vol. 3C §28.3.3):
//   INVLPG (addr, pcid, vmid)      the page containing addr in every page size, for pcid, and the
//                                  global entries for that page
//   INVPCID addr (addr, pcid)      the same without the global entries
//   INVPCID context (pcid)         every non-global entry of pcid
//   INVPCID all incl. global       every entry of the VMID
//   INVPCID all non-global         every non-global entry of the VMID
//   INVEPT single (vmid)           every entry of that VMID
//   INVEPT all, flush all          everything
// All operations except INVEPT-all and flush-all are limited to the Invalidation's VMID.
//
// Fill policy: a walk fills L1 and, if it holds that page size, L2 (Sandy Bridge: the L2 TLB holds
// only 4K translations, so a 2M/1G translation lives in L1 only). An L2 hit refills L1.
// Fills replace an entry that would hit for the same (va, vmid, pcid) in place, so a refill never
// leaves a duplicate.
//
// Pointers returned by lookups stay valid until the next fill or invalidation of the structure.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "arch/address.h"
#include "arch/register_block.h"
#include "arch/translation.h"
#include "tlm/page_size_set.h"
#include "tlm/set_assoc.h"

namespace mmuvp::tlm {

constexpr std::uint64_t kVaMask = arch::bit_range(arch::kVirtualAddressBits - 1, 0);

struct TlbEntry {
  arch::gva_t va = 0;   // virtual base of the page (a fill may pass any address inside it)
  arch::hpa_t hpa = 0;  // host-physical base of the page
  arch::gpa_t gpa = 0;  // guest-physical base of the page (nested modes); == hpa natively
  arch::PageSize size = arch::PageSize::k4K;
  std::uint16_t vmid = 0;
  std::uint16_t pcid = 0;  // 12 bits
  bool global = false;     // matches every PCID of its VMID (guest leaf G bit)
  bool dirty = false;      // a write may use the entry without a walk (see the dirty rule)
  arch::Perms perms;       // effective r, w, x, u of the combined translation

  std::uint64_t offset_mask() const { return arch::page_bytes(size) - 1; }
  arch::hpa_t translate(arch::gva_t a) const { return hpa | (a & offset_mask()); }
  arch::gpa_t translate_gpa(arch::gva_t a) const { return gpa | (a & offset_mask()); }
};

// The entry a successful walk installs for the page of `va`: translation `r` (its effective size,
// permissions, global and dirty) tagged with the context's VMID and PCID. One definition for the
// MMU, the golden runner and the tests.
inline TlbEntry tlb_entry_for(const arch::TranslationContext& ctx, arch::gva_t va,
                              const arch::TranslationResult& r) {
  TlbEntry e;
  e.size = r.size;
  const std::uint64_t base = ~e.offset_mask();
  e.va = va & base;
  e.hpa = r.hpa & base;
  e.gpa = r.gpa & base;
  e.vmid = ctx.vmid;
  e.pcid = ctx.pcid;
  e.global = r.global;
  e.dirty = r.dirty;
  e.perms = r.perms;
  return e;
}

// Outcome of one TLB level's lookups. Per page size: hits_by_size (which array/size hit) and
// fills_by_size in TlbArrayCounters; a miss has no size until the walk finds it.
struct TlbLevelCounters {
  std::uint64_t lookups = 0;
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;        // lookups - hits, including dirty_misses
  std::uint64_t dirty_misses = 0;  // writes that found the page only without `dirty`
  std::array<std::uint64_t, kPageSizeCount> hits_by_size{};
};

// Maintenance of one array.
struct TlbArrayCounters {
  std::uint64_t fills = 0;        // entries installed (new or in place)
  std::uint64_t refills = 0;      // of those, overwrites of an entry for the same page
  std::uint64_t evictions = 0;    // valid entries of other pages replaced (LRU victims)
  std::uint64_t invalidated = 0;  // entries dropped by invalidations
  std::array<std::uint64_t, kPageSizeCount> fills_by_size{};
};

// One set-associative array holding translations of one or more page sizes. With several sizes
// (an L2 that holds 4K and 2M, like later Intel cores), a lookup probes once per size, each with
// that size's page number as index.
class TlbArray {
 public:
  // Throws std::invalid_argument: bad geometry (power-of-two sets), or no page size while enabled.
  TlbArray(std::string name, const Geometry& g, PageSizeSet sizes);

  const std::string& name() const { return name_; }
  bool enabled() const { return store_.enabled(); }
  PageSizeSet sizes() const { return sizes_; }
  const Geometry& geometry() const { return store_.geometry(); }

  // The entry for (va, vmid, pcid), made most recently used; nullptr if none. Not counted: the
  // owning TlbLevel counts lookups.
  TlbEntry* find(arch::gva_t va, std::uint16_t vmid, std::uint16_t pcid) {
    const std::uint64_t v = va & kVaMask;
    for (unsigned i = 0; i < num_probes_; ++i) {
      const arch::PageSize s = probes_[i];
      const std::uint64_t vpn = v >> arch::page_shift(s);
      const std::uint64_t tag = make_tag(vpn, s, vmid);
      Stored* hit = store_.find(store_.set_of(vpn), [tag, pcid](const Stored& x) {
        return x.tag == tag && (x.entry.global || x.entry.pcid == pcid);
      });
      if (hit != nullptr) return &hit->entry;
    }
    return nullptr;
  }
  // As find(), returning the hit's slot handle (SetAssoc::kNoSlot if none).
  std::uint32_t find_slot(arch::gva_t va, std::uint16_t vmid, std::uint16_t pcid) {
    const std::uint64_t v = va & kVaMask;
    for (unsigned i = 0; i < num_probes_; ++i) {
      const arch::PageSize s = probes_[i];
      const std::uint64_t vpn = v >> arch::page_shift(s);
      const std::uint64_t tag = make_tag(vpn, s, vmid);
      const std::uint32_t slot = store_.find_slot(store_.set_of(vpn), [tag, pcid](const Stored& x) {
        return x.tag == tag && (x.entry.global || x.entry.pcid == pcid);
      });
      if (slot != kNoSlot) return slot;
    }
    return kNoSlot;
  }
  // What find() does on a hit in `slot` (a handle find_slot() returned, while the array has not
  // been filled or invalidated since): the entry becomes most recently used.
  TlbEntry* touch(std::uint32_t slot) {
    store_.touch(slot);
    return &store_.slot_entry(slot).entry;
  }
  TlbEntry* entry_at(std::uint32_t slot) { return &store_.slot_entry(slot).entry; }
  static constexpr std::uint32_t kNoSlot = ~0u;

  // As find() without touching the LRU order.
  const TlbEntry* peek(arch::gva_t va, std::uint16_t vmid, std::uint16_t pcid) const;

  // Installs `e` (addresses aligned to its size). Returns false, changing nothing, if this array
  // does not hold e.size or is disabled.
  bool fill(const TlbEntry& e);
  std::uint32_t invalidate(const arch::Invalidation& inv);

  std::uint32_t valid_entries() const { return store_.valid_count(); }
  // Valid ways of the set that `va` indexes for `size`, newest first (LRU tests).
  std::vector<std::uint32_t> lru_order(arch::gva_t va, arch::PageSize size) const;
  std::uint32_t set_of(arch::gva_t va, arch::PageSize size) const {
    return store_.set_of((va & kVaMask) >> arch::page_shift(size));
  }

  const TlbArrayCounters& counters() const { return counters_; }
  void reset_counters() { counters_ = {}; }

 private:
  struct Stored {
    std::uint64_t tag = 0;  // vpn << 18 | size << 16 | vmid
    TlbEntry entry;
  };
  static constexpr unsigned kSizeShift = 16;
  static constexpr unsigned kVpnShift = 18;
  static std::uint64_t make_tag(std::uint64_t vpn, arch::PageSize s, std::uint16_t vmid) {
    return (vpn << kVpnShift) | (std::uint64_t{size_index(s)} << kSizeShift) | vmid;
  }
  std::uint32_t invalidate_page(arch::gva_t va, std::uint16_t vmid, std::uint16_t pcid,
                                bool with_global);

  std::string name_;
  PageSizeSet sizes_;
  std::array<arch::PageSize, kPageSizeCount> probes_{};  // the sizes held, smallest first
  unsigned num_probes_ = 0;
  SetAssoc<Stored> store_;
  TlbArrayCounters counters_;
};

// One TLB level: arrays for disjoint page-size sets, probed together, one result.
class TlbLevel {
 public:
  struct ArraySpec {
    std::string name;
    Geometry geometry;
    PageSizeSet sizes;
  };
  // Throws std::invalid_argument for a bad array or two arrays claiming the same page size.
  TlbLevel(std::string name, const std::vector<ArraySpec>& arrays);
  // The page hints point into this level's arrays: a level is not copied. A move keeps the
  // arrays where they are (the vector's storage moves with it).
  TlbLevel(const TlbLevel&) = delete;
  TlbLevel& operator=(const TlbLevel&) = delete;
  TlbLevel(TlbLevel&&) = default;
  TlbLevel& operator=(TlbLevel&&) = default;

  const std::string& name() const { return name_; }

  // Counted lookup. `type` kWrite requires `dirty` (see the dirty rule).
  //
  // Fast path (exact): a small direct-mapped table of page hints, by hashed 4K virtual page number,
  // remembers which array slot the last lookups of a (4K page, VMID, PCID) found. The hints are
  // dropped (by a generation count) at every fill and invalidation of the level, so while one is
  // live the arrays hold the same entries as when it was recorded, and every probe of a lookup
  // of the same 4K page, VMID and PCID (each size's page number is a function of the 4K one)
  // finds what it found then: the hinted slot is what the full probe would return. Its use only
  // makes that slot most recently used, as the probe does. Same result, counters and LRU state
  // as lookup_reference().
  const TlbEntry* lookup(arch::gva_t va, std::uint16_t vmid, std::uint16_t pcid,
                         arch::AccessType type) {
    ++counters_.lookups;
    const std::uint64_t page = (va & kVaMask) >> arch::kPageShift;
    PageHint& h = hint_of(page);
    const TlbEntry* e =
        h.generation == generation_ && h.page == page && h.vmid == vmid && h.pcid == pcid
            ? h.array->touch(h.slot)
            : probe_arrays(va, vmid, pcid, page, h);
    return count_result(e, type);
  }
  // The direct hit path (tlm/mmu.h): what lookup() of (va, vmid, pcid) finds through a live page
  // hint, seen without counting it or changing the LRU order. `entry` is null when no hint is live
  // for it (a lookup may still hit then, through the arrays).
  struct Hinted {
    TlbArray* array = nullptr;
    std::uint32_t slot = 0;
    const TlbEntry* entry = nullptr;
  };
  Hinted hinted(arch::gva_t va, std::uint16_t vmid, std::uint16_t pcid) {
    const std::uint64_t page = (va & kVaMask) >> arch::kPageShift;
    const PageHint& h = hint_of(page);
    if (h.generation == generation_ && h.page == page && h.vmid == vmid && h.pcid == pcid)
      return Hinted{h.array, h.slot, h.array->entry_at(h.slot)};
    return Hinted{};
  }
  // lookup() of an access whose hinted() result `h` (with an entry) was just taken, nothing filled
  // or invalidated since, when the entry serves the access (not a write through an entry without
  // `dirty`: the caller checked the dirty rule): the same counts, result and LRU change as
  // lookup(), without a second hint check.
  const TlbEntry* lookup_hinted(const Hinted& h) {
    ++counters_.lookups;
    const TlbEntry* e = h.array->touch(h.slot);
    ++counters_.hits;
    ++counters_.hits_by_size[size_index(e->size)];
    return e;
  }
  // The general path lookup() must equal: every array probed in order (tests compare the two).
  const TlbEntry* lookup_reference(arch::gva_t va, std::uint16_t vmid, std::uint16_t pcid,
                                   arch::AccessType type) {
    ++counters_.lookups;
    const TlbEntry* e = nullptr;
    for (TlbArray& a : arrays_) {
      e = a.find(va, vmid, pcid);
      if (e != nullptr) break;
    }
    return count_result(e, type);
  }
  // Uncounted, no LRU change (tests, debug).
  const TlbEntry* peek(arch::gva_t va, std::uint16_t vmid, std::uint16_t pcid) const;

  // Routes `e` to the array holding e.size; false if none does (or it is disabled).
  bool fill(const TlbEntry& e);
  bool holds(arch::PageSize s) const;
  std::uint32_t invalidate(const arch::Invalidation& inv);

  const std::vector<TlbArray>& arrays() const { return arrays_; }
  const TlbArray* array_for(arch::PageSize s) const;
  std::uint32_t valid_entries() const;

  const TlbLevelCounters& counters() const { return counters_; }
  void reset_counters();

 private:
  const TlbEntry* count_result(const TlbEntry* e, arch::AccessType type) {
    if (e != nullptr) {
      if (type == arch::AccessType::kWrite && !e->dirty) {
        ++counters_.dirty_misses;
      } else {
        ++counters_.hits;
        ++counters_.hits_by_size[size_index(e->size)];
        return e;
      }
    }
    ++counters_.misses;
    return nullptr;
  }

  static constexpr unsigned kHintBits = 4;
  static constexpr std::size_t kHints = std::size_t{1} << kHintBits;
  struct PageHint {
    std::uint64_t page = 0;        // 4K virtual page number
    std::uint64_t generation = 0;  // live while equal to generation_
    TlbArray* array = nullptr;     // in arrays_
    std::uint32_t slot = 0;
    std::uint16_t vmid = 0;
    std::uint16_t pcid = 0;
  };
  // Fibonacci hashing: pages of arrays aligned alike must not share an entry.
  PageHint& hint_of(std::uint64_t page) {
    return hints_[(page * 0x9E3779B97F4A7C15ull) >> (64 - kHintBits)];
  }
  // lookup() past its hint: every array probed in order; a hit is recorded in `h`. Out of line:
  // the inline lookup keeps only the hint's path.
  const TlbEntry* probe_arrays(arch::gva_t va, std::uint16_t vmid, std::uint16_t pcid,
                               std::uint64_t page, PageHint& h);

  std::string name_;
  std::vector<TlbArray> arrays_;  // built once; never resized
  std::array<PageHint, kHints> hints_{};
  std::uint64_t generation_ = 1;  // advanced by every fill and invalidation
  std::array<int, kPageSizeCount> array_of_size_{-1, -1, -1};
  TlbLevelCounters counters_;
};

// Geometry of a core's TLBs (SPEC §4 defaults: Sandy Bridge).
struct TlbConfig {
  Geometry l1_4k{64, 4};
  Geometry l1_2m{32, 4};
  Geometry l1_1g = Geometry::fully_associative(4);
  Geometry l2{512, 4};
  PageSizeSet l2_sizes{arch::PageSize::k4K};  // Sandy Bridge's L2 TLB: 4K translations only

  // Throws std::invalid_argument("TlbConfig.<field>: <reason>").
  void validate() const;
};

enum class TlbHitLevel : std::uint8_t { kL1 = 0, kL2 = 1, kMiss = 2 };
std::string_view to_string(TlbHitLevel l);  // "L1", "L2", "miss"

struct TlbLookup {
  const TlbEntry* entry = nullptr;  // the hit entry (valid until the next fill/invalidation)
  TlbHitLevel level = TlbHitLevel::kMiss;
  bool hit() const { return entry != nullptr; }
};

// A core's data TLBs: L1 (4K, 2M, 1G arrays) backed by the L2 TLB.
class Tlb {
 public:
  explicit Tlb(const TlbConfig& cfg = {});  // validates cfg

  // L1, then L2 on an L1 miss; an L2 hit refills L1. Counted in both levels.
  TlbLookup lookup(arch::gva_t va, std::uint16_t vmid, std::uint16_t pcid, arch::AccessType type) {
    if (const TlbEntry* e = l1_.lookup(va, vmid, pcid, type)) return {e, TlbHitLevel::kL1};
    if (const TlbEntry* e = l2_.lookup(va, vmid, pcid, type)) {
      l1_.fill(*e);
      return {e, TlbHitLevel::kL2};
    }
    return {};
  }
  // After a walk: L1, and L2 if it holds e.size.
  void fill(const TlbEntry& e) {
    l1_.fill(e);
    l2_.fill(e);
  }
  // Returns the number of entries dropped in both levels.
  std::uint32_t invalidate(const arch::Invalidation& inv) {
    return l1_.invalidate(inv) + l2_.invalidate(inv);
  }

  TlbLevel& l1() { return l1_; }
  TlbLevel& l2() { return l2_; }
  const TlbLevel& l1() const { return l1_; }
  const TlbLevel& l2() const { return l2_; }
  const TlbConfig& config() const { return config_; }
  void reset_counters();

 private:
  TlbConfig config_;
  TlbLevel l1_;
  TlbLevel l2_;
};

}  // namespace mmuvp::tlm
