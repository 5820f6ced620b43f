// The nested TLB (nested_tlb.h): construction, fills, INVEPT.
#include "tlm/nested_tlb.h"

#include <fmt/format.h>

#include <stdexcept>

namespace mmuvp::tlm {

using arch::PageSize;
using arch::regs::InvOp;

void NestedTlbConfig::validate() const {
  check_geometry("NestedTlbConfig.geometry", geometry, SetRule::kPowerOfTwo);
  if (geometry.enabled() && sizes.empty()) {
    throw std::invalid_argument(
        fmt::format("NestedTlbConfig.sizes: no page size, but the nested TLB has {} entries",
                    geometry.entries));
  }
}

namespace {
const NestedTlbConfig& validated(const NestedTlbConfig& cfg) {
  cfg.validate();
  return cfg;
}
}  // namespace

NestedTlb::NestedTlb(const NestedTlbConfig& cfg)
    : config_(validated(cfg)), store_("NestedTlbConfig.geometry", cfg.geometry) {
  for (unsigned i = 0; i < kPageSizeCount; ++i) {
    const auto s = static_cast<PageSize>(i);
    if (cfg.sizes.has(s) && cfg.geometry.enabled()) probes_[num_probes_++] = s;
  }
}

const NestedTlbEntry* NestedTlb::peek(arch::gpa_t gpa, std::uint16_t vmid) const {
  for (unsigned i = 0; i < num_probes_; ++i) {
    const PageSize s = probes_[i];
    const std::uint64_t frame = gpa >> arch::page_shift(s);
    const std::uint64_t tag = make_tag(frame, s, vmid);
    const Stored* hit =
        store_.peek(store_.set_of(frame), [tag](const Stored& x) { return x.tag == tag; });
    if (hit != nullptr) return &hit->entry;
  }
  return nullptr;
}

bool NestedTlb::fill(const NestedTlbEntry& e) {
  if (!enabled() || !config_.sizes.has(e.size)) return false;
  const std::uint64_t frame = e.gpa >> arch::page_shift(e.size);
  const std::uint64_t tag = make_tag(frame, e.size, e.vmid);
  const Placement<Stored> p =
      store_.place(store_.set_of(frame), [tag](const Stored& x) { return x.tag == tag; });
  p.slot->tag = tag;
  p.slot->entry = e;
  p.slot->entry.gpa &= ~e.offset_mask();
  p.slot->entry.hpa &= ~e.offset_mask();
  ++counters_.fills;
  ++counters_.fills_by_size[size_index(e.size)];
  counters_.refills += p.replaced;
  counters_.evictions += p.evicted;
  return true;
}

std::uint32_t NestedTlb::invalidate(const arch::Invalidation& inv) {
  if (!enabled()) return 0;
  std::uint32_t n = 0;
  const std::uint16_t vmid = inv.vmid;
  switch (inv.op) {
    case InvOp::kInveptSingle:
      n = store_.invalidate_if([vmid](const Stored& x) { return x.entry.vmid == vmid; });
      break;
    case InvOp::kInveptAll:
    case InvOp::kFlushAll:
      n = store_.clear();
      break;
    case InvOp::kNone:
    case InvOp::kInvlpg:
    case InvOp::kInvpcidAddr:
    case InvOp::kInvpcidContext:
    case InvOp::kInvpcidAllGlobal:
    case InvOp::kInvpcidAll:
      break;
  }
  counters_.invalidated += n;
  return n;
}

}  // namespace mmuvp::tlm
