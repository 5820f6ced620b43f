#include "tests/golden/reference_walker.h"

#include "arch/escape_filter.h"

namespace mmuvp::golden {

using arch::AccessType;
using arch::FaultKind;
using arch::FaultStage;
using arch::Mode;

namespace {

// x86-64 paging entry bits (SDM Vol. 3A, Tables 4-15..4-20).
constexpr std::uint64_t kPresent = 0x1, kWritable = 0x2, kUser = 0x4, kAccessed = 0x20,
                        kDirty = 0x40, kPageSize = 0x80, kNoExec = 0x8000000000000000ull;
// EPT entry bits (SDM Vol. 3C, Tables 29-1..29-6).
constexpr unsigned kEptR = 1, kEptW = 2, kEptX = 4;
constexpr std::uint64_t kEptLarge = 0x80, kEptAccessed = 0x100, kEptDirty = 0x200;
constexpr std::uint64_t kEptpAdEnable = 0x40;

std::uint64_t ones(unsigned n) { return n >= 64 ? ~0ull : (1ull << n) - 1; }
std::uint64_t field(unsigned hi, unsigned lo) { return ones(hi + 1) & ~ones(lo); }
std::uint64_t address_bits(unsigned maxphyaddr) { return field(maxphyaddr - 1, 12); }
std::uint64_t above_maxphyaddr(unsigned maxphyaddr) {
  return maxphyaddr >= 52 ? 0 : field(51, maxphyaddr);
}
unsigned slot(std::uint64_t addr, unsigned level) {
  return static_cast<unsigned>(addr >> (3 + 9 * level)) & 511;
}
arch::PageSize size_of_shift(unsigned shift) {
  return shift == 30   ? arch::PageSize::k1G
         : shift == 21 ? arch::PageSize::k2M
                       : arch::PageSize::k4K;
}

bool inside(const arch::Segment& s, std::uint64_t a) { return a >= s.base && a < s.limit; }

// Largest of 1G/2M whose aligned block around `a` lies in the segment and whose alignment the
// offset keeps; else 4K.
unsigned block_shift(const arch::Segment& s, std::uint64_t a, bool large_ok) {
  if (large_ok) {
    for (unsigned shift : {30u, 21u}) {
      const std::uint64_t lo = a >> shift << shift;
      const std::uint64_t hi = lo + (1ull << shift);
      if ((s.offset & ones(shift)) == 0 && lo >= s.base && hi <= s.limit) return shift;
    }
  }
  return 12;
}

// Bloom membership recomputed from the filter's bit array and the H3 rows.
bool filter_says_escaped(const arch::EscapeFilter* f, std::uint64_t frame) {
  if (f == nullptr || f->added() == 0) return false;
  unsigned index_bits = 0;
  while ((1u << index_bits) < f->bits()) ++index_bits;
  for (unsigned i = 0; i < f->hashes(); ++i) {
    std::uint32_t h = 0;
    for (unsigned j = 0; j < arch::kFilterKeyBits; ++j)
      if ((frame >> j) & 1) h ^= arch::kH3Rows[i][j];
    h &= (1u << index_bits) - 1;
    if (((f->words()[h / 64] >> (h % 64)) & 1) == 0) return false;
  }
  return true;
}

bool guest_reserved(std::uint64_t e, unsigned level, unsigned maxphyaddr) {
  if (e & above_maxphyaddr(maxphyaddr)) return true;
  if (level == 4 && (e & kPageSize)) return true;
  if (level == 3 && (e & kPageSize) && (e & field(29, 13))) return true;
  if (level == 2 && (e & kPageSize) && (e & field(20, 13))) return true;
  return false;
}

bool ept_is_leaf(std::uint64_t e, unsigned level) {
  return level == 1 || ((level == 2 || level == 3) && (e & kEptLarge));
}

bool ept_misconfigured(std::uint64_t e, unsigned level, unsigned maxphyaddr) {
  if ((e & kEptW) && !(e & kEptR)) return true;
  if (e & above_maxphyaddr(maxphyaddr)) return true;
  if (level == 4) return (e & field(7, 3)) != 0;
  if (!ept_is_leaf(e, level)) return (e & field(6, 3)) != 0;
  const std::uint64_t memtype = (e >> 3) & 7;
  if (memtype == 2 || memtype == 3 || memtype == 7) return true;
  if (level == 3) return (e & field(29, 12)) != 0;
  if (level == 2) return (e & field(20, 12)) != 0;
  return false;
}

}  // namespace

std::size_t ReferenceOutcome::read_refs() const {
  std::size_t n = 0;
  for (const arch::MemRef& m : refs) n += m.write ? 0 : 1;
  return n;
}

struct ReferenceWalker::Walk {
  const arch::TranslationContext& ctx;
  const arch::Access& access;
  ReferenceOutcome out;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> overlay;  // A/D values "written"
  bool virt = false;
  std::uint64_t gpa = 0;                             // gVA -> gPA result
  unsigned guest_shift = 12;                         // and its size
  bool leaf_w = true, leaf_u = true, leaf_x = true;  // guest permissions accumulated to the leaf

