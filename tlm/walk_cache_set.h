// The walk caches of one walker (a paging-structure cache and a nested TLB) behind the golden
// model's hook (arch/walk_caches.h): the LT walker and the `--walker golden` run hand this to
// GoldenTranslator::translate, and it records the cache use of each walk for the checker.
#pragma once
#include "arch/pte.h"
#include "arch/ept.h"
#include "arch/walk_caches.h"
#include "tlm/nested_tlb.h"
#include "tlm/paging_structure_cache.h"

namespace mmuvp::tlm {

class WalkCacheSet final : public arch::WalkCaches {
 public:
  WalkCacheSet(const PwcConfig& pwc, const NestedTlbConfig& ntlb) : pwc_(pwc), ntlb_(ntlb) {}

  // Starts recording the cache use of one walk into `use` (nullptr: do not record).
  void begin_walk(arch::WalkCacheUse* use) {
    use_ = use;
    if (use_ != nullptr) use_->clear();
  }

  arch::GuestStart guest_start(const arch::TranslationContext& ctx, arch::gva_t va) override {
    const PwcHit h = pwc_.lookup(va, ctx.vmid, ctx.pcid);
    arch::GuestStart s;
    if (h.hit()) s = arch::GuestStart{h.level, h.table, h.perms};
    if (use_ != nullptr) use_->guest = s;
    return s;
  }
  bool nested_lookup(const arch::TranslationContext& ctx, arch::gpa_t gpa, std::uint64_t need,
                     arch::NestedHit& out) override {
    const arch::AccessType type = need == arch::ept::kW ? arch::AccessType::kWrite
                                  : need == arch::ept::kX ? arch::AccessType::kExecute
                                                          : arch::AccessType::kRead;
    const NestedTlbEntry* e = ntlb_.lookup(gpa, ctx.vmid, type);
    // An entry that does not grant the access is not used: the EPT walk faults from memory.
    const bool grants = e != nullptr && (need != arch::ept::kR || e->perms.r) &&
                        (need != arch::ept::kW || e->perms.w) &&
                        (need != arch::ept::kX || e->perms.x);
    arch::NestedLookup l;
    l.gpa = gpa;
    if (grants) {
      out = arch::NestedHit{gpa, e->hpa, e->size, e->perms, e->dirty};
      l.hit = true;
      l.entry = out;
    }
    if (use_ != nullptr) use_->nested.push_back(l);
    return grants;
  }
  void guest_fill(const arch::TranslationContext& ctx, unsigned level, arch::gva_t va,
                  std::uint64_t table, const arch::Perms& perms) override {
    pwc_.fill(level, va, ctx.vmid, ctx.pcid, table, perms);
  }
  void nested_fill(const arch::TranslationContext& ctx, const arch::NestedHit& h) override {
    NestedTlbEntry e;
    e.gpa = h.gpa & ~(arch::page_bytes(h.size) - 1);
    e.hpa = h.hpa;
    e.size = h.size;
    e.vmid = ctx.vmid;
    e.dirty = h.dirty;
    e.perms = h.perms;
    ntlb_.fill(e);
  }
  void invalidate(const arch::Invalidation& inv) {
    pwc_.invalidate(inv);
    ntlb_.invalidate(inv);
  }

  PagingStructureCache& pwc() { return pwc_; }
  NestedTlb& ntlb() { return ntlb_; }
  const PagingStructureCache& pwc() const { return pwc_; }
  const NestedTlb& ntlb() const { return ntlb_; }

 private:
  PagingStructureCache pwc_;
  NestedTlb ntlb_;
  arch::WalkCacheUse* use_ = nullptr;
};

}  // namespace mmuvp::tlm
