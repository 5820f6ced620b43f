// The RTL walker's response ports (rtl/walker_top.sv) as a tlm::WalkResponse: one decoding for the
// SystemC wrapper (tb/rtl_walker_sc.*) and the standalone Verilated harness (tests/rtl/), so that
// the co-simulation and the RTL unit tests read a response the same way.
//
// The caller fills id, slot, cycles, result.refs and values (observed on the memory port) first;
// read_rtl_response() adds the result fields, the walk caches' use, and the segment additions
// (recomputed from the VMM-segment mask, the start table and the guest entries read).
#pragma once
#include <cstdint>

#include "arch/pte.h"
#include "tlm/walk_fsm.h"
#include "tlm/walk_types.h"

namespace mmuvp::tb {

constexpr unsigned kRtlNtlbLog = 5;  // walker_pkg::MaxNtlbLog: nested lookups reported per walk

// 64-bit word `index` of a Verilator wide signal.
template <typename Wide>
std::uint64_t rtl_word64(const Wide& w, unsigned index) {
  return static_cast<std::uint64_t>(w[2 * index]) |
         (static_cast<std::uint64_t>(w[2 * index + 1]) << 32);
}

// {r, w, x, u} with r the most significant bit (tlm/walk_fsm.h kPerm*).
inline arch::Perms rtl_perms(unsigned rwxu) {
  return arch::Perms{(rwxu & tlm::kPermR) != 0, (rwxu & tlm::kPermW) != 0,
                     (rwxu & tlm::kPermX) != 0, (rwxu & tlm::kPermU) != 0};
}

template <typename Top>
void read_rtl_response(const Top& p, const tlm::WalkRequest& req, tlm::WalkResponse& w) {
  arch::TranslationResult& r = w.result;
  r.fault.kind = static_cast<arch::FaultKind>(p.resp_fault_kind);
  r.fault.stage = static_cast<arch::FaultStage>(p.resp_fault_stage);
  r.fault.level = p.resp_fault_level;
  r.fault.code = p.resp_fault_code;
  r.fault.gva = p.resp_fault_gva;
  r.fault.gpa = p.resp_fault_gpa;
  r.gpa = p.resp_gpa;
  r.hpa = p.resp_hpa;
  r.size = static_cast<arch::PageSize>(p.resp_size);
  r.guest_size = static_cast<arch::PageSize>(p.resp_guest_size);
  r.host_size = static_cast<arch::PageSize>(p.resp_host_size);
  r.perms = rtl_perms(p.resp_perms);
  r.guest_leaf = p.resp_guest_leaf;
  r.ept_leaf = p.resp_ept_leaf;
  r.guest_seg_hit = p.resp_guest_seg_hit;
  r.vmm_seg_hit = p.resp_vmm_seg_hit;
  r.filter_hits = p.resp_filter_hits;
  r.global = p.resp_global;
  r.dirty = p.resp_dirty;

  // Cache use: the PWC start and every nested lookup, in order.
  if (p.resp_pwc_level != 0)
    w.caches.guest = arch::GuestStart{p.resp_pwc_level, p.resp_pwc_table,
                                      rtl_perms(p.resp_pwc_perms)};
  for (unsigned i = 0; i < p.resp_ntlb_count && i < kRtlNtlbLog; ++i) {
    arch::NestedLookup l;
    l.gpa = rtl_word64(p.resp_ntlb_gpa, i);
    l.hit = (p.resp_ntlb_hit >> i) & 1u;
    if (l.hit) {
      l.entry.gpa = l.gpa;
      l.entry.hpa = rtl_word64(p.resp_ntlb_hpa, i);
      l.entry.size = static_cast<arch::PageSize>((p.resp_ntlb_size >> (2 * i)) & 3u);
      l.entry.perms = rtl_perms((p.resp_ntlb_perms >> (4 * i)) & 0xfu);
      l.entry.dirty = (p.resp_ntlb_dirty >> i) & 1u;
    }
    w.caches.nested.push_back(l);
  }

  // Segment additions: the guest segment's, then each gPA the VMM segment translated (guest
  // entries from the first level walked down, then the final gPA); an entry's gPA follows from
  // the start table and the guest entries read.
  const arch::TranslationContext& ctx = req.ctx;
  const arch::gva_t va = req.access.va;
  if (r.guest_seg_hit) r.adds.push({arch::SegmentKind::kGuest, va, r.gpa});
  const unsigned mask = p.resp_vmm_seg_mask;
  std::uint64_t table = w.caches.guest.level != 0 ? w.caches.guest.table
                                                  : (ctx.cr3 & arch::frame_mask(ctx.maxphyaddr));
  const unsigned first = w.caches.guest.level != 0 ? w.caches.guest.level - 1 : 4;
  for (unsigned level = first; level >= 1 && !r.guest_seg_hit; --level) {
    const arch::gpa_t entry_gpa = table + 8ull * arch::table_index(va, level);
    if ((mask >> level) & 1u)
      r.adds.push({arch::SegmentKind::kVmm, entry_gpa, entry_gpa + ctx.vmm_seg.offset});
    bool found = false;
    for (std::size_t i = 0; i < r.refs.size(); ++i) {
      const arch::MemRef& m = r.refs[i];
      if (m.target == arch::RefTarget::kGuestEntry && m.level == level && !m.write) {
        table = arch::pte::next_table(w.values[i], ctx.maxphyaddr);
        found = true;
      }
    }
    if (!found) break;
  }
  if (mask & 1u) r.adds.push({arch::SegmentKind::kVmm, r.gpa, r.gpa + ctx.vmm_seg.offset});
}

}  // namespace mmuvp::tb
