// TLB arrays, levels and the per-core L1/L2 TLB (tlb.h): fills, invalidations, validation.
#include "tlm/tlb.h"

#include <fmt/format.h>

#include <stdexcept>
#include <utility>

namespace mmuvp::tlm {

using arch::PageSize;
using arch::regs::InvOp;

// ---- TlbArray ---------------------------------------------------------------------------------

TlbArray::TlbArray(std::string name, const Geometry& g, PageSizeSet sizes)
    : name_(std::move(name)), sizes_(sizes), store_(name_, g, SetRule::kPowerOfTwo) {
  if (g.enabled() && sizes.empty()) {
    throw std::invalid_argument(
        fmt::format("{}: holds no page size but has {} entries", name_, g.entries));
  }
  for (unsigned i = 0; i < kPageSizeCount; ++i) {
    const auto s = static_cast<PageSize>(i);
    if (sizes.has(s) && g.enabled()) probes_[num_probes_++] = s;
  }
}

const TlbEntry* TlbArray::peek(arch::gva_t va, std::uint16_t vmid, std::uint16_t pcid) const {
  const std::uint64_t v = va & kVaMask;
  for (unsigned i = 0; i < num_probes_; ++i) {
    const PageSize s = probes_[i];
    const std::uint64_t vpn = v >> arch::page_shift(s);
    const std::uint64_t tag = make_tag(vpn, s, vmid);
    const Stored* hit = store_.peek(store_.set_of(vpn), [tag, pcid](const Stored& x) {
      return x.tag == tag && (x.entry.global || x.entry.pcid == pcid);
    });
    if (hit != nullptr) return &hit->entry;
  }
  return nullptr;
}

bool TlbArray::fill(const TlbEntry& e) {
  if (!enabled() || !sizes_.has(e.size)) return false;
  const std::uint64_t vpn = (e.va & kVaMask) >> arch::page_shift(e.size);
  const std::uint64_t tag = make_tag(vpn, e.size, e.vmid);
  const std::uint16_t pcid = e.pcid;
  const Placement<Stored> p = store_.place(store_.set_of(vpn), [tag, pcid](const Stored& x) {
    return x.tag == tag && (x.entry.global || x.entry.pcid == pcid);
  });
  // Written in place (no temporary): fills are on the L2-hit path.
  const std::uint64_t base_mask = ~e.offset_mask();
  p.slot->tag = tag;
  p.slot->entry = e;
  p.slot->entry.va &= base_mask;
  p.slot->entry.hpa &= base_mask;
  p.slot->entry.gpa &= base_mask;
  ++counters_.fills;
  ++counters_.fills_by_size[size_index(e.size)];
  counters_.refills += p.replaced;
  counters_.evictions += p.evicted;
  return true;
}

std::uint32_t TlbArray::invalidate_page(arch::gva_t va, std::uint16_t vmid, std::uint16_t pcid,
                                        bool with_global) {
  std::uint32_t n = 0;
  const std::uint64_t v = va & kVaMask;
  for (unsigned i = 0; i < num_probes_; ++i) {
    const PageSize s = probes_[i];
    const std::uint64_t vpn = v >> arch::page_shift(s);
    const std::uint64_t tag = make_tag(vpn, s, vmid);
    n += store_.invalidate_in_set(store_.set_of(vpn), [&](const Stored& x) {
      return x.tag == tag && (x.entry.global ? with_global : x.entry.pcid == pcid);
    });
  }
  return n;
}

std::uint32_t TlbArray::invalidate(const arch::Invalidation& inv) {
  if (!enabled()) return 0;
  const std::uint16_t vmid = inv.vmid;
  const std::uint16_t pcid = inv.pcid;
  std::uint32_t n = 0;
  switch (inv.op) {
    case InvOp::kNone:
      break;
    case InvOp::kInvlpg:
      n = invalidate_page(inv.addr, vmid, pcid, /*with_global=*/true);
      break;
    case InvOp::kInvpcidAddr:
      n = invalidate_page(inv.addr, vmid, pcid, /*with_global=*/false);
      break;
    case InvOp::kInvpcidContext:
      n = store_.invalidate_if([vmid, pcid](const Stored& x) {
        return x.entry.vmid == vmid && x.entry.pcid == pcid && !x.entry.global;
      });
      break;
    case InvOp::kInvpcidAllGlobal:
    case InvOp::kInveptSingle:
      n = store_.invalidate_if([vmid](const Stored& x) { return x.entry.vmid == vmid; });
      break;
    case InvOp::kInvpcidAll:
      n = store_.invalidate_if(
          [vmid](const Stored& x) { return x.entry.vmid == vmid && !x.entry.global; });
      break;
    case InvOp::kInveptAll:
    case InvOp::kFlushAll:
      n = store_.clear();
      break;
  }
  counters_.invalidated += n;
  return n;
}

std::vector<std::uint32_t> TlbArray::lru_order(arch::gva_t va, PageSize size) const {
  return store_.lru_order(set_of(va, size));
}

// ---- TlbLevel ---------------------------------------------------------------------------------

TlbLevel::TlbLevel(std::string name, const std::vector<ArraySpec>& arrays)
    : name_(std::move(name)) {
  arrays_.reserve(arrays.size());
  PageSizeSet claimed;
  for (const ArraySpec& spec : arrays) {
    if (spec.sizes.overlaps(claimed)) {
      throw std::invalid_argument(fmt::format(
          "{}: array {} holds page sizes ({}) already held by another array of the level", name_,
          spec.name, spec.sizes.to_string()));
    }
    claimed = claimed | spec.sizes;
    arrays_.emplace_back(spec.name, spec.geometry, spec.sizes);
  }
  for (std::size_t a = 0; a < arrays_.size(); ++a) {
    for (unsigned i = 0; i < kPageSizeCount; ++i) {
      if (arrays_[a].enabled() && arrays_[a].sizes().has(static_cast<PageSize>(i))) {
        array_of_size_[i] = static_cast<int>(a);
      }
    }
  }
}

const TlbEntry* TlbLevel::probe_arrays(arch::gva_t va, std::uint16_t vmid, std::uint16_t pcid,
                                       std::uint64_t page, PageHint& h) {
  for (TlbArray& a : arrays_) {
    const std::uint32_t slot = a.find_slot(va, vmid, pcid);
    if (slot == TlbArray::kNoSlot) continue;
    h = PageHint{page, generation_, &a, slot, vmid, pcid};
    return a.entry_at(slot);  // find_slot() made it most recently used
  }
  return nullptr;
}

const TlbEntry* TlbLevel::peek(arch::gva_t va, std::uint16_t vmid, std::uint16_t pcid) const {
  for (const TlbArray& a : arrays_) {
    if (const TlbEntry* e = a.peek(va, vmid, pcid)) return e;
  }
  return nullptr;
}

bool TlbLevel::fill(const TlbEntry& e) {
  ++generation_;  // the page hints may no longer name what a probe would find
  const int a = array_of_size_[size_index(e.size)];
  return a >= 0 && arrays_[static_cast<std::size_t>(a)].fill(e);
}

bool TlbLevel::holds(PageSize s) const { return array_of_size_[size_index(s)] >= 0; }

const TlbArray* TlbLevel::array_for(PageSize s) const {
  const int a = array_of_size_[size_index(s)];
  return a >= 0 ? &arrays_[static_cast<std::size_t>(a)] : nullptr;
}

std::uint32_t TlbLevel::invalidate(const arch::Invalidation& inv) {
  ++generation_;
  std::uint32_t n = 0;
  for (TlbArray& a : arrays_) n += a.invalidate(inv);
  return n;
}

std::uint32_t TlbLevel::valid_entries() const {
  std::uint32_t n = 0;
  for (const TlbArray& a : arrays_) n += a.valid_entries();
  return n;
}

void TlbLevel::reset_counters() {
  counters_ = {};
  for (TlbArray& a : arrays_) a.reset_counters();
}

// ---- TlbConfig / Tlb --------------------------------------------------------------------------

void TlbConfig::validate() const {
  check_geometry("TlbConfig.l1_4k", l1_4k, SetRule::kPowerOfTwo);
  check_geometry("TlbConfig.l1_2m", l1_2m, SetRule::kPowerOfTwo);
  check_geometry("TlbConfig.l1_1g", l1_1g, SetRule::kPowerOfTwo);
  check_geometry("TlbConfig.l2", l2, SetRule::kPowerOfTwo);
  if (l2.enabled() && l2_sizes.empty()) {
    throw std::invalid_argument(
        fmt::format("TlbConfig.l2_sizes: no page size, but l2 has {} entries", l2.entries));
  }
}

std::string_view to_string(TlbHitLevel l) {
  switch (l) {
    case TlbHitLevel::kL1:
      return "L1";
    case TlbHitLevel::kL2:
      return "L2";
    case TlbHitLevel::kMiss:
      return "miss";
  }
  return "?";
}

namespace {
const TlbConfig& validated(const TlbConfig& cfg) {
  cfg.validate();
  return cfg;
}
}  // namespace

Tlb::Tlb(const TlbConfig& cfg)
    : config_(validated(cfg)),
      l1_("l1_dtlb", {{"l1_4k", cfg.l1_4k, PageSizeSet{PageSize::k4K}},
                      {"l1_2m", cfg.l1_2m, PageSizeSet{PageSize::k2M}},
                      {"l1_1g", cfg.l1_1g, PageSizeSet{PageSize::k1G}}}),
      l2_("l2_tlb", {{"l2", cfg.l2, cfg.l2_sizes}}) {}

void Tlb::reset_counters() {
  l1_.reset_counters();
  l2_.reset_counters();
}

}  // namespace mmuvp::tlm
