#include "arch/golden_translator.h"

#include "arch/ept.h"
#include "arch/pte.h"

namespace mmuvp::arch {

std::size_t TranslationResult::read_refs() const {
  std::size_t n = 0;
  for (const MemRef& m : refs) n += m.write ? 0 : 1;
  return n;
}

namespace {

std::uint32_t pf_code(const Access& a, std::uint32_t extra) {
  return extra | (a.type == AccessType::kWrite ? pf::kW : 0) | (a.user ? pf::kU : 0) |
         (a.type == AccessType::kExecute ? pf::kI : 0);
}

void set_fault(TranslationResult& r, FaultKind kind, FaultStage stage, unsigned level,
               std::uint32_t code, gva_t gva, std::uint64_t gpa) {
  r.fault.kind = kind;
  r.fault.stage = stage;
  r.fault.level = static_cast<std::uint8_t>(level);
  r.fault.code = code;
  r.fault.gva = gva;
  r.fault.gpa = gpa;
}

// EPT level whose leaf maps a page of size s (1: 4K, 2: 2M, 3: 1G).
unsigned leaf_level_of(PageSize s) {
  return s == PageSize::k4K ? 1 : s == PageSize::k2M ? 2 : 3;
}

// Guest-physical address bits a 4-level EPT walk translates.
constexpr unsigned kEptInputBits = 48;

}  // namespace

bool GoldenTranslator::read(hpa_t pa, std::uint64_t& v, TranslationResult& r, FaultStage stage,
                            unsigned level) {
  if (mem_.read64(pa, v)) return true;
  set_fault(r, FaultKind::kMemoryError, stage, level, 0, 0, pa);
  return false;
}

GoldenTranslator::HostStep GoldenTranslator::translate_gpa(const TranslationContext& ctx,
                                                           const Access& access, gpa_t gpa,
                                                           unsigned for_level,
                                                           TranslationResult& r,
                                                           WalkCaches* caches) {
  HostStep h;
  const bool final_access = for_level == 0;
  const FaultStage stage = final_access ? FaultStage::kFinal : FaultStage::kGuestTable;
  const bool filter_empty = ctx.filter == nullptr || ctx.filter->empty();

  if (uses_vmm_segment(ctx.mode) && ctx.vmm_seg.contains(gpa)) {
    if (!filter_empty && ctx.filter->maybe_contains(gpa >> kPageShift)) {
      ++r.filter_hits;  // escaped frame: the EPT walk below translates it
    } else {
      h.ok = true;
      h.hpa = ctx.vmm_seg.translate(gpa);
      h.size = ctx.vmm_seg.block_size(gpa, filter_empty);
      h.perms = {true, true, true, true};
      h.dirty = true;
      r.adds.push({SegmentKind::kVmm, gpa, h.hpa});
      if (final_access) r.vmm_seg_hit = true;
      return h;
    }
  }

  // EPT walk. Guest paging-structure accesses are reads; with EPT A/D enabled they are treated
  // as writes (they need W and set D on the EPT leaf) and a violation reports both the read and
  // the write bit (SDM Table 28-7, bit 1). The final access checks its own type.
  const bool ept_ad = ept::eptp::ad_enabled(ctx.eptp);
  const bool set_ad = ept_ad && ctx.ad_updates;
  std::uint32_t access_bits;  // exit-qualification bits 2:0
  std::uint64_t need;         // EPT permission the access needs
  if (!final_access) {
    access_bits = ept_ad ? (eptq::kRead | eptq::kWrite) : eptq::kRead;
    need = ept_ad ? ept::kW : ept::kR;
  } else if (access.type == AccessType::kWrite) {
    access_bits = eptq::kWrite;
    need = ept::kW;
  } else if (access.type == AccessType::kExecute) {
    access_bits = eptq::kFetch;
    need = ept::kX;
  } else {
    access_bits = eptq::kRead;
    need = ept::kR;
  }
  const std::uint32_t qual_base =
      access_bits | eptq::kGvaValid | (final_access ? eptq::kFinal : 0);

  // A 4-level EPT translates gPA bits 47:0 only (SDM §29.3.2): a gPA above them has no EPT entry
  // (it must not alias the low 256 TiB), so it is an EPT violation before any reference.
  if ((gpa >> kEptInputBits) != 0) {
    set_fault(r, FaultKind::kEptViolation, stage, ept::walk_first_level(ctx.mode), qual_base,
              access.va, gpa);
    return h;
  }

  if (caches != nullptr) {
    NestedHit hit;
    if (caches->nested_lookup(ctx, gpa, need, hit)) {
      h.ok = true;
      h.hpa = hit.translate(gpa);
      h.size = hit.size;
      h.perms = {hit.perms.r, hit.perms.w, hit.perms.x, true};
      h.leaf_level = leaf_level_of(hit.size);
      h.dirty = hit.dirty;
      return h;
    }
  }

  std::uint64_t table = ept::eptp::pml4(ctx.eptp, ctx.maxphyaddr);
  std::uint64_t rwx = ept::kRWX;
  for (unsigned level = ept::walk_first_level(ctx.mode); level >= 1;
       level = ept::walk_next_level(ctx.mode, level)) {
    const hpa_t entry_pa = table + 8ull * ept::walk_index(ctx.mode, gpa, level);
    r.refs.push({entry_pa, RefTarget::kEptEntry, static_cast<std::uint8_t>(level),
                 static_cast<std::uint8_t>(for_level), false});
    std::uint64_t e = 0;
    if (!read(entry_pa, e, r, stage, level)) {
      r.fault.gva = access.va;
      return h;
    }
    if (!ept::present(e)) {
      set_fault(r, FaultKind::kEptViolation, stage, level, qual_base, access.va, gpa);
      return h;
    }
    if (ept::misconfigured(e, level, ctx.maxphyaddr)) {
      set_fault(r, FaultKind::kEptMisconfig, stage, level, 0, access.va, gpa);
      return h;
    }
    rwx &= e & ept::kRWX;
    if (!ept::is_leaf(e, level)) {
      if (set_ad && !(e & ept::kA)) {
        write(entry_pa, e | ept::kA);
        r.refs.push({entry_pa, RefTarget::kEptEntry, static_cast<std::uint8_t>(level),
                     static_cast<std::uint8_t>(for_level), true});
      }
      table = ept::next_table(e, ctx.maxphyaddr);
      continue;
    }
    const std::uint32_t perm_bits = ((rwx & ept::kR) ? eptq::kReadable : 0) |
                                    ((rwx & ept::kW) ? eptq::kWritable : 0) |
                                    ((rwx & ept::kX) ? eptq::kExecutable : 0);
    if ((rwx & need) != need) {
      set_fault(r, FaultKind::kEptViolation, stage, level, qual_base | perm_bits, access.va, gpa);
      return h;
    }
    const bool dirty = need == ept::kW;
    const std::uint64_t want = ept::kA | (dirty ? ept::kD : 0);
    if (set_ad && (e & want) != want) {
      write(entry_pa, e | want);
      r.refs.push({entry_pa, RefTarget::kEptEntry, static_cast<std::uint8_t>(level),
                   static_cast<std::uint8_t>(for_level), true});
    }
    h.ok = true;
    h.size = ept::leaf_size(level);
    h.hpa = ept::leaf_frame(e, level, ctx.maxphyaddr) | (gpa & (page_bytes(h.size) - 1));
    h.perms = {(rwx & ept::kR) != 0, (rwx & ept::kW) != 0, (rwx & ept::kX) != 0, true};
    h.leaf = e;
    h.leaf_level = level;
    h.dirty = !ept_ad || ((set_ad ? (e | want) : e) & ept::kD) != 0;
    if (caches != nullptr)
      caches->nested_fill(ctx, NestedHit{gpa, h.hpa & ~(page_bytes(h.size) - 1), h.size, h.perms,
                                         h.dirty});
    return h;
  }
  return h;  // unreachable: level 1 is always a leaf
}

TranslationResult GoldenTranslator::translate(const TranslationContext& ctx, const Access& access,
                                              WalkCaches* caches) {
  TranslationResult r;
  const gva_t va = access.va;
  if (!is_canonical(va)) {
    set_fault(r, FaultKind::kNonCanonical, FaultStage::kNone, 0, 0, va, 0);
    return r;
  }
  const bool virt = is_virtualized(ctx.mode);
  const bool is_write = access.type == AccessType::kWrite;
  const bool is_exec = access.type == AccessType::kExecute;

  // ---- gVA -> gPA ----------------------------------------------------------------------------
  bool g_w = true, g_u = true, g_x = true;
  bool g_dirty = true;  // the guest leaf's D is set (or a segment translated)
  if (uses_guest_segment(ctx.mode) && ctx.guest_seg.contains(va)) {
    if (is_exec) {  // segments map read/write/user memory, not code
      set_fault(r, FaultKind::kGuestPageFault, FaultStage::kFinal, 0, pf_code(access, pf::kP), va,
                0);
      return r;
    }
    r.gpa = ctx.guest_seg.translate(va);
    r.guest_size = ctx.guest_seg.block_size(va, true);
    r.guest_seg_hit = true;
    g_x = false;
    r.adds.push({SegmentKind::kGuest, va, r.gpa});
  } else {
    gpa_t table = ctx.cr3 & frame_mask(ctx.maxphyaddr);
    unsigned start = 4;
    if (caches != nullptr) {
      const GuestStart gs = caches->guest_start(ctx, va);
      if (gs.level >= 2 && gs.level <= 4) {
        table = gs.table;
        start = gs.level - 1;
        g_w = gs.perms.w;
        g_u = gs.perms.u;
        g_x = gs.perms.x;
      }
    }
    for (unsigned level = start; level >= 1; --level) {
      const gpa_t entry_gpa = table + 8ull * table_index(va, level);
      hpa_t entry_hpa = entry_gpa;
      Perms table_perms{true, true, true, true};  // EPT permissions on this guest table
      unsigned table_ept_level = 0;
      if (virt) {
        const HostStep h = translate_gpa(ctx, access, entry_gpa, level, r, caches);
        if (!h.ok) return r;
        entry_hpa = h.hpa;
        table_perms = h.perms;
        table_ept_level = h.leaf_level;
      }
      r.refs.push({entry_hpa, RefTarget::kGuestEntry, static_cast<std::uint8_t>(level),
                   static_cast<std::uint8_t>(level), false});
      std::uint64_t e = 0;
      if (!mem_.read_guest_table64(entry_gpa, entry_hpa, e)) {
        set_fault(r, FaultKind::kMemoryError, FaultStage::kGuestTable, level, 0, va, entry_hpa);
        return r;
      }
      if (!pte::present(e)) {
        set_fault(r, FaultKind::kGuestPageFault, FaultStage::kGuestTable, level, pf_code(access, 0),
                  va, 0);
        return r;
      }
      if (pte::has_reserved(e, level, ctx.maxphyaddr)) {
        set_fault(r, FaultKind::kGuestPageFault, FaultStage::kGuestTable, level,
                  pf_code(access, pf::kP | pf::kRsvd), va, 0);
        return r;
      }
      g_w = g_w && pte::writable(e);
      g_u = g_u && pte::user(e);
      g_x = g_x && !pte::exec_disable(e);
      const bool leaf = pte::is_leaf(e, level);
      if (leaf) {
        const bool denied = (access.user && !g_u) || (is_write && !g_w) || (is_exec && !g_x);
        if (denied) {
          set_fault(r, FaultKind::kGuestPageFault, FaultStage::kFinal, level,
                    pf_code(access, pf::kP), va, 0);
          return r;
        }
      }
      const std::uint64_t want = pte::kA | ((leaf && is_write) ? pte::kD : 0);
      if (ctx.ad_updates && (e & want) != want) {
        // The A/D update is a write to the guest table: the EPT must allow it (SPEC §1).
        if (!table_perms.w) {
          set_fault(r, FaultKind::kEptViolation, FaultStage::kGuestTable, table_ept_level,
                    eptq::kWrite | eptq::kGvaValid | (table_perms.r ? eptq::kReadable : 0) |
                        (table_perms.x ? eptq::kExecutable : 0),
                    va, entry_gpa);
          return r;
        }
        write(entry_hpa, e | want);
        r.refs.push({entry_hpa, RefTarget::kGuestEntry, static_cast<std::uint8_t>(level),
                     static_cast<std::uint8_t>(level), true});
      }
      if (leaf) {
        r.guest_size = pte::leaf_size(level);
        r.gpa = pte::leaf_frame(e, level, ctx.maxphyaddr) | (va & (page_bytes(r.guest_size) - 1));
        r.guest_leaf = e;
        r.global = pte::global(e);
        g_dirty = ((ctx.ad_updates ? (e | want) : e) & pte::kD) != 0;
        break;
      }
      table = pte::next_table(e, ctx.maxphyaddr);
      if (caches != nullptr && level >= 2)
        caches->guest_fill(ctx, level, va, table, Perms{true, g_w, g_x, g_u});
    }
  }

  // ---- gPA -> hPA ----------------------------------------------------------------------------
  if (!virt) {
    r.hpa = r.gpa;
    r.host_size = PageSize::k1G;
    r.size = r.guest_size;
    r.perms = {true, g_w, g_x, g_u};
    r.dirty = g_w && g_dirty;
    return r;
  }
  const HostStep h = translate_gpa(ctx, access, r.gpa, 0, r, caches);
  if (!h.ok) return r;
  r.hpa = h.hpa;
  r.host_size = h.size;
  r.ept_leaf = h.leaf;
  r.size = min_size(r.guest_size, r.host_size);
  r.perms = {h.perms.r, g_w && h.perms.w, g_x && h.perms.x, g_u};
  r.dirty = r.perms.w && g_dirty && h.dirty;
  return r;
}

}  // namespace mmuvp::arch
