#include "tb/workload_setup.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>
#include <utility>

#include "arch/mode.h"
#include "sw-stub/frame_allocator.h"
#include "sw-stub/mmu_program.h"
#include "sw-stub/stub_error.h"
#include "tb/simulation.h"

namespace mmuvp::tb {

namespace {

constexpr std::uint64_t align_up(std::uint64_t a, std::uint64_t align) {
  return (a + align - 1) & ~(align - 1);
}
constexpr std::uint64_t align_down(std::uint64_t a, std::uint64_t align) {
  return a & ~(align - 1);
}

// The page granule a mapping with `pages` needs: what every area is rounded to.
std::uint64_t granule(stub::PagePolicy pages) {
  switch (pages) {
    case stub::PagePolicy::k2M: return arch::kPage2M;
    case stub::PagePolicy::k1G: return arch::kPage1G;
    case stub::PagePolicy::k4K:
    case stub::PagePolicy::kThp: break;
  }
  return arch::kPage4K;
}

// The firmware's low megabyte of guest-physical memory (never allocated).
constexpr std::uint64_t kReservedLow = 1ull << 20;
// Guest memory for page tables per mapped byte (4 KiB tables: one PT per 2 MiB mapped is 1/512;
// twice that covers the upper levels and partly used tables), plus a few tables per area.
constexpr std::uint64_t kTableBytesDivisor = 256;
constexpr std::uint64_t kTablePagesPerArea = 4;
// Guest memory of one run at most (the VMM takes twice that of host memory, SPEC §4: up to 1 TiB).
constexpr std::uint64_t kMaxGuestMemory = 256ull << 30;
// The guest PCID of process i is i + 1 (PCID 0 is the kernel's); the VM's VMID.
constexpr std::uint16_t kVmid = 1;

}  // namespace

std::uint64_t period_interval(const RunConfig& config) {
  const std::uint64_t s = config.switch_interval;
  const std::uint64_t p = config.dynamic_paging ? config.paging_policy.interval : 0;
  if (s == 0 || p == 0) return s + p;
  return std::gcd(s, p);
}

std::vector<MappedArea> plan_areas(const std::vector<workloads::Region>& regions,
                                   stub::PagePolicy pages, bool primary_segment) {
  if (regions.empty()) throw SimulationError("the workload has no memory regions to map");
  const std::uint64_t g = granule(pages);
  std::vector<MappedArea> raw;
  raw.reserve(regions.size() + 1);
  std::optional<workloads::Span> span;
  if (primary_segment) {
    span = workloads::primary_span(regions);
    if (!span)
      throw SimulationError(
          "the workload has no primary region for the guest segment of this mode");
    raw.push_back(MappedArea{align_down(span->base, g), align_up(span->limit, g), true, false,
                             true});
  }
  for (const workloads::Region& r : regions) {
    if (r.bytes == 0) continue;
    if (span && r.va >= span->base && r.end() <= span->limit) {
      raw.front().executable |= r.executable;
      continue;
    }
    raw.push_back(
        MappedArea{align_down(r.va, g), align_up(r.end(), g), r.writable, r.executable, false});
  }
  std::sort(raw.begin(), raw.end(),
            [](const MappedArea& a, const MappedArea& b) { return a.lo < b.lo; });
  std::vector<MappedArea> out;
  for (const MappedArea& a : raw) {
    // Merge what overlaps (after rounding); a primary area absorbs its neighbours. Adjacent
    // non-primary areas of equal permissions merge too (fewer, larger mappings).
    if (!out.empty()) {
      MappedArea& b = out.back();
      const bool overlap = a.lo < b.hi;
      const bool adjacent_alike = a.lo == b.hi && !a.primary && !b.primary &&
                                  a.writable == b.writable && a.executable == b.executable;
      if (overlap || adjacent_alike) {
        b.hi = std::max(b.hi, a.hi);
        b.writable |= a.writable;
        b.executable |= a.executable;
        b.primary |= a.primary;
        continue;
      }
    }
    out.push_back(a);
  }
  return out;
}

WorkloadSetup::WorkloadSetup(stub::MachineBus& bus, const RunConfig& config,
                             const std::vector<workloads::Region>& regions)
    : bus_(bus), cores_(config.cores) {
  try {
    build(config, regions);
  } catch (const SimulationError&) {
    throw;
  } catch (const stub::StubError& e) {
    throw SimulationError(fmt::format("firmware setup failed: {}", e.what()));
  } catch (const std::out_of_range& e) {
    throw SimulationError(fmt::format("firmware setup failed: {}", e.what()));
  } catch (const std::invalid_argument& e) {
    throw SimulationError(fmt::format("firmware setup failed: {}", e.what()));
  }
}

WorkloadSetup::~WorkloadSetup() = default;

void WorkloadSetup::build(const RunConfig& config, const std::vector<workloads::Region>& regions) {
  const arch::Mode mode = config.mode;
  const bool virt = arch::is_virtualized(mode);
  if (cores_ == 0 || cores_ > bus_.cores())
    throw SimulationError(fmt::format("setup for {} cores on a machine of {}", cores_,
                                      bus_.cores()));
  const unsigned processes = config.processes == 0 ? cores_ : config.processes;
  if (processes > (1u << arch::regs::kPcidBits) - 1)
    throw SimulationError(fmt::format("{} processes: at most {} (one PCID each)", processes,
                                      (1u << arch::regs::kPcidBits) - 1));
  if ((config.shadow_paging || config.dynamic_paging) && mode != arch::Mode::kNested)
    throw SimulationError(fmt::format("shadow paging runs a nested-mode VM, not mode {}",
                                      arch::to_string(mode)));
  switch_interval_ = config.switch_interval;
  if (config.dynamic_paging) {
    stub::PagingPolicyConfig pc = config.paging_policy;
    pc.exit_cycles = static_cast<double>(config.vm_exit_cycles);
    try {
      policy_ = std::make_unique<stub::PagingPolicy>(pc);
    } catch (const stub::StubError& e) {
      throw SimulationError(e.what());
    }
  }
  marks_.assign(cores_, {});
  shadow_exits_by_core_.assign(cores_, 0);
  ept_exits_pending_.assign(cores_, 0);
  if (config.escaped_frames > 0 && !arch::uses_vmm_segment(mode))
    throw SimulationError(fmt::format(
        "escaped frames need the VMM segment (dual-direct or vmm-direct), not mode {}",
        run_mode_name(config)));

  areas_ = plan_areas(regions, config.guest_pages, arch::uses_guest_segment(mode));

  // Guest memory: every process maps every area with its own frames; its tables; alignment room
  // for the first primary run (aligned like its gVA, up to 1 GiB, so large pages and large segment
  // blocks work; later runs take what alignment is left); the low megabyte and the tables share
  // the first granule. Rounded to the host page size so the EPT backs it with that size.
  const std::uint64_t g = std::max(granule(config.guest_pages), arch::kPage2M);
  std::uint64_t mapped = 0, primary_align = 0;
  for (const MappedArea& a : areas_) {
    mapped += a.bytes();
    if (a.primary) primary_align = stub::block_alignment(a.lo, a.bytes());
  }
  const std::uint64_t tables =
      processes * (mapped / kTableBytesDivisor + (areas_.size() + 1) * kTablePagesPerArea *
                                                     arch::kPage4K);
  std::uint64_t guest = align_up(kReservedLow + tables, g) + processes * align_up(mapped, g) +
                        std::max(primary_align, g);
  guest = align_up(guest, virt ? std::max(arch::page_bytes(config.host_pages), arch::kPage2M)
                               : arch::kPage2M);
  if (guest > kMaxGuestMemory)
    throw SimulationError(fmt::format(
        "the run needs {} of guest memory ({} processes mapping {} each); at most {}",
        stub::format_bytes(guest), processes, stub::format_bytes(mapped),
        stub::format_bytes(kMaxGuestMemory)));
  guest_memory_ = guest;

  if (virt) {
    const std::uint64_t host = align_up(2 * guest + arch::kPage1G, arch::kPage1G);
    vmm_ = std::make_unique<stub::Vmm>(bus_, stub::Range{0, host});
    stub::VmConfig vc;
    vc.vmid = kVmid;
    vc.memory_bytes = guest;
    vc.host_pages = config.host_pages;
    vc.ept_ad = config.ad_updates;
    vc.contiguous = arch::uses_vmm_segment(mode);
    // Demand paging: the EPT is filled on violations, except under a VMM segment (which needs its
    // contiguous block backed up front).
    vc.prefault = !(config.demand_paging && !arch::uses_vmm_segment(mode));
    vc.preset_ad = config.preset_ad || !config.ad_updates;
    vc.flat_ept = mode == arch::Mode::kFlatNested;
    vc.shadow_paging = config.shadow_paging;
    vc.dynamic_paging = config.dynamic_paging;
    vm_ = &vmm_->create_vm(vc);
  } else {
    bare_ = std::make_unique<stub::BareMetal>(bus_, guest);
  }
  stub::GuestPlatform& platform =
      vm_ != nullptr ? static_cast<stub::GuestPlatform&>(*vm_) : *bare_;
  stub::GuestOsConfig gc;
  gc.reserved_low = kReservedLow;
  // Entries are written accessed and dirty (RunConfig::preset_ad, and always with A/D updates
  // off), as a running system's would be; otherwise the walker sets them as the run touches pages.
  gc.preset_ad = config.preset_ad || !config.ad_updates;
  guest_ = std::make_unique<stub::GuestOs>(platform, gc);

  for (unsigned i = 0; i < processes; ++i) {
    stub::Process& p = guest_->create_process(static_cast<std::uint16_t>(i + 1));
    for (const MappedArea& a : areas_) {
      if (a.primary) {
        guest_->map_primary_region(p, a.lo, a.bytes(), config.guest_pages);
      } else {
        stub::PageFlags f;
        f.writable = a.writable;
        f.user = true;
        f.executable = a.executable;
        if (config.demand_paging)
          guest_->reserve_area(p, a.lo, a.bytes(), f);
        else
          guest_->map(p, a.lo, a.bytes(), config.guest_pages, f);
      }
    }
    processes_.push_back(&p);
  }

  if (arch::uses_vmm_segment(mode)) {
    // The VMM segment covers the RAM range (one contiguous host block) holding the workload.
    const std::optional<stub::Leaf> first = processes_.front()->mappings().find(areas_.front().lo);
    for (const stub::Range& r : vm_->ram())
      if (first && r.contains(first->translate(areas_.front().lo))) vm_->set_vmm_segment(r);
    if (!vm_->vmm_segment().enabled())
      throw SimulationError("no contiguous guest memory for the VMM segment");
  }
  if (config.escaped_frames > 0) mark_bad_frames(config.escaped_frames, config.seed);

  runs_.assign(cores_, {});
  next_.assign(cores_, 0);
  for (unsigned c = 0; c < cores_; ++c) {
    if (processes >= cores_) {
      for (unsigned p = c; p < processes; p += cores_) runs_[c].push_back(p);
    } else {
      runs_[c].push_back(c % processes);
    }
  }
  for (unsigned c = 0; c < cores_; ++c) {
    if (virt) vmm_->load(c, *vm_);
    guest_->context_switch(c, *processes_[runs_[c][0]]);
    guest_->set_mode(c, mode);
    stub::mmu::set_ad_updates(bus_, c, config.ad_updates);
  }
  // The setup's own exits (building the shadows) are not the run's.
  if (vm_ != nullptr && vm_->shadow() != nullptr)
    shadow_exits_seen_ = vm_->shadow()->stats().exits();
}

std::uint64_t WorkloadSetup::take_exits(unsigned core) {
  std::uint64_t n = std::exchange(ept_exits_pending_.at(core), 0);
  if (vm_ != nullptr && vm_->shadow() != nullptr) {
    const std::uint64_t now = vm_->shadow()->stats().exits();
    shadow_exits_by_core_[core] += now - shadow_exits_seen_;
    n += now - shadow_exits_seen_;
    shadow_exits_seen_ = now;
  }
  return n;
}

bool WorkloadSetup::on_period(unsigned core, std::uint64_t accesses, std::uint64_t walk_refs) {
  if (policy_ != nullptr) {
    // The period's counts go to the process that ran in it, in the mode it ran in.
    // Every exit so far was taken (take_exits) by the handler or period that caused it. The
    // policy weighs the shadow pager's exits (the cost of shadow paging) only.
    CoreMark& mark = marks_.at(core);
    stub::Process& p = current(core);
    stub::PagingSample& s = samples_[p.pcid()];
    s.accesses += accesses - mark.accesses;
    s.walk_refs += walk_refs - mark.walk_refs;
    s.exits += shadow_exits_by_core_[core] - mark.exits;
    mark = {accesses, walk_refs, shadow_exits_by_core_[core]};
    if (s.accesses >= policy_->config().interval) {
      stub::ShadowPager& pager = *vm_->shadow();
      const stub::PagingSample done = s;
      s = {};
      if (auto d = policy_->observe(p.pcid(), pager.shadowed(p.cr3()), done)) {
        pager.set_shadowed(p.cr3(), d->to_shadow);
        paging_switches_.push_back(
            PagingSwitch{core, p.pcid(), accesses, d->to_shadow, d->cost, d->reason});
        // The switch's own exit is the next period's (the process now runs in the new mode).
      }
    }
  }
  if (switch_interval_ == 0 || accesses % switch_interval_ != 0) return false;
  return switch_next(core);
}

void WorkloadSetup::mark_bad_frames(unsigned count, std::uint64_t seed) {
  // Bad host frames behind pages the workload touches (process 0's areas), inside the segment.
  const arch::Segment seg = vm_->vmm_segment();
  const stub::Process& p = *processes_.front();
  std::uint64_t pages = 0;
  for (const MappedArea& a : areas_) pages += a.bytes() >> arch::kPageShift;
  if (count > pages)
    throw SimulationError(fmt::format("{} escaped frames: the workload maps only {} pages", count,
                                      pages));
  std::mt19937_64 rng(seed ^ 0xe5ca9edf7a3e5ull);
  std::set<arch::hpa_t> chosen;
  const std::uint64_t max_tries = 64ull * count + 1024;
  for (std::uint64_t tries = 0; chosen.size() < count && tries < max_tries; ++tries) {
    std::uint64_t page = rng() % pages;
    arch::gva_t va = 0;
    for (const MappedArea& a : areas_) {
      const std::uint64_t n = a.bytes() >> arch::kPageShift;
      if (page < n) {
        va = a.lo + (page << arch::kPageShift);
        break;
      }
      page -= n;
    }
    const std::optional<stub::Leaf> leaf = p.mappings().find(va);
    if (!leaf) continue;
    const arch::gpa_t gpa = align_down(leaf->translate(va), arch::kPage4K);
    if (!seg.contains(gpa)) continue;
    const arch::hpa_t hpa = seg.translate(gpa);
    if (!chosen.insert(hpa).second) continue;
    vmm_->mark_bad_frame(hpa);
  }
  if (chosen.size() < count)
    throw SimulationError(fmt::format(
        "found only {} of {} host frames behind workload pages inside the VMM segment",
        chosen.size(), count));
  bad_frames_.assign(chosen.begin(), chosen.end());
}

stub::Process& WorkloadSetup::current(unsigned core) {
  return *processes_.at(runs_.at(core).at(next_.at(core)));
}

bool WorkloadSetup::switch_next(unsigned core) {
  std::vector<unsigned>& run = runs_.at(core);
  if (run.size() < 2) return false;
  unsigned& i = next_[core];
  i = (i + 1) % static_cast<unsigned>(run.size());
  guest_->context_switch(core, *processes_[run[i]]);
  return true;
}

FaultResponse WorkloadSetup::handle_fault(unsigned core, const arch::Fault& fault) {
  switch (fault.kind) {
    case arch::FaultKind::kGuestPageFault:
      // Shadow paging: the VMM sees the #PF first; the guest only if its own tables lack the page.
      if (vm_ != nullptr && vm_->shadow() != nullptr && vm_->shadow()->shadowing(core) &&
          vm_->shadow()->hidden_fault(core, fault.gva, fault.code))
        return FaultResponse::kRetry;
      return guest_->handle_page_fault(core, fault) == stub::FaultOutcome::kMapped
                 ? FaultResponse::kRetry
                 : FaultResponse::kSkip;
    case arch::FaultKind::kEptViolation:
    case arch::FaultKind::kEptMisconfig:
      if (vm_ == nullptr) return FaultResponse::kSkip;
      ++ept_exits_pending_.at(core);
      if (fault.kind == arch::FaultKind::kEptViolation && vm_->handle_ept_violation(fault.gpa))
        return FaultResponse::kRetry;
      return FaultResponse::kSkip;
    default:
      return FaultResponse::kSkip;
  }
}

}  // namespace mmuvp::tb
