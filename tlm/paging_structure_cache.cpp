// Paging-structure caches (paging_structure_cache.h): construction, fills, invalidation.
#include "tlm/paging_structure_cache.h"

#include <fmt/format.h>

#include <stdexcept>

namespace mmuvp::tlm {

using arch::regs::InvOp;

void PwcConfig::validate() const {
  check_geometry("PwcConfig.pml4", pml4, SetRule::kPowerOfTwo);
  check_geometry("PwcConfig.pdpt", pdpt, SetRule::kPowerOfTwo);
  check_geometry("PwcConfig.pd", pd, SetRule::kPowerOfTwo);
}

namespace {
const PwcConfig& validated(const PwcConfig& cfg) {
  cfg.validate();
  return cfg;
}
}  // namespace

PagingStructureCache::PagingStructureCache(const PwcConfig& cfg)
    : config_(validated(cfg)),
      caches_{{SetAssoc<Entry>("PwcConfig.pml4", cfg.pml4),
               SetAssoc<Entry>("PwcConfig.pdpt", cfg.pdpt),
               SetAssoc<Entry>("PwcConfig.pd", cfg.pd)}} {}

void PagingStructureCache::fill(unsigned level, arch::gva_t va, std::uint16_t vmid,
                                std::uint16_t pcid, std::uint64_t table, const arch::Perms& perms) {
  if (level < 2 || level > 4) {
    throw std::invalid_argument(
        fmt::format("PagingStructureCache::fill: level {} has no cache (2..4)", level));
  }
  const unsigned i = pwc_index(level);
  SetAssoc<Entry>& c = caches_[i];
  if (!c.enabled()) return;
  const std::uint64_t key = key_of(va, level);
  const std::uint64_t tag = make_tag(key, vmid, pcid);
  const Placement<Entry> p = c.place(c.set_of(key), [tag](const Entry& x) { return x.tag == tag; });
  p.slot->tag = tag;
  p.slot->table = table & ~(arch::kPage4K - 1);
  p.slot->vmid = vmid;
  p.slot->pcid = pcid & kPcidMask;
  p.slot->perms = perms;
  p.slot->perms.r = true;
  ++counters_.fills[i];
  counters_.evictions[i] += p.evicted;
}

std::uint32_t PagingStructureCache::invalidate(const arch::Invalidation& inv) {
  const std::uint16_t vmid = inv.vmid;
  const std::uint16_t pcid = inv.pcid & kPcidMask;  // the architectural 12 bits, as the tag
  std::uint32_t total = 0;
  for (unsigned i = 0; i < kPwcLevels; ++i) {
    SetAssoc<Entry>& c = caches_[i];
    if (!c.enabled()) continue;
    std::uint32_t n = 0;
    switch (inv.op) {
      case InvOp::kNone:
        break;
      case InvOp::kInvlpg:
      case InvOp::kInvpcidAddr:
      case InvOp::kInvpcidContext:
        n = c.invalidate_if(
            [vmid, pcid](const Entry& x) { return x.vmid == vmid && x.pcid == pcid; });
        break;
      case InvOp::kInvpcidAllGlobal:
      case InvOp::kInvpcidAll:
      case InvOp::kInveptSingle:
        n = c.invalidate_if([vmid](const Entry& x) { return x.vmid == vmid; });
        break;
      case InvOp::kInveptAll:
      case InvOp::kFlushAll:
        n = c.clear();
        break;
    }
    counters_.invalidated[i] += n;
    total += n;
  }
  return total;
}

bool PagingStructureCache::enabled(unsigned level) const {
  return level >= 2 && level <= 4 && caches_[pwc_index(level)].enabled();
}

std::uint32_t PagingStructureCache::valid_entries(unsigned level) const {
  return enabled(level) ? caches_[pwc_index(level)].valid_count() : 0;
}

}  // namespace mmuvp::tlm