  void fail(FaultKind kind, FaultStage stage, unsigned level, std::uint32_t code,
            std::uint64_t gpa_field) {
    out.fault.kind = kind;
    out.fault.stage = stage;
    out.fault.level = static_cast<std::uint8_t>(level);
    out.fault.code = code;
    out.fault.gva = access.va;
    out.fault.gpa = gpa_field;
  }
  std::uint32_t pf_code(std::uint32_t base) const {
    std::uint32_t c = base;
    if (access.type == AccessType::kWrite) c |= arch::pf::kW;
    if (access.type == AccessType::kExecute) c |= arch::pf::kI;
    if (access.user) c |= arch::pf::kU;
    return c;
  }
  void ref(std::uint64_t addr, arch::RefTarget t, unsigned level, unsigned for_level, bool write) {
    out.refs.push_back(
        {addr, t, static_cast<std::uint8_t>(level), static_cast<std::uint8_t>(for_level), write});
  }
};

bool ReferenceWalker::load(Walk& w, std::uint64_t pa, std::uint64_t& value, bool guest_table,
                           std::uint64_t gpa) {
  for (const auto& [addr, v] : w.overlay) {
    if (addr == pa) {
      value = v;
      return true;
    }
  }
  return guest_table ? mem_.read_guest_table64(gpa, pa, value) : mem_.read64(pa, value);
}

void ReferenceWalker::store(Walk& w, std::uint64_t pa, std::uint64_t value) {
  for (auto& [addr, v] : w.overlay) {
    if (addr == pa) {
      v = value;
      return;
    }
  }
  w.overlay.emplace_back(pa, value);
}

ReferenceOutcome ReferenceWalker::translate(const arch::TranslationContext& ctx,
                                            const arch::Access& access) {
  Walk w{ctx, access, {}, {}, false, 0, 12, true, true, true};
  const std::uint64_t va = access.va;
  const std::uint64_t upper = va >> 47;
  if (upper != 0 && upper != ones(17)) {
    w.fail(FaultKind::kNonCanonical, FaultStage::kNone, 0, 0, 0);
    return w.out;
  }
  const Mode m = ctx.mode;
  w.virt = m == Mode::kNested || m == Mode::kDualDirect || m == Mode::kVmmDirect ||
           m == Mode::kGuestDirect ||
           m == Mode::kFlatNested;
  const bool guest_segment_mode =
      m == Mode::kNativeDs || m == Mode::kDualDirect || m == Mode::kGuestDirect;

  bool pw = true, pu = true, px = true;  // guest permissions of the gVA -> gPA mapping
  if (guest_segment_mode && inside(ctx.guest_seg, va)) {
    if (access.type == AccessType::kExecute) {
      w.fail(FaultKind::kGuestPageFault, FaultStage::kFinal, 0, w.pf_code(arch::pf::kP), 0);
      return w.out;
    }
    w.gpa = va + ctx.guest_seg.offset;
    w.guest_shift = block_shift(ctx.guest_seg, va, true);
    px = false;
    w.out.guest_seg_hit = true;
    w.out.adds.push_back({arch::SegmentKind::kGuest, va, w.gpa});
  } else {
    if (!guest_level(w, 4, ctx.cr3 & address_bits(ctx.maxphyaddr), true, true, true)) return w.out;
    pw = w.leaf_w;
    pu = w.leaf_u;
    px = w.leaf_x;
  }
  w.out.gpa = w.gpa;
  w.out.guest_size = size_of_shift(w.guest_shift);

  if (!w.virt) {
    w.out.hpa = w.gpa;
    w.out.host_size = arch::PageSize::k1G;
    w.out.size = w.out.guest_size;
    w.out.perms = {true, pw, px, pu};
    return w.out;
  }
  Host h;
  if (!host(w, w.gpa, 0, h)) return w.out;
  w.out.hpa = h.hpa;
  w.out.host_size = size_of_shift(h.size_shift);
  w.out.size = size_of_shift(w.guest_shift < h.size_shift ? w.guest_shift : h.size_shift);
  w.out.perms = {h.r, pw && h.w, px && h.x, pu};
  return w.out;
}

bool ReferenceWalker::guest_level(Walk& w, unsigned level, std::uint64_t table, bool pw, bool pu,
                                  bool px) {
  const arch::TranslationContext& ctx = w.ctx;
  const std::uint64_t entry_gpa = table + 8ull * slot(w.access.va, level);
  Host t;  // where the entry lives, and the EPT permissions on it
  t.hpa = entry_gpa;
  if (w.virt && !host(w, entry_gpa, level, t)) return false;
  w.ref(t.hpa, arch::RefTarget::kGuestEntry, level, level, false);
  std::uint64_t e = 0;
  if (!load(w, t.hpa, e, true, entry_gpa)) {
    w.fail(FaultKind::kMemoryError, FaultStage::kGuestTable, level, 0, t.hpa);
    return false;
  }
  if (!(e & kPresent)) {
    w.fail(FaultKind::kGuestPageFault, FaultStage::kGuestTable, level, w.pf_code(0), 0);
    return false;
  }
  if (guest_reserved(e, level, ctx.maxphyaddr)) {
    w.fail(FaultKind::kGuestPageFault, FaultStage::kGuestTable, level,
           w.pf_code(arch::pf::kP | arch::pf::kRsvd), 0);
    return false;
  }
  pw = pw && (e & kWritable);
  pu = pu && (e & kUser);
  px = px && !(e & kNoExec);
  const bool leaf = level == 1 || ((level == 2 || level == 3) && (e & kPageSize));
  const bool is_write = w.access.type == AccessType::kWrite;
  if (leaf) {
    const bool denied = (w.access.user && !pu) || (is_write && !pw) ||
                        (w.access.type == AccessType::kExecute && !px);
    if (denied) {
      w.fail(FaultKind::kGuestPageFault, FaultStage::kFinal, level, w.pf_code(arch::pf::kP), 0);
      return false;
    }
  }
  const std::uint64_t want = kAccessed | (leaf && is_write ? kDirty : 0);
  if (ctx.ad_updates && (e & want) != want) {
    if (!t.w) {
      w.fail(FaultKind::kEptViolation, FaultStage::kGuestTable, t.ept_leaf_level,
             arch::eptq::kWrite | arch::eptq::kGvaValid | (t.r ? arch::eptq::kReadable : 0) |
                 (t.x ? arch::eptq::kExecutable : 0),
             entry_gpa);
      return false;
    }
    store(w, t.hpa, e | want);
    w.ref(t.hpa, arch::RefTarget::kGuestEntry, level, level, true);
  }
  if (!leaf) return guest_level(w, level - 1, e & address_bits(ctx.maxphyaddr), pw, pu, px);

  w.guest_shift = level == 3 ? 30 : level == 2 ? 21 : 12;
  const std::uint64_t frame = e & address_bits(ctx.maxphyaddr) & ~ones(w.guest_shift);
  w.gpa = frame | (w.access.va & ones(w.guest_shift));
  w.leaf_w = pw;
  w.leaf_u = pu;
  w.leaf_x = px;
  return true;
}

bool ReferenceWalker::host(Walk& w, std::uint64_t gpa, unsigned for_level, Host& out) {
  const arch::TranslationContext& ctx = w.ctx;
  const bool vmm_segment_mode = ctx.mode == Mode::kDualDirect || ctx.mode == Mode::kVmmDirect;
  if (vmm_segment_mode && inside(ctx.vmm_seg, gpa)) {
    const bool filter_in_use = ctx.filter != nullptr && ctx.filter->added() != 0;
    if (filter_says_escaped(ctx.filter, gpa >> 12)) {
      ++w.out.filter_hits;
    } else {
      out = Host{};
      out.hpa = gpa + ctx.vmm_seg.offset;
      out.size_shift = block_shift(ctx.vmm_seg, gpa, !filter_in_use);
      w.out.adds.push_back({arch::SegmentKind::kVmm, gpa, out.hpa});
      if (for_level == 0) w.out.vmm_seg_hit = true;
      return true;
    }
  }
  if (gpa >> 48) {  // beyond what a 4-level EPT translates
    const bool fin = for_level == 0;
    std::uint32_t q = arch::eptq::kGvaValid | (fin ? arch::eptq::kFinal : 0);
    if (!fin) {
      q |= arch::eptq::kRead | ((ctx.eptp & kEptpAdEnable) ? arch::eptq::kWrite : 0);
    } else {
      q |= w.access.type == AccessType::kWrite     ? arch::eptq::kWrite
           : w.access.type == AccessType::kExecute ? arch::eptq::kFetch
                                                   : arch::eptq::kRead;
    }
    w.fail(FaultKind::kEptViolation, fin ? FaultStage::kFinal : FaultStage::kGuestTable,
           ctx.mode == Mode::kFlatNested ? 3 : 4, q, gpa);
    return false;
  }
  // A flat EPT (flat-nested) starts at its level 3: one 2 MiB node indexed by gPA bits 47:30.
  return ept_level(w, ctx.mode == Mode::kFlatNested ? 3 : 4, ctx.eptp & address_bits(ctx.maxphyaddr),
                   gpa, for_level, kEptR | kEptW | kEptX, out);
}

bool ReferenceWalker::ept_level(Walk& w, unsigned level, std::uint64_t table, std::uint64_t gpa,
                                unsigned for_level, unsigned rwx, Host& out) {
  const arch::TranslationContext& ctx = w.ctx;
  const bool fin = for_level == 0;
  const FaultStage stage = fin ? FaultStage::kFinal : FaultStage::kGuestTable;
  const bool ept_ad = (ctx.eptp & kEptpAdEnable) != 0;
  // What the access needs, and how the exit qualification names it.
  unsigned need;
  std::uint32_t q = arch::eptq::kGvaValid | (fin ? arch::eptq::kFinal : 0);
  if (!fin) {
    need = ept_ad ? kEptW : kEptR;
    q |= arch::eptq::kRead | (ept_ad ? arch::eptq::kWrite : 0);
  } else if (w.access.type == AccessType::kWrite) {
    need = kEptW;
    q |= arch::eptq::kWrite;
  } else if (w.access.type == AccessType::kExecute) {
    need = kEptX;
    q |= arch::eptq::kFetch;
  } else {
    need = kEptR;
    q |= arch::eptq::kRead;
  }

  // Flat EPT nodes have 2^18 entries: gPA bits 47:30 at level 3, 29:12 at level 1.
  const bool flat = ctx.mode == Mode::kFlatNested;
  const std::uint64_t index =
      flat ? (gpa >> (level == 3 ? 30 : 12)) & ((1ull << 18) - 1) : slot(gpa, level);
  const std::uint64_t pa = table + 8ull * index;
  w.ref(pa, arch::RefTarget::kEptEntry, level, for_level, false);
  std::uint64_t e = 0;
  if (!load(w, pa, e, false, 0)) {
    w.fail(FaultKind::kMemoryError, stage, level, 0, pa);
    return false;
  }
  if ((e & 7) == 0) {
    w.fail(FaultKind::kEptViolation, stage, level, q, gpa);
    return false;
  }
  if (ept_misconfigured(e, level, ctx.maxphyaddr)) {
    w.fail(FaultKind::kEptMisconfig, stage, level, 0, gpa);
    return false;
  }
  rwx &= static_cast<unsigned>(e & 7);
  const bool set_ad = ept_ad && ctx.ad_updates;
  if (!ept_is_leaf(e, level)) {
    if (set_ad && !(e & kEptAccessed)) {
      store(w, pa, e | kEptAccessed);
      w.ref(pa, arch::RefTarget::kEptEntry, level, for_level, true);
    }
    return ept_level(w, flat ? 1 : level - 1, e & address_bits(ctx.maxphyaddr), gpa, for_level,
                     rwx, out);
  }
  if ((rwx & need) != need) {
    w.fail(FaultKind::kEptViolation, stage, level,
           q | ((rwx & kEptR) ? arch::eptq::kReadable : 0) |
               ((rwx & kEptW) ? arch::eptq::kWritable : 0) |
               ((rwx & kEptX) ? arch::eptq::kExecutable : 0),
           gpa);
    return false;
  }
  const std::uint64_t want = kEptAccessed | (need == kEptW ? kEptDirty : 0);
  if (set_ad && (e & want) != want) {
    store(w, pa, e | want);
    w.ref(pa, arch::RefTarget::kEptEntry, level, for_level, true);
  }
  out.size_shift = level == 3 ? 30 : level == 2 ? 21 : 12;
  out.hpa =
      (e & address_bits(ctx.maxphyaddr) & ~ones(out.size_shift)) | (gpa & ones(out.size_shift));
  out.r = (rwx & kEptR) != 0;
  out.w = (rwx & kEptW) != 0;
  out.x = (rwx & kEptX) != 0;
  out.ept_leaf_level = level;
  return true;
}

}  // namespace mmuvp::golden
