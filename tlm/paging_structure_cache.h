// Paging-structure caches for the guest dimension (SPEC §4; Intel SDM Vol. 3A §4.10.3): a PML4
// cache keyed by va[47:39], a PDPT cache keyed by va[47:30] and a PD cache keyed by va[47:21], each
// tagged by VMID and PCID. An entry holds the address of the next table (gPA in the nested modes,
// PA natively) and the permissions AND-ed over the levels read so far (R/W, U/S, and execute =
// no XD), so a walk can start below the deepest level that hits.
//
// Lookup probes the three caches together and returns the deepest hit (PD, then PDPT, then PML4);
// only that entry becomes most recently used. The walker fills a level after it has read (and, if
// needed, set A in) the non-leaf entry of that level.
//
// Geometry (not in the paper; assumed): PML4 cache 2 entries, PDPT cache 4, PD cache 32, the sizes
// the literature commonly assumes for Intel cores of the Sandy Bridge era (e.g. Bhattacharjee,
// "Large-reach MMU caches", MICRO 2013; the structure names follow Barr, Cox and Rixner, ISCA
// 2010). The two small caches are fully associative; the PD cache is 4-way (8 sets), so a lookup
// scans 4 ways instead of 32. Each cache is configurable and disabled by 0 entries.
//
// PCIDs are 12 bits (arch::Invalidation): tags, stored entries and invalidations use pcid[11:0].
// Invalidation (SDM §4.10.4.1 allows dropping more than the named page):
//   INVLPG, INVPCID addr, INVPCID context   every entry of that PCID (and VMID)
//   INVPCID all (with or without global)    every entry of the VMID
//   INVEPT single                           every entry of the VMID
//   INVEPT all, flush all                   everything
#pragma once
#include <array>
#include <cstdint>

#include "arch/address.h"
#include "arch/pte.h"
#include "arch/register_block.h"
#include "arch/translation.h"
#include "tlm/set_assoc.h"

namespace mmuvp::tlm {

constexpr unsigned kPwcLevels = 3;  // caches for paging levels 4 (PML4E), 3 (PDPTE), 2 (PDE)

struct PwcConfig {
  Geometry pml4 = Geometry::fully_associative(2);
  Geometry pdpt = Geometry::fully_associative(4);
  Geometry pd{32, 4};

  // Throws std::invalid_argument("PwcConfig.<field>: <reason>").
  void validate() const;
  static PwcConfig disabled_all() {
    return PwcConfig{Geometry::disabled(), Geometry::disabled(), Geometry::disabled()};
  }
};

struct PwcHit {
  unsigned level = 0;       // paging level of the cached entry: 4, 3, 2; 0 = miss
  std::uint64_t table = 0;  // address of the table of level `level - 1`
  arch::Perms perms;        // w, u, x AND-ed over levels 4..level (r always set)

  bool hit() const { return level != 0; }
  // The level whose entry the walk reads next: 4 (from CR3) on a miss.
  unsigned next_level() const { return hit() ? level - 1 : 4; }
};

// Counters; index [0] = PML4 cache (level 4), [1] = PDPT (level 3), [2] = PD (level 2).
struct PwcCounters {
  std::uint64_t lookups = 0;
  std::uint64_t hits = 0;  // lookups with any hit, attributed to the deepest level in hits_by_level
  std::uint64_t misses = 0;
  std::array<std::uint64_t, kPwcLevels> hits_by_level{};
  std::array<std::uint64_t, kPwcLevels> fills{};
  std::array<std::uint64_t, kPwcLevels> evictions{};
  std::array<std::uint64_t, kPwcLevels> invalidated{};
};

// Counter index of a paging level 4..2.
constexpr unsigned pwc_index(unsigned level) { return 4 - level; }

class PagingStructureCache {
 public:
  explicit PagingStructureCache(const PwcConfig& cfg = {});  // validates cfg

  // Permissions before the PML4E is read: everything allowed.
  static constexpr arch::Perms kNoRestriction{true, true, true, true};
  // Permissions after the walk has read the guest paging entry `pte` under `above`: R/W and U/S
  // AND-ed, execute cleared by XD (SDM §4.6: the access rights of all levels combine).
  static constexpr arch::Perms accumulate(const arch::Perms& above, std::uint64_t pte) {
    return arch::Perms{true, above.w && arch::pte::writable(pte),
                       above.x && !arch::pte::exec_disable(pte), above.u && arch::pte::user(pte)};
  }

  // Counted: the deepest level whose cache holds (va, vmid, pcid).
  PwcHit lookup(arch::gva_t va, std::uint16_t vmid, std::uint16_t pcid) {
    ++counters_.lookups;
    for (unsigned level = 2; level <= 4; ++level) {
      SetAssoc<Entry>& c = caches_[pwc_index(level)];
      if (!c.enabled()) continue;
      const std::uint64_t key = key_of(va, level);
      const std::uint64_t tag = make_tag(key, vmid, pcid);
      const Entry* e = c.find(c.set_of(key), [tag](const Entry& x) { return x.tag == tag; });
      if (e != nullptr) {
        ++counters_.hits;
        ++counters_.hits_by_level[pwc_index(level)];
        return PwcHit{level, e->table, e->perms};
      }
    }
    ++counters_.misses;
    return PwcHit{};
  }

  // Caches the level-`level` (4, 3 or 2) entry for va: `table` is the address it points to and
  // `perms` the permissions accumulated down to and including it. No-op if that cache is disabled.
  // Throws std::invalid_argument for a level outside 2..4.
  void fill(unsigned level, arch::gva_t va, std::uint16_t vmid, std::uint16_t pcid,
            std::uint64_t table, const arch::Perms& perms);

  std::uint32_t invalidate(const arch::Invalidation& inv);

  bool enabled(unsigned level) const;  // level 4, 3 or 2
  std::uint32_t valid_entries(unsigned level) const;
  const PwcConfig& config() const { return config_; }
  const PwcCounters& counters() const { return counters_; }
  void reset_counters() { counters_ = {}; }

 private:
  struct Entry {
    std::uint64_t tag = 0;  // key << 28 | pcid << 16 | vmid
    std::uint64_t table = 0;
    std::uint16_t vmid = 0;
    std::uint16_t pcid = 0;  // the architectural 12 bits (as in the tag)
    arch::Perms perms;
  };
  static constexpr unsigned kPcidShift = 16;
  static constexpr unsigned kPcidBits = 12;
  static constexpr unsigned kKeyShift = kPcidShift + kPcidBits;
  static constexpr std::uint16_t kPcidMask = (1u << kPcidBits) - 1;
  // va[47 : 12 + 9 * (level - 1)]: 9, 18 or 27 bits.
  static std::uint64_t key_of(arch::gva_t va, unsigned level) {
    return (va & arch::bit_range(arch::kVirtualAddressBits - 1, 0)) >>
           (arch::kPageShift + 9 * (level - 1));
  }
  static std::uint64_t make_tag(std::uint64_t key, std::uint16_t vmid, std::uint16_t pcid) {
    return (key << kKeyShift) | (static_cast<std::uint64_t>(pcid & kPcidMask) << kPcidShift) | vmid;
  }

  PwcConfig config_;
  std::array<SetAssoc<Entry>, kPwcLevels> caches_;  // [pwc_index(level)]
  PwcCounters counters_;
};

}  // namespace mmuvp::tlm
