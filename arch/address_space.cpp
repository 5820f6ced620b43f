#include "arch/address_space.h"

#include <fmt/format.h>

#include <algorithm>

#include "arch/ept.h"
#include "arch/golden_translator.h"
#include "arch/pte.h"

namespace mmuvp::arch {

std::uint8_t mapping_flags(const Perms& perms, std::uint64_t guest_leaf) {
  using namespace mapping_flag;
  return static_cast<std::uint8_t>((perms.r ? kR : 0) | (perms.w ? kW : 0) | (perms.x ? kX : 0) |
                                   (perms.u ? kU : 0) | ((guest_leaf & pte::kG) ? kG : 0) |
                                   ((guest_leaf & pte::kA) ? kA : 0) |
                                   ((guest_leaf & pte::kD) ? kD : 0));
}

std::size_t write_flag_letters(std::uint8_t flags, char* out) {
  std::size_t n = 0;
  for (unsigned i = 0; i < mapping_flag::kCount; ++i) {
    if (flags & (1u << i)) out[n++] = mapping_flag::kLetters[i];
  }
  return n;
}

std::string flag_letters(std::uint8_t flags) {
  char buf[mapping_flag::kCount];
  return std::string(buf, write_flag_letters(flags, buf));
}

namespace {

// Guest-physical address bits a 4-level EPT translates (SDM §29.3.2); a gPA above them has no
// entry.
constexpr unsigned kEptInputBits = 48;

// "4K", "2M", "512G", or hex bytes: the span of an issue.
std::string span_text(std::uint64_t bytes) {
  if (bytes != 0 && bytes % kPage1G == 0) return fmt::format("{}G", bytes / kPage1G);
  if (bytes != 0 && bytes % kPage2M == 0) return fmt::format("{}M", bytes / kPage2M * 2);
  if (bytes != 0 && bytes % kPage4K == 0) return fmt::format("{}K", bytes / kPage4K * 4);
  return fmt::format("0x{:x} bytes", bytes);
}

Fault make_fault(FaultKind kind, FaultStage stage, unsigned level, std::uint32_t code, gva_t gva,
                 std::uint64_t gpa) {
  Fault f;
  f.kind = kind;
  f.stage = stage;
  f.level = static_cast<std::uint8_t>(level);
  f.code = code;
  f.gva = gva;
  f.gpa = gpa;
  return f;
}

// Guest permissions accumulated down the walk.
struct GuestPerms {
  bool w = true, u = true, x = true;
};

// The guest leaf whose gPA range is being enumerated through the EPT.
struct GuestLeaf {
  gva_t va = 0;
  gpa_t gpa = 0;
  PageSize size = PageSize::k4K;
  std::uint64_t entry = 0;
  GuestPerms perms;
};

class Lister {
 public:
  Lister(PhysMem& mem, const AddressSpaceRoots& roots, MappingSink& sink)
      : mem_(mem), roots_(roots), sink_(sink), golden_(mem) {
    ctx_.mode = roots.nested ? Mode::kNested : Mode::kNative;
    ctx_.cr3 = roots.cr3;
    ctx_.eptp = roots.eptp;
    ctx_.maxphyaddr = roots.maxphyaddr;
    ctx_.ad_updates = false;  // the walk below only reads; so must the oracle
  }

  ListStats run() {
    walk_table(roots_.cr3 & frame_mask(roots_.maxphyaddr), 4, 0, GuestPerms{});
    return stats_;
  }

 private:
  void walk_table(gpa_t table, unsigned level, gva_t va_base, GuestPerms perms);
  void guest_leaf(const GuestLeaf& leaf);
  // EPT entries of `level` in the table at `table` covering [lo, hi) of the leaf's gPA range.
  void ept_range(hpa_t table, unsigned level, gpa_t lo, gpa_t hi, std::uint64_t rwx,
                 const GuestLeaf& leaf);

  // `fault` is what this walk found. The golden translator, asked about a supervisor read of `va`,
  // supplies the exact encoding (error code, exit qualification) when it finds the same kind of
  // fault, so that encodings live in one place; the tests check that the two always agree.
  void report(const Fault& fault, gva_t va, std::uint64_t span, hpa_t entry_addr,
              std::uint64_t entry, bool entry_read = true) {
    const TranslationResult oracle = golden_.translate(ctx_, Access{va, AccessType::kRead, false});
    ListIssue issue;
    issue.fault = oracle.fault.kind == fault.kind ? oracle.fault : fault;
    issue.va = va;
    issue.span = span;
    issue.entry_read = entry_read;
    issue.entry_addr = entry_read ? entry_addr : 0;
    issue.entry = entry_read ? entry : 0;
    ++stats_.issues;
    sink_.on_issue(issue);
  }
  void emit(const Mapping& m) {
    ++stats_.mappings;
    if (!sink_.on_mapping(m)) stats_.stopped = true;
  }

