#include "sw-stub/virtual_machine.h"

#include <fmt/format.h>

#include <algorithm>

#include "arch/ept.h"
#include "arch/mode.h"
#include "sw-stub/mmu_program.h"
#include "sw-stub/stub_error.h"

namespace mmuvp::stub {

namespace {

using arch::PageSize;
constexpr std::uint64_t k4K = arch::kPage4K;
constexpr PageSize kSizesDown[] = {PageSize::k1G, PageSize::k2M, PageSize::k4K};

using arch::is_aligned;

void check_pages(const Range& r, std::uint16_t vmid, const char* what) {
  if (r.empty() || !is_aligned(r.lo, k4K) || !is_aligned(r.hi, k4K))
    throw StubError(fmt::format("VM {}: {} {} is not a non-empty 4 KiB aligned range", vmid, what,
                                format_range(r)));
}

}  // namespace

// ---- construction -------------------------------------------------------------------------------

VirtualMachine::VirtualMachine(MachineBus& bus, FrameAllocator& host, const VmConfig& config)
    : bus_(bus), host_(host), config_(config), ept_mem_(bus, host) {
  if (config.memory_bytes == 0 || !is_aligned(config.memory_bytes, k4K))
    throw StubError(fmt::format("VM {}: guest memory size {} is not a positive multiple of 4 KiB",
                                config.vmid, config.memory_bytes));
  if (config.contiguous && !config.prefault)
    throw StubError(fmt::format("VM {}: contiguous backing is built at creation; it needs prefault",
                                config.vmid));
  try {
    ept_ = EptEditor::make(ept_mem_, config.preset_ad, config.flat_ept);
    if (config.shadow_paging && config.dynamic_paging)
      throw StubError(fmt::format("VM {}: shadow paging and dynamic paging exclude each other",
                                  config.vmid));
    if (config.shadow_paging || config.dynamic_paging)
      shadow_ = std::make_unique<ShadowPager>(*this, bus_, host_, config.preset_ad,
                                              config.shadow_paging);
    for (const Range& r : ram_layout(config.memory_bytes, config.io_gap)) {
      ram_.add(r);
      if (config.contiguous)
        add_block(r, host_.alloc_spanning(r.bytes(), block_alignment(r.lo, r.bytes())));
      if (config.prefault) back_range(r);
    }
  } catch (const OutOfMemory& e) {
    release_all();
    throw OutOfMemory(fmt::format("VM {}: cannot back {} of guest memory: {}", config.vmid,
                                  format_bytes(config.memory_bytes), e.what()));
  } catch (...) {
    release_all();
    throw;
  }
}

VirtualMachine::~VirtualMachine() { release_all(); }

void VirtualMachine::release_all() noexcept {
  try {
    RangeSet owned;  // frames held leaf by leaf (outside blocks)
    for (const auto& [in, run] : record_.runs()) owned.add(run.output());
    std::vector<HostBlock> blocks = blocks_;
    if (compaction_) blocks.push_back({compaction_->gpa, compaction_->block});
    for (const HostBlock& b : blocks) owned.remove(b.host());
    for (const Range& r : owned.ranges()) host_.free(r);
    for (const HostBlock& b : blocks) host_.free(b.host());
  } catch (...) {
    // Freeing can only fail on inconsistent bookkeeping; a destructor must not throw.
  }
  record_ = MappingRecord();
  blocks_.clear();
  compaction_.reset();
  ept_mem_.release_all();
}

std::uint64_t VirtualMachine::eptp() const {
  return arch::ept::eptp::make(ept_->root(), config_.ept_ad);
}

// ---- lookups ------------------------------------------------------------------------------------

std::optional<arch::hpa_t> VirtualMachine::lookup(arch::gpa_t gpa) const {
  if (auto l = record_.find(gpa)) return l->translate(gpa);
  return std::nullopt;
}

arch::hpa_t VirtualMachine::gpa_to_hpa(arch::gpa_t gpa) const {
  if (auto h = lookup(gpa)) return *h;
  throw StubError(fmt::format("VM {}: gPA {:#x} is not backed", config_.vmid, gpa));
}

arch::hpa_t VirtualMachine::host_address(arch::gpa_t gpa) {
  if (auto h = lookup(gpa)) return *h;
  if (!ram_.contains(gpa))
    throw StubError(fmt::format("VM {}: gPA {:#x} is not guest RAM", config_.vmid, gpa));
  handle_ept_violation(gpa);
  return gpa_to_hpa(gpa);
}

Range VirtualMachine::ram_range_of(Range r, const char* what) const {
  check_pages(r, config_.vmid, what);
  for (const auto& [lo, hi] : ram_.map())
    if (lo <= r.lo && r.hi <= hi) return {lo, hi};
  throw StubError(fmt::format("VM {}: {} {} is not inside one guest RAM range", config_.vmid, what,
                              format_range(r)));
}

// ---- backing ------------------------------------------------------------------------------------

std::uint64_t VirtualMachine::leaf_flags() const {
  return arch::ept::kRWX | (arch::ept::kMemTypeWB << arch::ept::kMemTypeShift) |
         (config_.preset_ad ? (arch::ept::kA | arch::ept::kD) : 0);
}

void VirtualMachine::map_leaf(arch::gpa_t gpa, arch::hpa_t hpa, PageSize size) {
  const std::uint64_t e = ept_->map(gpa, hpa, size, leaf_flags());
  record_.add({gpa, hpa, size, e & ~hpa});
  ++stats_.leaves_mapped;
}

std::optional<HostBlock> VirtualMachine::block_for(arch::gpa_t gpa) const {
  for (const HostBlock& b : blocks_)
    if (b.gpa.contains(gpa)) return b;
  if (compaction_ && compaction_->gpa.contains(gpa))
    return HostBlock{compaction_->gpa, compaction_->block};
  return std::nullopt;
}

std::optional<HostBlock> VirtualMachine::block_holding(arch::hpa_t hpa) const {
  for (const HostBlock& b : blocks_)
    if (b.host().contains(hpa)) return b;
  if (compaction_) {
    const HostBlock t{compaction_->gpa, compaction_->block};
    if (t.host().contains(hpa)) return t;
  }
  return std::nullopt;
}

bool VirtualMachine::displaced(Range gpa) const {
  auto it = displaced_.lower_bound(gpa.lo >> arch::kPageShift);
  return it != displaced_.end() && *it < (gpa.hi >> arch::kPageShift);
}

bool VirtualMachine::try_back(arch::gpa_t base, PageSize size) {
  const std::uint64_t bytes = arch::page_bytes(size);
  const Range r{base, base + bytes};
  if (!ram_.covers(r) || record_.overlaps(r)) return false;
  // Inside a block the frame is fixed by the block; a page may not straddle a block's edge.
  std::optional<HostBlock> blk = block_for(base);
  if (!blk) blk = block_for(r.hi - k4K);
  if (blk) {
    if (!blk->gpa.contains(r)) return false;
    if (displaced(r)) {
      if (size != PageSize::k4K) return false;
      map_leaf(base, host_.alloc(PageSize::k4K), size);  // its block frame is bad
      return true;
    }
    const arch::hpa_t h = blk->host_of(base);
    if (!is_aligned(h, bytes)) return false;
    map_leaf(base, h, size);
    return true;
  }
  for (const HostBlock& b : blocks_)
    if (b.gpa.overlaps(r)) return false;
  arch::hpa_t h = 0;
  try {
    h = host_.alloc(size);
  } catch (const OutOfMemory&) {
    if (size == PageSize::k4K) throw;
    return false;  // host memory too fragmented for this size: use smaller pages
  }
  map_leaf(base, h, size);
  return true;
}

void VirtualMachine::back_range(Range r) {
  for (arch::gpa_t a = r.lo; a < r.hi;) {
    if (auto l = record_.find(a)) {
      a = l->in + l->bytes();
      continue;
    }
    bool backed = false;
    for (PageSize s : kSizesDown) {
      const std::uint64_t bytes = arch::page_bytes(s);
      if (s > config_.host_pages || !ept_->has_leaf(s) || !is_aligned(a, bytes) || a + bytes > r.hi)
        continue;
      if (try_back(a, s)) {
        a += bytes;
        backed = true;
        break;
      }
    }
    if (!backed) throw StubError(fmt::format("VM {}: cannot back gPA {:#x}", config_.vmid, a));
  }
}

bool VirtualMachine::handle_ept_violation(arch::gpa_t gpa) {
  const arch::gpa_t page = gpa & ~(k4K - 1);
  if (!ram_.contains(page) || record_.find(page)) return false;
  for (PageSize s : kSizesDown) {
    if (s > config_.host_pages || !ept_->has_leaf(s)) continue;
    if (try_back(page & ~(arch::page_bytes(s) - 1), s)) {
      ++stats_.ept_violations;
      return true;
    }
  }
  return false;
}

// ---- editing existing backing -------------------------------------------------------------------

void VirtualMachine::split_leaf(const Leaf& leaf) {
  const std::uint64_t old = ept_->split(leaf.in, leaf.size);
  const unsigned level = leaf_level(leaf.size);
  if (EptTableFormat::leaf_frame(old, level) != leaf.out)
    throw StubError(fmt::format("VM {}: EPT leaf of gPA {:#x} disagrees with the VMM's record",
                                config_.vmid, leaf.in));
  const unsigned child_level = ept_->below(level);
  const PageSize child = arch::ept::leaf_size(child_level);
  const std::uint64_t child_bytes = arch::page_bytes(child);
  const std::uint64_t child_flags =
      EptTableFormat::leaf_entry(0, child_level, EptTableFormat::leaf_flags4k(old, level));
  record_.remove({leaf.in, leaf.in + leaf.bytes()});
  for (std::uint64_t off = 0; off < leaf.bytes(); off += child_bytes)
    record_.add({leaf.in + off, leaf.out + off, child, child_flags});
  ++stats_.splits;
}

void VirtualMachine::split_at(arch::gpa_t boundary) {
  for (;;) {
    const std::optional<Leaf> l = record_.find(boundary);
    if (!l || l->in == boundary) return;
    split_leaf(*l);
  }
}

void VirtualMachine::copy_frames(arch::hpa_t from, arch::hpa_t to, std::uint64_t bytes) {
  // Word by word through the bus, as the VMM's memcpy would; unchanged words are not rewritten.
  for (std::uint64_t off = 0; off < bytes; off += 8) {
    const std::uint64_t v = bus_.mem_read64(from + off);
    if (bus_.mem_read64(to + off) != v) bus_.mem_write64(to + off, v);
  }
  stats_.bytes_copied += bytes;
}

void VirtualMachine::move_leaf(const Leaf& leaf, arch::hpa_t to) {
  copy_frames(leaf.out, to, leaf.bytes());
  const unsigned level = leaf_level(leaf.size);
  const std::uint64_t e = ept_->rewrite(leaf.in, leaf.size, to,
                                        EptTableFormat::leaf_flags4k(leaf.entry(), level), true);
  record_.remove({leaf.in, leaf.in + leaf.bytes()});
  record_.add({leaf.in, to, leaf.size, e & ~to});
  ++stats_.pages_moved;
}

void VirtualMachine::unback(Range r, bool free_host) {
  split_at(r.lo);
  split_at(r.hi);
  for (const Leaf& l : record_.leaves_in(r)) {
    ept_->unmap(l.in, l.size);
    record_.remove({l.in, l.in + l.bytes()});
    if (free_host && !block_holding(l.out)) host_.free({l.out, l.out + l.bytes()});
  }
  flush_ept();
}

void VirtualMachine::dissolve_blocks(Range gpa) {
  split_at(gpa.lo);
  split_at(gpa.hi);
  std::vector<HostBlock> keep;
  for (const HostBlock& b : blocks_) {
    if (!b.gpa.overlaps(gpa)) {
      keep.push_back(b);
      continue;
    }
    const Range cut{std::max(b.gpa.lo, gpa.lo), std::min(b.gpa.hi, gpa.hi)};
    // Frames of the cut that back their gPA stay allocated, now owned leaf by leaf; the others
    // (never backed, or bad) go back to the allocator.
    RangeSet orphans;
    orphans.add({b.host_of(cut.lo), b.host_of(cut.hi)});
    for (const auto& [in, run] : record_.runs())
      if (run.input().overlaps(cut)) orphans.remove(run.output());
    for (const Range& o : orphans.ranges()) host_.free(o);
    displaced_.erase(displaced_.lower_bound(cut.lo >> arch::kPageShift),
                     displaced_.lower_bound(cut.hi >> arch::kPageShift));
    if (b.gpa.lo < cut.lo) keep.push_back({{b.gpa.lo, cut.lo}, b.hpa});
    if (cut.hi < b.gpa.hi) keep.push_back({{cut.hi, b.gpa.hi}, b.host_of(cut.hi)});
  }
  blocks_ = std::move(keep);
}

void VirtualMachine::add_block(Range gpa, const FrameAllocator::SpanningRun& run) {
  blocks_.push_back({gpa, run.addr});
  for (arch::hpa_t bad : run.bad_frames)
    displaced_.insert((gpa.lo + (bad - run.addr)) >> arch::kPageShift);
}

void VirtualMachine::flush_ept() {
  for (unsigned core : loaded_) {
    mmu::invalidate(bus_, core, arch::regs::InvOp::kInveptSingle, 0, config_.vmid);
    ++stats_.invepts;
  }
  if (shadow_) shadow_->resync_all();  // the shadows compose the EPT: rebuild them
}

// ---- VMM segment, escape filter, bad frames -----------------------------------------------------

void VirtualMachine::escape(arch::gpa_t gpa) {
  if (!segment_.enabled() || !segment_.contains(gpa)) return;
  const std::uint64_t frame = gpa >> arch::kPageShift;
  if (!escaped_.insert(frame).second) return;
  for (unsigned core : loaded_) mmu::write(bus_, core, arch::regs::kFilterAdd, frame);
}

void VirtualMachine::set_vmm_segment(Range gpa) {
  ram_range_of(gpa, "VMM segment");
  const HostBlock* block = nullptr;
  for (const HostBlock& b : blocks_)
    if (b.gpa.contains(gpa)) block = &b;
  if (block == nullptr)
    throw StubError(
        fmt::format("VM {}: VMM segment over {}: the range is not backed by one "
                    "contiguous host block (compact it first)",
                    config_.vmid, format_range(gpa)));
  const std::uint64_t offset = block->hpa - block->gpa.lo;  // two's complement
  // Every backed page inside must sit at gPA + offset, except displaced (escaped) 4 KiB frames.
  for (const auto& [in, run] : record_.runs()) {
    if (!run.input().overlaps(gpa) || run.out - run.in == offset) continue;
    for (const Leaf& l :
         record_.leaves_in({std::max(gpa.lo, run.in), std::min(gpa.hi, run.in + run.bytes)}))
      if (l.size != PageSize::k4K || !displaced({l.in, l.in + k4K}))
        throw StubError(
            fmt::format("VM {}: gPA {:#x} is backed outside the host block", config_.vmid, l.in));
  }
  std::set<std::uint64_t> escaped(displaced_.lower_bound(gpa.lo >> arch::kPageShift),
                                  displaced_.lower_bound(gpa.hi >> arch::kPageShift));
  const arch::Segment seg{gpa.lo, gpa.hi, offset};
  const std::vector<std::uint64_t> frames(escaped.begin(), escaped.end());
  for (unsigned core : loaded_) {  // the filter first: no window where a bad frame is used
    mmu::write_filter(bus_, core, frames);
    mmu::write_vmm_segment(bus_, core, seg);
  }
  segment_ = seg;
  escaped_ = std::move(escaped);
}

void VirtualMachine::clear_vmm_segment() {
  for (unsigned core : loaded_) {
    mmu::write_vmm_segment(bus_, core, arch::Segment{});
    mmu::write_filter(bus_, core, {});
  }
  segment_ = arch::Segment{};
  escaped_.clear();
}

bool VirtualMachine::retire_host_frame(arch::hpa_t hpa) {
  hpa &= ~(k4K - 1);
  if (ept_mem_.holds(hpa))
    throw StubError(
        fmt::format("VM {}: host frame {:#x} holds an EPT table; table frames cannot "
                    "be retired",
                    config_.vmid, hpa));
  const std::optional<HostBlock> blk = block_holding(hpa);
  if (std::optional<Leaf> l = record_.find_output(hpa)) {
    const arch::gpa_t gpa = l->in + (hpa - l->out);
    Leaf leaf = *l;
    while (leaf.size != PageSize::k4K) {
      split_leaf(leaf);
      leaf = *record_.find(gpa);
    }
    escape(gpa);  // the segment stops using the frame before the EPT moves it
    if (blk) displaced_.insert(gpa >> arch::kPageShift);
    move_leaf(leaf, host_.alloc(PageSize::k4K));
    if (!blk) host_.free({hpa, hpa + k4K});  // excluded by the Vmm: it stays out of use
    flush_ept();
    ++stats_.frames_retired;
    return true;
  }
  if (blk) {  // a block frame that backs nothing yet: its gPA will be backed elsewhere
    const arch::gpa_t gpa = blk->gpa.lo + (hpa - blk->hpa);
    displaced_.insert(gpa >> arch::kPageShift);
    escape(gpa);
    ++stats_.frames_retired;
    return true;
  }
  return false;
}

// ---- compaction ---------------------------------------------------------------------------------

void VirtualMachine::begin_compaction(Range gpa) {
  if (compaction_)
    throw StubError(fmt::format("VM {}: a compaction of {} is already running", config_.vmid,
                                format_range(compaction_->gpa)));
  ram_range_of(gpa, "compaction range");
  clear_vmm_segment();  // VMM Direct runs as nested, Dual Direct as Guest Direct, meanwhile
  dissolve_blocks(gpa);
  const FrameAllocator::SpanningRun run =
      host_.alloc_spanning(gpa.bytes(), block_alignment(gpa.lo, gpa.bytes()));
  compaction_ = Compaction{gpa, run.addr, gpa.lo};
  for (arch::hpa_t bad : run.bad_frames)
    displaced_.insert((gpa.lo + (bad - run.addr)) >> arch::kPageShift);
}

bool VirtualMachine::compaction_step(std::uint64_t max_leaves) {
  if (!compaction_) return true;
  Compaction& c = *compaction_;
  std::uint64_t moved = 0;
  while (c.cursor < c.gpa.hi && moved < max_leaves) {
    const std::optional<Leaf> l = record_.find_from(c.cursor);
    if (!l || l->in >= c.gpa.hi) {
      c.cursor = c.gpa.hi;
      break;
    }
    const Leaf leaf = *l;
    const std::uint64_t bytes = leaf.bytes();
    if (leaf.in < c.gpa.lo || leaf.in + bytes > c.gpa.hi) {  // straddles an edge
      split_leaf(leaf);
      continue;
    }
    const arch::hpa_t target = c.block + (leaf.in - c.gpa.lo);
    if (leaf.out == target) {
      c.cursor = leaf.in + bytes;
      continue;
    }
    const bool has_bad = displaced({leaf.in, leaf.in + bytes});
    if (!is_aligned(target, bytes) || (has_bad && leaf.size != PageSize::k4K)) {
      split_leaf(leaf);
      continue;
    }
    if (!has_bad) {  // a displaced page stays on its (good) frame
      const arch::hpa_t from = leaf.out;
      move_leaf(leaf, target);
      host_.free({from, from + bytes});
      ++moved;
    }
    c.cursor = leaf.in + bytes;
  }
  if (moved != 0) flush_ept();
  if (c.cursor < c.gpa.hi) return false;
  const Range done = c.gpa;
  blocks_.push_back({c.gpa, c.block});
  compaction_.reset();
  set_vmm_segment(done);
  return true;
}

void VirtualMachine::compact(Range gpa) {
  begin_compaction(gpa);
  while (!compaction_step(~0ull)) {
  }
}

// ---- MMU programming ----------------------------------------------------------------------------

void VirtualMachine::program(unsigned core) {
  mmu::write(bus_, core, arch::regs::kEptp, eptp());
  mmu::write(bus_, core, arch::regs::kVmid, config_.vmid);
  mmu::write_filter(bus_, core, std::vector<std::uint64_t>(escaped_.begin(), escaped_.end()));
  mmu::write_vmm_segment(bus_, core, segment_);
  loaded_.insert(core);
}

// ---- the guest's bus under shadow paging --------------------------------------------------------

void VirtualMachine::GuestBus::mem_write64(arch::hpa_t hpa, std::uint64_t value) {
  vm.bus_.mem_write64(hpa, value);
  if (vm.shadow_->protects(hpa)) vm.shadow_->table_written(hpa);
}

std::uint64_t VirtualMachine::GuestBus::mmio_read(unsigned core, std::uint32_t offset) {
  if (offset == arch::regs::kCr3) {
    if (auto cr3 = vm.shadow_->guest_cr3(core)) return *cr3;
  } else if (offset == arch::regs::kMode) {
    if (auto it = guest_mode.find(core); it != guest_mode.end()) return it->second;
  }
  return vm.bus_.mmio_read(core, offset);
}

arch::regs::RegStatus VirtualMachine::GuestBus::mmio_write(unsigned core, std::uint32_t offset,
                                                           std::uint64_t value) {
  switch (offset) {
    case arch::regs::kCr3: {
      if ((value & (arch::kPage4K - 1)) != 0)  // the register block's own refusal
        return vm.bus_.mmio_write(core, offset, value);
      const auto pcid = static_cast<std::uint16_t>(vm.bus_.mmio_read(core, arch::regs::kPcid));
      const ShadowPager::Load load = vm.shadow_->cr3_written(core, value, pcid);
      const arch::regs::RegStatus st =
          vm.bus_.mmio_write(core, arch::regs::kMode, static_cast<std::uint64_t>(load.mode));
      if (st != arch::regs::RegStatus::kOk) return st;
      return vm.bus_.mmio_write(core, offset, load.cr3);
    }
    case arch::regs::kPcid: {
      const arch::regs::RegStatus st = vm.bus_.mmio_write(core, offset, value);
      if (st == arch::regs::RegStatus::kOk)
        vm.shadow_->pcid_written(core, static_cast<std::uint16_t>(value));
      return st;
    }
    case arch::regs::kMode: {
      if (!arch::mode_from_register(value)) return vm.bus_.mmio_write(core, offset, value);
      guest_mode[core] = value;
      // The hardware runs what the loaded process runs on (native before any CR3 load).
      const auto load = vm.shadow_->loaded(core);
      const arch::Mode hw = load ? load->mode : arch::Mode::kNative;
      return vm.bus_.mmio_write(core, offset, static_cast<std::uint64_t>(hw));
    }
    default:
      return vm.bus_.mmio_write(core, offset, value);
  }
}

// ---- the guest's memory devices -----------------------------------------------------------------

void VirtualMachine::balloon_give(const std::vector<Range>& pages) {
  for (const Range& p : pages) {
    ram_range_of(p, "balloon page range");
    RangeSet give;
    give.add(p);
    // Memory under the VMM segment stays backed: the segment maps it whatever the EPT says.
    if (segment_.enabled()) give.remove({segment_.base, segment_.limit});
    if (compaction_) give.remove(compaction_->gpa);
    for (const Range& r : give.ranges()) {
      dissolve_blocks(r);
      unback(r, true);
    }
  }
}

Range VirtualMachine::hot_add(std::uint64_t bytes) {
  if (bytes == 0 || !is_aligned(bytes, k4K))
    throw StubError(fmt::format("VM {}: hot-add of {} bytes is not a positive multiple of 4 KiB",
                                config_.vmid, bytes));
  std::uint64_t lo = ram_.empty() ? 0 : ram_.map().rbegin()->second;
  if (config_.io_gap && Range{lo, lo + bytes}.overlaps(kIoGap)) lo = std::max(lo, kIoGap.hi);
  const Range r{lo, lo + bytes};
  if (config_.contiguous)
    add_block(r, host_.alloc_spanning(r.bytes(), block_alignment(r.lo, r.bytes())));
  ram_.add(r);
  if (config_.prefault) back_range(r);
  return r;
}

void VirtualMachine::hot_unplug(Range r) {
  ram_range_of(r, "hot-unplug range");
  if (segment_.enabled() && r.overlaps({segment_.base, segment_.limit}))
    throw StubError(fmt::format("VM {}: hot-unplug of {} under the VMM segment (turn it off first)",
                                config_.vmid, format_range(r)));
  if (compaction_ && r.overlaps(compaction_->gpa))
    throw StubError(fmt::format("VM {}: hot-unplug of {} while it is being compacted", config_.vmid,
                                format_range(r)));
  dissolve_blocks(r);
  unback(r, true);
  ram_.remove(r);
}

}  // namespace mmuvp::stub
