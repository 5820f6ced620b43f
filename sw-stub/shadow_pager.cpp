#include "sw-stub/shadow_pager.h"

#include <fmt/format.h>

#include <algorithm>

#include "arch/ept.h"
#include "arch/fault.h"
#include "arch/mmu_regs.h"
#include "arch/pte.h"
#include "sw-stub/mmu_program.h"
#include "sw-stub/stub_error.h"
#include "sw-stub/virtual_machine.h"

namespace mmuvp::stub {

namespace {

using arch::PageSize;
constexpr std::uint64_t k4K = arch::kPage4K;
constexpr unsigned kRootLevel = 4;
constexpr std::uint64_t kEntries = 512;

// The exclusive-end Range of an inclusive span, the top byte of the address space left out
// (every leaf is page aligned, so no leaf is missed).
Range range_of(arch::gva_t lo, arch::gva_t last) { return {lo, last == ~0ull ? last : last + 1}; }

}  // namespace

ShadowPager::ShadowPager(VirtualMachine& vm, MachineBus& bus, FrameAllocator& host,
                         bool preset_ad, bool shadow_by_default)
    : vm_(vm),
      bus_(bus),
      mem_(bus, host),
      preset_ad_(preset_ad),
      shadow_by_default_(shadow_by_default) {}

ShadowPager::~ShadowPager() { mem_.release_all(); }

// ---- traps --------------------------------------------------------------------------------------

bool ShadowPager::protects(arch::hpa_t hpa) const { return tables_.count(hpa & ~(k4K - 1)) != 0; }

void ShadowPager::table_written(arch::hpa_t hpa) {
  ++stats_.table_write_exits;
  const auto it = tables_.find(hpa & ~(k4K - 1));
  if (it == tables_.end()) return;
  const std::uint64_t index = (hpa & (k4K - 1)) >> 3;
  const std::vector<TableUse> uses = it->second;  // a copy: the re-sync edits tables_
  for (const TableUse& u : uses) {
    const arch::gva_t lo = arch::sign_extend(u.base + index * arch::entry_span(u.level));
    sync(*u.shadow, {lo, lo + arch::entry_span(u.level) - 1}, u.level);
  }
}

ShadowPager::Load ShadowPager::cr3_written(unsigned core, arch::gpa_t guest_cr3,
                                           std::uint16_t pcid) {
  ++stats_.cr3_exits;
  Shadow& s = shadow_of(guest_cr3 & ~(k4K - 1));
  s.cores[core] = pcid;
  loaded_[core] = &s;
  return load_of(s);
}

std::optional<ShadowPager::Load> ShadowPager::loaded(unsigned core) const {
  const auto it = loaded_.find(core);
  if (it == loaded_.end()) return std::nullopt;
  return load_of(*it->second);
}

ShadowPager::Load ShadowPager::load_of(const Shadow& s) const {
  if (s.active) return {s.editor->root(), arch::Mode::kNative};
  return {s.guest_cr3, arch::Mode::kNested};
}

void ShadowPager::pcid_written(unsigned core, std::uint16_t pcid) {
  const auto it = loaded_.find(core);
  if (it != loaded_.end()) it->second->cores[core] = pcid;
}

std::optional<arch::gpa_t> ShadowPager::guest_cr3(unsigned core) const {
  const auto it = loaded_.find(core);
  if (it == loaded_.end()) return std::nullopt;
  return it->second->guest_cr3;
}

bool ShadowPager::hidden_fault(unsigned core, arch::gva_t gva, std::uint64_t error_code) {
  ++stats_.hidden_fault_exits;
  const auto it = loaded_.find(core);
  // A present shadow entry that refused the access: the guest's or the EPT's permissions, which
  // the shadow holds exactly; the guest's own fault.
  if (it == loaded_.end() || !it->second->active || (error_code & arch::pf::kP) != 0 ||
      !arch::is_canonical(gva)) {
    ++stats_.injected_faults;
    return false;
  }
  Shadow& s = *it->second;
  // The guest's own walk of gva (no A/D, no permission check: those are the shadow's).
  arch::gpa_t table = s.guest_cr3;
  for (unsigned level = kRootLevel; level >= 1; --level) {
    const std::uint64_t e = read_guest(table + 8ull * arch::table_index(gva, level));
    if (!arch::pte::present(e) ||
        arch::pte::has_reserved(e, level, kEditorPhysBits)) {
      ++stats_.injected_faults;
      return false;
    }
    if (level == 1 || arch::pte::is_leaf(e, level)) {
      const std::uint64_t span = arch::entry_span(level);
      const arch::gva_t va = gva & ~(span - 1);
      const arch::gpa_t gpa = arch::pte::leaf_frame(e, level, kEditorPhysBits) + (gva - va);
      // The shadow lags the guest when the gPA was not backed: back it, as an EPT violation.
      if (!vm_.lookup(gpa)) vm_.handle_ept_violation(gpa);
      sync(s, {va, va + span - 1}, level);
      if (s.record.find(gva)) return true;
      ++stats_.injected_faults;
      return false;
    }
    table = arch::pte::next_table(e, kEditorPhysBits);
  }
  ++stats_.injected_faults;
  return false;
}

void ShadowPager::resync_all() {
  for (auto& [cr3, s] : shadows_)
    if (s->active) sync(*s, {0, ~0ull}, kRootLevel + 1);
}

// ---- dynamic switching --------------------------------------------------------------------------

bool ShadowPager::shadowed(arch::gpa_t guest_cr3) const {
  const auto it = shadows_.find(guest_cr3 & ~(k4K - 1));
  return it == shadows_.end() ? shadow_by_default_ : it->second->active;
}

bool ShadowPager::shadowing(unsigned core) const {
  const auto it = loaded_.find(core);
  return it != loaded_.end() && it->second->active;
}

bool ShadowPager::set_shadowed(arch::gpa_t guest_cr3, bool on) {
  Shadow& s = shadow_of(guest_cr3 & ~(k4K - 1));
  if (s.active == on) return false;
  ++stats_.switch_exits;
  s.active = on;
  if (on) {
    populate(s, s.guest_cr3, kRootLevel, 0, {0, ~0ull});
  } else {
    drop(s, {0, ~0ull}, kRootLevel + 1);
  }
  const Load load = load_of(s);
  for (const auto& [core, shadow] : loaded_) {
    if (shadow != &s) continue;
    mmu::set_mode(bus_, core, load.mode);
    mmu::write(bus_, core, arch::regs::kCr3, load.cr3);
  }
  // Translations cached under the other mode (the TLBs hold the same gVA -> hPA, but the
  // paging-structure caches hold the other tables' entries) go on every core it ran on.
  for (const auto& [core, pcid] : s.cores) {
    mmu::invalidate(bus_, core, arch::regs::InvOp::kInvpcidContext, pcid);
    ++stats_.invalidations;
  }
  return true;
}

// ---- inspection ---------------------------------------------------------------------------------

std::optional<arch::hpa_t> ShadowPager::shadow_root(arch::gpa_t guest_cr3) const {
  const auto it = shadows_.find(guest_cr3 & ~(k4K - 1));
  if (it == shadows_.end()) return std::nullopt;
  return it->second->editor->root();
}

const MappingRecord* ShadowPager::shadow_mappings(arch::gpa_t guest_cr3) const {
  const auto it = shadows_.find(guest_cr3 & ~(k4K - 1));
  return it == shadows_.end() ? nullptr : &it->second->record;
}

// ---- building and re-syncing --------------------------------------------------------------------

ShadowPager::Shadow& ShadowPager::shadow_of(arch::gpa_t guest_cr3) {
  if (auto it = shadows_.find(guest_cr3); it != shadows_.end()) return *it->second;
  auto s = std::make_unique<Shadow>();
  s->guest_cr3 = guest_cr3;
  s->editor = std::make_unique<TableEditor<GuestTableFormat>>(mem_, preset_ad_);
  s->active = shadow_by_default_;
  Shadow& ref = *s;
  shadows_.emplace(guest_cr3, std::move(s));
  ++stats_.shadow_roots;
  if (ref.active) populate(ref, guest_cr3, kRootLevel, 0, {0, ~0ull});
  return ref;
}

void ShadowPager::sync(Shadow& s, Span span, unsigned level) {
  // A shadow leaf reaching past the span (left from a larger guest leaf) goes too, and its
  // whole range is rebuilt.
  for (const Leaf& l : s.record.leaves_in(range_of(span.lo, span.last))) {
    span.lo = std::min(span.lo, l.in);
    span.last = std::max(span.last, l.in + l.bytes() - 1);
  }
  drop(s, span, level);
  populate(s, s.guest_cr3, kRootLevel, 0, span);
}

void ShadowPager::drop(Shadow& s, Span span, unsigned level) {
  const std::vector<Leaf> leaves = s.record.leaves_in(range_of(span.lo, span.last));
  for (const Leaf& l : leaves) {
    s.editor->unmap(l.in, l.size);
    s.record.remove({l.in, l.in + l.bytes()});
  }
  stats_.leaves_dropped += leaves.size();
  // The guest tables below the re-synced entry are found again by the walk (or are gone).
  for (auto it = tables_.begin(); it != tables_.end();) {
    std::vector<TableUse>& uses = it->second;
    uses.erase(std::remove_if(uses.begin(), uses.end(),
                              [&](const TableUse& u) {
                                return u.shadow == &s && u.level < level && u.base >= span.lo &&
                                       u.base <= span.last;
                              }),
               uses.end());
    it = uses.empty() ? tables_.erase(it) : std::next(it);
  }
  invalidate(s, leaves);
}

void ShadowPager::populate(Shadow& s, arch::gpa_t table, unsigned level, arch::gva_t base,
                           Span span) {
  const std::optional<arch::hpa_t> frame = vm_.lookup(table);
  if (!frame) return;  // a table the guest never wrote: nothing present
  std::vector<TableUse>& uses = tables_[*frame & ~(k4K - 1)];
  const bool known = std::any_of(uses.begin(), uses.end(), [&](const TableUse& u) {
    return u.shadow == &s && u.level == level && u.base == base;
  });
  if (!known) uses.push_back({&s, level, base});

  const std::uint64_t span_bytes = arch::entry_span(level);
  for (std::uint64_t i = 0; i < kEntries; ++i) {
    const arch::gva_t va = arch::sign_extend(base + i * span_bytes);
    const arch::gva_t last = va + span_bytes - 1;
    if (last < span.lo || va > span.last) continue;
    const std::uint64_t e = read_guest(table + 8 * i);
    // Not present, or reserved bits set: no shadow entry (a hidden fault injects the guest's).
    if (!arch::pte::present(e) || arch::pte::has_reserved(e, level, kEditorPhysBits)) continue;
    if (level > 1 && !arch::pte::is_leaf(e, level)) {
      populate(s, arch::pte::next_table(e, kEditorPhysBits), level - 1, va, span);
    } else {
      shadow_leaf(s, va, arch::pte::leaf_frame(e, level, kEditorPhysBits),
                  arch::pte::leaf_size(level), GuestTableFormat::leaf_flags4k(e, level), span);
    }
  }
}

void ShadowPager::shadow_leaf(Shadow& s, arch::gva_t va, arch::gpa_t gpa, PageSize size,
                              std::uint64_t guest_flags, Span span) {
  const std::uint64_t bytes = arch::page_bytes(size);
  const arch::gva_t lo = std::max(va, span.lo);
  const arch::gva_t last = std::min(va + bytes - 1, span.last);
  for (arch::gva_t at = lo; at <= last;) {
    const arch::gpa_t g = gpa + (at - va);
    const std::optional<Leaf> ept = vm_.ept_mappings().find(g);
    if (!ept) {  // not backed: left to a hidden fault
      at += k4K;
      if (at == 0) break;
      continue;
    }
    PageSize piece = PageSize::k4K;
    for (PageSize p : {PageSize::k1G, PageSize::k2M}) {
      const std::uint64_t n = arch::page_bytes(p);
      if (n <= bytes && n <= ept->bytes() && arch::is_aligned(at, n) && arch::is_aligned(g, n) &&
          last - at >= n - 1) {
        piece = p;
        break;
      }
    }
    const std::uint64_t n = arch::page_bytes(piece);
    const arch::hpa_t hpa = ept->translate(g);
    if (const auto t = tables_.lower_bound(hpa); t != tables_.end() && t->first < hpa + n)
      throw StubError(fmt::format(
          "shadow paging: guest leaf gva {:#x} maps a guest page-table frame (hpa {:#x}); a "
          "write-protected alias is not modelled",
          at, t->first));
    if ((ept->flags & arch::ept::kR) != 0) {
      std::uint64_t flags = guest_flags;
      if ((ept->flags & arch::ept::kW) == 0) flags &= ~arch::pte::kRW;
      if ((ept->flags & arch::ept::kX) == 0) flags |= arch::pte::kXD;
      s.editor->map(at, hpa, piece, flags);
      s.record.add(Leaf{at, hpa, piece, flags});
      ++stats_.leaves_written;
    }
    at += n;
    if (at == 0) break;
  }
}

void ShadowPager::invalidate(Shadow& s, const std::vector<Leaf>& dropped) {
  for (const auto& [core, pcid] : s.cores)
    stats_.invalidations += mmu::invalidate_leaves(bus_, core, pcid, dropped);
}

std::uint64_t ShadowPager::read_guest(arch::gpa_t gpa) const {
  const std::optional<arch::hpa_t> hpa = vm_.lookup(gpa);
  return hpa ? bus_.mem_read64(*hpa) : 0;  // unbacked guest memory holds no entries
}

}  // namespace mmuvp::stub