  PhysMem& mem_;
  const AddressSpaceRoots& roots_;
  MappingSink& sink_;
  GoldenTranslator golden_;
  TranslationContext ctx_;
  ListStats stats_;
};

void Lister::walk_table(gpa_t table, unsigned level, gva_t va_base, GuestPerms perms) {
  const std::uint64_t span = entry_span(level);
  const GuestTableLocation host = locate_guest_table(mem_, roots_, table, va_base);
  if (!host.ok()) {
    report(host.fault, va_base, span * 512, host.entry_addr, host.entry, host.entry_read);
    return;
  }
  bool any_read = false;
  const unsigned m = roots_.maxphyaddr;

  // A run of entries that could not be read is one issue (a table cut off by the image's end).
  std::uint64_t unread_entries = 0;
  Fault unread_fault;
  gva_t unread_va = 0;
  hpa_t unread_addr = 0;
  auto flush_unread = [&] {
    if (unread_entries == 0) return;
    report(unread_fault, unread_va, unread_entries * span, unread_addr, 0, false);
    unread_entries = 0;
  };

  for (unsigned i = 0; i < 512 && !stats_.stopped; ++i) {
    const gva_t va = sign_extend(va_base + i * span);
    const gpa_t entry_gpa = table + 8ull * i;
    const hpa_t entry_hpa = host.hpa + 8ull * i;
    std::uint64_t e = 0;
    if (!mem_.read_guest_table64(entry_gpa, entry_hpa, e)) {
      if (unread_entries++ == 0) {
        unread_fault =
            make_fault(FaultKind::kMemoryError, FaultStage::kGuestTable, level, 0, va, entry_hpa);
        unread_va = va;
        unread_addr = entry_hpa;
      }
      continue;
    }
    any_read = true;
    flush_unread();
    if (!pte::present(e)) continue;
    if (pte::has_reserved(e, level, m)) {
      // A supervisor read: error code P | RSVD (GoldenTranslator::translate).
      report(make_fault(FaultKind::kGuestPageFault, FaultStage::kGuestTable, level,
                        pf::kP | pf::kRsvd, va, 0),
             va, span, entry_hpa, e);
      continue;
    }
    GuestPerms next = perms;
    next.w = next.w && pte::writable(e);
    next.u = next.u && pte::user(e);
    next.x = next.x && !pte::exec_disable(e);
    if (pte::is_leaf(e, level)) {
      GuestLeaf leaf;
      leaf.va = va;
      leaf.size = pte::leaf_size(level);
      leaf.gpa = pte::leaf_frame(e, level, m);
      leaf.entry = e;
      leaf.perms = next;
      guest_leaf(leaf);
    } else {
      walk_table(pte::next_table(e, m), level - 1, va, next);
    }
  }
  flush_unread();
  if (any_read) ++stats_.guest_tables;
}

void Lister::guest_leaf(const GuestLeaf& leaf) {
  ++stats_.guest_leaves;
  if (!roots_.nested) {
    Mapping mp;
    mp.va = leaf.va;
    mp.gpa = leaf.gpa;
    mp.pa = leaf.gpa;
    mp.size = leaf.size;
    mp.guest_size = leaf.size;
    mp.flags = mapping_flags(Perms{true, leaf.perms.w, leaf.perms.x, leaf.perms.u}, leaf.entry);
    mp.guest_leaf = leaf.entry;
    emit(mp);
    return;
  }
  ept_range(ept::eptp::pml4(roots_.eptp, roots_.maxphyaddr), 4, leaf.gpa,
            leaf.gpa + page_bytes(leaf.size), ept::kRWX, leaf);
}

void Lister::ept_range(hpa_t table, unsigned level, gpa_t lo, gpa_t hi, std::uint64_t rwx,
                       const GuestLeaf& leaf) {
  if (level == 4 && (lo >> kEptInputBits) != 0) {  // pages are aligned: all of it is beyond
    report(make_fault(FaultKind::kEptViolation, FaultStage::kFinal, 4, 0, leaf.va, lo), leaf.va,
           hi - lo, 0, 0, false);
    return;
  }
  const std::uint64_t span = entry_span(level);
  const unsigned m = roots_.maxphyaddr;
  for (gpa_t g = lo; g < hi && !stats_.stopped;) {
    const gpa_t piece_end = std::min<gpa_t>(hi, (g | (span - 1)) + 1);
    const gva_t va = leaf.va + (g - leaf.gpa);
    const hpa_t entry_pa = table + 8ull * table_index(g, level);
    const gpa_t piece_lo = g;
    g = piece_end;
    std::uint64_t e = 0;
    if (!mem_.read64(entry_pa, e)) {
      report(make_fault(FaultKind::kMemoryError, FaultStage::kFinal, level, 0, va, entry_pa), va,
             piece_end - piece_lo, entry_pa, 0, false);
      continue;
    }
    if (!ept::present(e)) {
      stats_.ept_unmapped_bytes += piece_end - piece_lo;
      continue;
    }
    if (ept::misconfigured(e, level, m)) {
      report(make_fault(FaultKind::kEptMisconfig, FaultStage::kFinal, level, 0, va, piece_lo), va,
             piece_end - piece_lo, entry_pa, e);
      continue;
    }
    const std::uint64_t acc = rwx & e;
    if (!ept::is_leaf(e, level)) {
      ept_range(ept::next_table(e, m), level - 1, piece_lo, piece_end, acc, leaf);
      continue;
    }
    // Guest and EPT pages are both naturally aligned: the piece is exactly the smaller page.
    const PageSize ept_size = ept::leaf_size(level);
    Mapping mp;
    mp.va = va;
    mp.gpa = piece_lo;
    mp.pa = ept::leaf_frame(e, level, m) | (piece_lo & (page_bytes(ept_size) - 1));
    mp.size = min_size(leaf.size, ept_size);
    mp.guest_size = leaf.size;
    mp.flags = mapping_flags(Perms{(acc & ept::kR) != 0, leaf.perms.w && (acc & ept::kW) != 0,
                                   leaf.perms.x && (acc & ept::kX) != 0, leaf.perms.u},
                             leaf.entry);
    mp.guest_leaf = leaf.entry;
    mp.ept_leaf = e;
    emit(mp);
  }
}

// Collects everything (list_mappings' vector form).
class CollectSink final : public MappingSink {
 public:
  CollectSink(std::vector<Mapping>& mappings, std::vector<ListIssue>* issues)
      : mappings_(mappings), issues_(issues) {}
  bool on_mapping(const Mapping& m) override {
    mappings_.push_back(m);
    return true;
  }
  void on_issue(const ListIssue& issue) override {
    if (issues_ != nullptr) issues_->push_back(issue);
  }

