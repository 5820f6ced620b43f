// The nested TLB (SPEC §4): caches gPA -> hPA translations of the EPT for the nested dimension,
// so the walker can skip the EPT walk of a guest page-table gPA (or of the final gPA). Keyed by
// VMID and gPA frame; holds 4K, 2M and 1G EPT mappings in one array (a lookup probes once per
// size, each with that size's frame number as index), with the EPT permissions (r, w, x AND-ed
// over the EPT levels) and the EPT leaf size. Plain C++17.
//
// Dirty rule (as tlb.h): `dirty` says a write may use the entry without an EPT walk (EPT A/D off,
// or the EPT leaf's D already set). With EPT A/D on, guest paging-structure accesses count as
// writes (SDM Vol. 3C §29.3.5), so the walker looks those up as kWrite.
//
// Geometry (not in the paper; assumed): 32 entries, 4-way (8 sets), all three page sizes. The
// structure follows the nested TLB of Bhargava et al. (ASPLOS 2008); its size here is our
// assumption, equal to the PD cache's. Configurable; 0 entries disables it.
//
// Invalidation: INVEPT single drops every entry of its VMID; INVEPT all and flush all drop
// everything. INVLPG and INVPCID do not touch guest-physical mappings (SDM §28.3.3.1).
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "arch/address.h"
#include "arch/register_block.h"
#include "arch/translation.h"
#include "tlm/page_size_set.h"
#include "tlm/set_assoc.h"

namespace mmuvp::tlm {

struct NestedTlbConfig {
  Geometry geometry{32, 4};
  PageSizeSet sizes = PageSizeSet::all();

  // Throws std::invalid_argument("NestedTlbConfig.<field>: <reason>").
  void validate() const;
};

struct NestedTlbEntry {
  arch::gpa_t gpa = 0;  // guest-physical base of the EPT page (a fill may pass any address in it)
  arch::hpa_t hpa = 0;  // host-physical base
  arch::PageSize size = arch::PageSize::k4K;  // EPT leaf size
  std::uint16_t vmid = 0;
  bool dirty = false;  // a write may use the entry without an EPT walk
  arch::Perms perms;   // r, w, x of the EPT mapping (u unused)

  std::uint64_t offset_mask() const { return arch::page_bytes(size) - 1; }
  arch::hpa_t translate(arch::gpa_t a) const { return hpa | (a & offset_mask()); }
};

struct NestedTlbCounters {
  std::uint64_t lookups = 0;
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;        // including dirty_misses
  std::uint64_t dirty_misses = 0;  // writes that found the frame only without `dirty`
  std::array<std::uint64_t, kPageSizeCount> hits_by_size{};
  std::uint64_t fills = 0;
  std::uint64_t refills = 0;
  std::uint64_t evictions = 0;
  std::uint64_t invalidated = 0;
  std::array<std::uint64_t, kPageSizeCount> fills_by_size{};
};

class NestedTlb {
 public:
  explicit NestedTlb(const NestedTlbConfig& cfg = {});  // validates cfg

  bool enabled() const { return store_.enabled(); }

  // Counted lookup of the EPT mapping of `gpa` in VM `vmid`; nullptr on a miss (always when
  // disabled). The entry stays valid until the next fill or invalidation.
  const NestedTlbEntry* lookup(arch::gpa_t gpa, std::uint16_t vmid, arch::AccessType type) {
    ++counters_.lookups;
    for (unsigned i = 0; i < num_probes_; ++i) {
      const arch::PageSize s = probes_[i];
      const std::uint64_t frame = gpa >> arch::page_shift(s);
      const std::uint64_t tag = make_tag(frame, s, vmid);
      const Stored* hit =
          store_.find(store_.set_of(frame), [tag](const Stored& x) { return x.tag == tag; });
      if (hit == nullptr) continue;
      if (type == arch::AccessType::kWrite && !hit->entry.dirty) {
        ++counters_.dirty_misses;
        break;
      }
      ++counters_.hits;
      ++counters_.hits_by_size[size_index(s)];
      return &hit->entry;
    }
    ++counters_.misses;
    return nullptr;
  }
  // Uncounted, no LRU change.
  const NestedTlbEntry* peek(arch::gpa_t gpa, std::uint16_t vmid) const;

  // Installs `e` (addresses aligned to its size); false, changing nothing, if disabled or the size
  // is not held.
  bool fill(const NestedTlbEntry& e);
  std::uint32_t invalidate(const arch::Invalidation& inv);

  std::uint32_t valid_entries() const { return store_.valid_count(); }
  const NestedTlbConfig& config() const { return config_; }
  const NestedTlbCounters& counters() const { return counters_; }
  void reset_counters() { counters_ = {}; }

 private:
  struct Stored {
    std::uint64_t tag = 0;  // frame << 18 | size << 16 | vmid
    NestedTlbEntry entry;
  };
  static constexpr unsigned kSizeShift = 16;
  static constexpr unsigned kFrameShift = 18;
  static std::uint64_t make_tag(std::uint64_t frame, arch::PageSize s, std::uint16_t vmid) {
    return (frame << kFrameShift) | (std::uint64_t{size_index(s)} << kSizeShift) | vmid;
  }

  NestedTlbConfig config_;
  std::array<arch::PageSize, kPageSizeCount> probes_{};  // sizes held, smallest first
  unsigned num_probes_ = 0;
  SetAssoc<Stored> store_;
  NestedTlbCounters counters_;
};

}  // namespace mmuvp::tlm
