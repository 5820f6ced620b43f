#include "sw-stub/guest_os.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "arch/mmu_regs.h"
#include "arch/pte.h"
#include "sw-stub/mmu_program.h"
#include "sw-stub/stub_error.h"

namespace mmuvp::stub {

namespace {

using arch::PageSize;
constexpr std::uint64_t k4K = arch::kPage4K;
constexpr std::uint64_t kCacheBits = arch::pte::kPWT | arch::pte::kPCD | arch::pte::kPS;
constexpr std::uint16_t kPcidLimit = 1u << 12;

using arch::is_aligned;

std::optional<PageSize> fixed_size(PagePolicy p) {
  switch (p) {
    case PagePolicy::k4K:
      return PageSize::k4K;
    case PagePolicy::k2M:
      return PageSize::k2M;
    case PagePolicy::k1G:
      return PageSize::k1G;
    case PagePolicy::kThp:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(PagePolicy p) {
  switch (p) {
    case PagePolicy::k4K:
      return "4k";
    case PagePolicy::k2M:
      return "2m";
    case PagePolicy::k1G:
      return "1g";
    case PagePolicy::kThp:
      return "thp";
  }
  return "?";
}

std::optional<PagePolicy> parse_page_policy(std::string_view text) {
  std::string t;
  for (char c : text) t.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (PagePolicy p : {PagePolicy::k4K, PagePolicy::k2M, PagePolicy::k1G, PagePolicy::kThp})
    if (t == to_string(p)) return p;
  return std::nullopt;
}

GuestOs::GuestOs(GuestPlatform& platform, const GuestOsConfig& config)
    : platform_(platform),
      config_(config),
      alloc_(0, 0, "guest memory"),
      frames_(platform, alloc_),
      current_(platform.bus().cores(), nullptr) {
  if (!is_aligned(config.reserved_low, k4K))
    throw StubError(
        fmt::format("guest reserved low memory {:#x} is not 4 KiB aligned", config.reserved_low));
  for (const Range& r : platform.ram()) alloc_.add_memory(r);
  alloc_.exclude({0, config.reserved_low});
}

Process& GuestOs::create_process(std::uint16_t pcid) {
  if (pcid >= kPcidLimit) throw StubError(fmt::format("PCID {} does not fit in 12 bits", pcid));
  for (const auto& p : processes_)
    if (p->pcid_ == pcid) throw StubError(fmt::format("PCID {} is already in use", pcid));
  auto p = std::make_unique<Process>();
  p->pcid_ = pcid;
  p->tables_ = std::make_unique<TableEditor<GuestTableFormat>>(frames_, config_.preset_ad);
  processes_.push_back(std::move(p));
  return *processes_.back();
}

Process* GuestOs::current(unsigned core) const {
  return core < current_.size() ? current_[core] : nullptr;
}

// ---- checks and entry helpers -------------------------------------------------------------------

Range GuestOs::check_request(arch::gva_t va, std::uint64_t bytes, const char* what) const {
  if (bytes == 0 || !is_aligned(va, k4K) || !is_aligned(bytes, k4K))
    throw StubError(
        fmt::format("{} of {:#x} bytes at gVA {:#x}: not a non-empty 4 KiB aligned "
                    "range",
                    what, bytes, va));
  const arch::gva_t last = va + bytes - 1;
  if (last < va || !arch::is_canonical(va) || !arch::is_canonical(last) ||
      (va >> (arch::kVirtualAddressBits - 1)) != (last >> (arch::kVirtualAddressBits - 1)) ||
      va + bytes == 0)
    throw StubError(
        fmt::format("{} of [{:#x}, {:#x}]: not inside one canonical half of the "
                    "48-bit address space",
                    what, va, last));
  return {va, va + bytes};
}

std::uint64_t GuestOs::leaf_flags(const PageFlags& f) const {
  namespace pte = arch::pte;
  if ((f.cache & ~kCacheBits) != 0)
    throw StubError(fmt::format("cache attribute bits {:#x} are not PWT/PCD/PAT", f.cache));
  return pte::kP | (f.writable ? pte::kRW : 0) | (f.user ? pte::kUS : 0) |
         (f.executable ? 0 : pte::kXD) | (f.global ? pte::kG : 0) | f.cache |
         (config_.preset_ad ? (pte::kA | pte::kD) : 0);
}

void GuestOs::map_leaf(Process& p, arch::gva_t va, arch::gpa_t gpa, PageSize size,
                       const PageFlags& f) {
  const std::uint64_t e = p.tables_->map(va, gpa, size, leaf_flags(f));
  p.record_.add({va, gpa, size, e & ~gpa});
  ++stats_.leaves_mapped;
}

void GuestOs::unmap_leaf(Process& p, const Leaf& leaf, bool free_frame) {
  p.tables_->unmap(leaf.in, leaf.size);
  p.record_.remove({leaf.in, leaf.in + leaf.bytes()});
  if (free_frame) alloc_.free({leaf.out, leaf.out + leaf.bytes()});
}

void GuestOs::split_leaf(Process& p, const Leaf& leaf) {
  const std::uint64_t old = p.tables_->split(leaf.in, leaf.size);
  const unsigned level = leaf_level(leaf.size);
  const PageSize child = arch::pte::leaf_size(level - 1);
  const std::uint64_t child_bytes = arch::page_bytes(child);
  const std::uint64_t child_flags =
      GuestTableFormat::leaf_entry(0, level - 1, GuestTableFormat::leaf_flags4k(old, level));
  p.record_.remove({leaf.in, leaf.in + leaf.bytes()});
  for (std::uint64_t off = 0; off < leaf.bytes(); off += child_bytes)
    p.record_.add({leaf.in + off, leaf.out + off, child, child_flags});
  ++stats_.splits;
}

void GuestOs::split_at(Process& p, arch::gva_t boundary) {
  for (;;) {
    const std::optional<Leaf> l = p.record_.find(boundary);
    if (!l || l->in == boundary) return;
    split_leaf(p, *l);
  }
}

void GuestOs::shootdown(Process& p, const std::vector<Leaf>& leaves) {
  for (unsigned core : p.cores_)
    stats_.shootdowns += mmu::invalidate_leaves(platform_.bus(), core, p.pcid_, leaves);
}

// ---- mapping ------------------------------------------------------------------------------------

void GuestOs::map(Process& p, arch::gva_t va, std::uint64_t bytes, PagePolicy policy,
                  const PageFlags& flags) {
  const Range r = check_request(va, bytes, "map");
  leaf_flags(flags);  // validates the flags before anything is allocated
  if (const std::optional<PageSize> s = fixed_size(policy)) {
    const std::uint64_t pb = arch::page_bytes(*s);
    if (!is_aligned(va, pb) || !is_aligned(bytes, pb))
      throw StubError(
          fmt::format("map of {:#x} bytes at gVA {:#x} with {} pages: not aligned to "
                      "the page size",
                      bytes, va, arch::to_string(*s)));
  }
  if (p.record_.overlaps(r))
    throw StubError(fmt::format("map of {}: overlaps an existing mapping", format_range(r)));

  std::vector<Leaf> done;
  try {
    for (arch::gva_t a = r.lo; a < r.hi;) {
      PageSize size = PageSize::k4K;
      if (const std::optional<PageSize> s = fixed_size(policy)) {
        size = *s;
      } else if (is_aligned(a, arch::kPage2M) && r.hi - a >= arch::kPage2M) {
        size = PageSize::k2M;
      }
      arch::gpa_t frame = 0;
      try {
        frame = alloc_.alloc(size);
      } catch (const OutOfMemory&) {
        if (policy != PagePolicy::kThp || size == PageSize::k4K) throw;
        size = PageSize::k4K;  // no free 2 MiB frame: THP falls back to small pages
        frame = alloc_.alloc(size);
      }
      try {
        map_leaf(p, a, frame, size, flags);
      } catch (...) {
        alloc_.free({frame, frame + arch::page_bytes(size)});
        throw;
      }
      done.push_back(*p.record_.find(a));
      a += arch::page_bytes(size);
    }
  } catch (...) {
    for (const Leaf& l : done) unmap_leaf(p, l, true);
    throw;
  }
}

void GuestOs::unmap(Process& p, arch::gva_t va, std::uint64_t bytes) {
  const Range r = check_request(va, bytes, "unmap");
  if (p.primary_ && p.primary_->overlaps(r))
    throw StubError(fmt::format("unmap of {}: overlaps the primary region {}", format_range(r),
                                format_range(*p.primary_)));
  split_at(p, r.lo);
  split_at(p, r.hi);
  const std::vector<Leaf> leaves = p.record_.leaves_in(r);
  for (const Leaf& l : leaves) unmap_leaf(p, l, true);
  // The demand-paged areas lose the range too.
  std::map<std::uint64_t, Process::Area> areas;
  for (const auto& [lo, area] : p.areas_) {
    if (area.hi <= r.lo || lo >= r.hi) {
      areas.emplace(lo, area);
      continue;
    }
    if (lo < r.lo) areas.emplace(lo, Process::Area{r.lo, area.flags});
    if (area.hi > r.hi) areas.emplace(r.hi, Process::Area{area.hi, area.flags});
  }
  p.areas_ = std::move(areas);
  shootdown(p, leaves);
}

void GuestOs::protect(Process& p, arch::gva_t va, std::uint64_t bytes, const PageFlags& flags) {
  const Range r = check_request(va, bytes, "protect");
  const std::uint64_t f = leaf_flags(flags);
  split_at(p, r.lo);
  split_at(p, r.hi);
  const std::vector<Leaf> leaves = p.record_.leaves_in(r);
  for (const Leaf& l : leaves) {
    const std::uint64_t e = p.tables_->rewrite(l.in, l.size, l.out, f, true);
    p.record_.remove({l.in, l.in + l.bytes()});
    p.record_.add({l.in, l.out, l.size, e & ~l.out});
  }
  shootdown(p, leaves);
}

void GuestOs::reserve_area(Process& p, arch::gva_t va, std::uint64_t bytes,
                           const PageFlags& flags) {
  const Range r = check_request(va, bytes, "reserve area");
  leaf_flags(flags);
  auto next = p.areas_.lower_bound(r.lo);
  const bool hits_next = next != p.areas_.end() && next->first < r.hi;
  const bool hits_prev = next != p.areas_.begin() && std::prev(next)->second.hi > r.lo;
  if (hits_next || hits_prev || p.record_.overlaps(r))
    throw StubError(fmt::format("reserve area {}: overlaps an area or a mapping", format_range(r)));
  p.areas_.emplace(r.lo, Process::Area{r.hi, flags});
}

arch::gpa_t GuestOs::map_primary_region(Process& p, arch::gva_t va, std::uint64_t bytes,
                                        PagePolicy policy) {
  const Range r = check_request(va, bytes, "primary region");
  if (p.primary_)
    throw StubError(fmt::format("the process with PCID {} already has a primary region {}", p.pcid_,
                                format_range(*p.primary_)));
  if (p.record_.overlaps(r))
    throw StubError(
        fmt::format("primary region {}: overlaps an existing mapping", format_range(r)));
  std::uint64_t min_align = k4K;
  if (const std::optional<PageSize> s = fixed_size(policy)) {
    min_align = arch::page_bytes(*s);
    if (!is_aligned(va, min_align) || !is_aligned(bytes, min_align))
      throw StubError(fmt::format("primary region {} with {} pages: not aligned to the page size",
                                  format_range(r), arch::to_string(*s)));
  }
  // A run aligned like va keeps gVA and gPA congruent, so large pages and large segment blocks
  // work; with less alignment available, take what there is down to what the policy needs.
  arch::gpa_t gpa = 0;
  for (std::uint64_t align = std::max(block_alignment(va, bytes), min_align);; align >>= 9) {
    try {
      gpa = alloc_.alloc_contiguous(bytes, align);
      break;
    } catch (const OutOfMemory&) {
      if (align <= min_align) throw;
    }
  }
  const PageFlags flags{true, true, false, false, 0};  // segments map read/write/user memory
  std::vector<Leaf> done;
  try {
    for (arch::gva_t a = r.lo; a < r.hi;) {
      const arch::gpa_t g = gpa + (a - r.lo);
      PageSize size = PageSize::k4K;
      if (const std::optional<PageSize> s = fixed_size(policy)) {
        size = *s;
      } else if (is_aligned(a, arch::kPage2M) && is_aligned(g, arch::kPage2M) &&
                 r.hi - a >= arch::kPage2M) {
        size = PageSize::k2M;
      }
      map_leaf(p, a, g, size, flags);
      done.push_back(*p.record_.find(a));
      a += arch::page_bytes(size);
    }
  } catch (...) {
    for (const Leaf& l : done) unmap_leaf(p, l, false);
    alloc_.free({gpa, gpa + bytes});
    throw;
  }
  p.primary_ = r;
  p.segment_ = arch::Segment{r.lo, r.hi, gpa - r.lo};
  for (unsigned core : p.cores_)
    if (current_[core] == &p) mmu::write_guest_segment(platform_.bus(), core, p.segment_);
  return gpa;
}

// ---- running processes --------------------------------------------------------------------------

void GuestOs::context_switch(unsigned core, Process& next) {
  if (core >= current_.size())
    throw StubError(
        fmt::format("core {} does not exist (the machine has {} cores)", core, current_.size()));
  MachineBus& bus = platform_.bus();
  if (Process* prev = current_[core]) prev->segment_ = mmu::read_guest_segment(bus, core);
  mmu::write(bus, core, arch::regs::kCr3, next.cr3());
  mmu::write(bus, core, arch::regs::kPcid, next.pcid_);
  current_[core] = &next;
  next.cores_.insert(core);
  mmu::write_guest_segment(bus, core, next.segment_);
}

void GuestOs::set_mode(unsigned core, arch::Mode mode) {
  mmu::set_mode(platform_.bus(), core, mode);
}

FaultOutcome GuestOs::handle_page_fault(unsigned core, const arch::Fault& fault) {
  if (fault.kind != arch::FaultKind::kGuestPageFault)
    throw StubError(
        fmt::format("core {}: not a guest page fault: {}", core, arch::describe(fault)));
  Process* p = current(core);
  if (p == nullptr)
    throw StubError(fmt::format("core {}: page fault with no process running", core));
  if ((fault.code & arch::pf::kP) != 0) return FaultOutcome::kSegv;  // protection or reserved bit
  const arch::gva_t page = fault.gva & ~(k4K - 1);
  auto it = p->areas_.upper_bound(page);
  if (it == p->areas_.begin()) return FaultOutcome::kSegv;
  --it;
  if (page >= it->second.hi) return FaultOutcome::kSegv;
  const PageFlags& f = it->second.flags;
  if (((fault.code & arch::pf::kW) && !f.writable) || ((fault.code & arch::pf::kU) && !f.user) ||
      ((fault.code & arch::pf::kI) && !f.executable))
    return FaultOutcome::kSegv;
  if (!p->record_.find(page)) {
    const arch::gpa_t frame = alloc_.alloc(PageSize::k4K);
    try {
      map_leaf(*p, page, frame, PageSize::k4K, f);
    } catch (...) {
      alloc_.free({frame, frame + k4K});
      throw;
    }
    ++stats_.demand_faults;
  }
  return FaultOutcome::kMapped;
}

// ---- fragmentation remedies ---------------------------------------------------------------------

Range GuestOs::balloon_inflate(std::uint64_t bytes) {
  if (!platform_.virtualized())
    throw StubError("self-ballooning needs a VM (bare metal has no balloon device)");
  const std::vector<Range> pages = alloc_.take_fragments(bytes);
  try {
    platform_.balloon_give(pages);
  } catch (...) {
    for (const Range& r : pages) alloc_.free(r);
    throw;
  }
  for (const Range& r : pages) balloon_.add(r);
  stats_.ballooned_bytes += bytes;
  const Range added = platform_.hot_add(bytes);
  alloc_.add_memory(added);
  return added;
}

Range GuestOs::relocate_memory(Range r) {
  if (!platform_.virtualized())
    throw StubError("moving RAM needs a VM (bare metal has no memory hotplug device)");
  if (!alloc_.is_free(r))
    throw StubError(
        fmt::format("relocate {}: the range is not entirely free guest RAM", format_range(r)));
  alloc_.remove_memory(r);
  try {
    platform_.hot_unplug(r);
  } catch (...) {
    alloc_.add_memory(r);
    throw;
  }
  const Range added = platform_.hot_add(r.bytes());
  alloc_.add_memory(added);
  return added;
}

}  // namespace mmuvp::stub