 private:
  std::vector<Mapping>& mappings_;
  std::vector<ListIssue>* issues_;
};

}  // namespace

std::string describe(const ListIssue& issue) {
  std::string text =
      fmt::format("0x{:016x} +{}: {}", issue.va, span_text(issue.span), describe(issue.fault));
  if (!issue.entry_read) return text;
  return text + fmt::format("; entry 0x{:016x} at hpa 0x{:x}", issue.entry, issue.entry_addr);
}

GuestTableLocation locate_guest_table(PhysMem& mem, const AddressSpaceRoots& roots, gpa_t table,
                                      gva_t va) {
  GuestTableLocation loc;
  if (!roots.nested) {
    loc.hpa = table;
    return loc;
  }
  // The access a guest walk makes to its own table: a read, or a write when EPT A/D is enabled
  // (SDM §29.3.5); GoldenTranslator::translate_gpa checks it the same way.
  // A violation on such a write reports read|write in the exit qualification.
  const bool ept_ad = ept::eptp::ad_enabled(roots.eptp);
  const std::uint64_t need = ept_ad ? ept::kW : ept::kR;
  const std::uint32_t qual =
      (ept_ad ? (eptq::kRead | eptq::kWrite) : eptq::kRead) | eptq::kGvaValid;
  const unsigned m = roots.maxphyaddr;
  const auto fail = [&](FaultKind kind, unsigned level, std::uint32_t code, std::uint64_t gpa) {
    loc.fault = make_fault(kind, FaultStage::kGuestTable, level, code, va, gpa);
    return loc;
  };
  if ((table >> kEptInputBits) != 0) return fail(FaultKind::kEptViolation, 4, qual, table);
  hpa_t ept_table = ept::eptp::pml4(roots.eptp, m);
  std::uint64_t rwx = ept::kRWX;
  for (unsigned level = 4; level >= 1; --level) {
    const hpa_t entry_pa = ept_table + 8ull * table_index(table, level);
    std::uint64_t e = 0;
    loc.entry_addr = entry_pa;
    if (!mem.read64(entry_pa, e)) return fail(FaultKind::kMemoryError, level, 0, entry_pa);
    loc.entry = e;
    loc.entry_read = true;
    if (!ept::present(e)) return fail(FaultKind::kEptViolation, level, qual, table);
    if (ept::misconfigured(e, level, m)) return fail(FaultKind::kEptMisconfig, level, 0, table);
    rwx &= e & ept::kRWX;
    if (!ept::is_leaf(e, level)) {
      ept_table = ept::next_table(e, m);
      continue;
    }
    if ((rwx & need) != need) {
      const std::uint32_t perm_bits = ((rwx & ept::kR) ? eptq::kReadable : 0) |
                                      ((rwx & ept::kW) ? eptq::kWritable : 0) |
                                      ((rwx & ept::kX) ? eptq::kExecutable : 0);
      return fail(FaultKind::kEptViolation, level, qual | perm_bits, table);
    }
    const std::uint64_t page = page_bytes(ept::leaf_size(level));
    loc.hpa = ept::leaf_frame(e, level, m) | (table & (page - 1));
    loc.entry_addr = 0;
    loc.entry = 0;
    loc.entry_read = false;
    return loc;
  }
  return loc;  // unreachable: an EPT PTE is always a leaf
}

ListStats list_mappings(PhysMem& mem, const AddressSpaceRoots& roots, MappingSink& sink) {
  return Lister(mem, roots, sink).run();
}

std::vector<Mapping> list_mappings(PhysMem& mem, const AddressSpaceRoots& roots,
                                   std::vector<ListIssue>* issues) {
  std::vector<Mapping> out;
  CollectSink sink(out, issues);
  list_mappings(mem, roots, sink);
  return out;
}

}  // namespace mmuvp::arch
