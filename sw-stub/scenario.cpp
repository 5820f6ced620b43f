#include "sw-stub/scenario.h"

#include <fmt/format.h>

#include <algorithm>

#include "sw-stub/mmu_program.h"
#include "sw-stub/stub_error.h"

namespace mmuvp::stub {

namespace {

constexpr std::uint64_t align_up(std::uint64_t a, std::uint64_t align) {
  return (a + align - 1) & ~(align - 1);
}

std::uint64_t policy_bytes(PagePolicy p) {
  switch (p) {
    case PagePolicy::k2M:
      return arch::kPage2M;
    case PagePolicy::k1G:
      return arch::kPage1G;
    default:
      return arch::kPage4K;
  }
}

}  // namespace

Scenario::Scenario(MachineBus& bus, const ScenarioConfig& config) : config_(config) {
  if (config.footprint == 0) throw StubError("scenario footprint must be positive");
  if (config.core >= bus.cores())
    throw StubError(fmt::format("scenario core {} does not exist (the machine has {} cores)",
                                config.core, bus.cores()));
  const std::uint64_t page = policy_bytes(config.guest_pages);
  const std::uint64_t footprint = align_up(config.footprint, page);
  region_ = {config.region_va, config.region_va + footprint};

  // Guest memory: the footprint, aligned room for it (a large-page or segment run is aligned like
  // the region), the page tables, and the firmware's low megabyte.
  const std::uint64_t granule = std::max(page, arch::kPage2M);
  guest_memory_ = config.guest_memory;
  if (guest_memory_ == 0)
    guest_memory_ = align_up(footprint, granule) + granule +
                    align_up(footprint / 256 + (4ull << 20), arch::kPage2M);

  const bool virt = arch::is_virtualized(config.mode);
  if (virt) {
    std::uint64_t host = config.host_memory;
    if (host == 0) host = align_up(2 * guest_memory_ + arch::kPage1G, arch::kPage1G);
    vmm_ = std::make_unique<Vmm>(bus, Range{config.host_base, config.host_base + host});
    VmConfig vc;
    vc.vmid = config.vmid;
    vc.memory_bytes = guest_memory_;
    vc.host_pages = config.host_pages;
    vc.ept_ad = config.ept_ad;
    vc.io_gap = config.io_gap;
    vc.contiguous = arch::uses_vmm_segment(config.mode);
    vc.preset_ad = config.preset_ad;
    vc.flat_ept = config.mode == arch::Mode::kFlatNested;
    vm_ = &vmm_->create_vm(vc);
  } else {
    bare_ = std::make_unique<BareMetal>(bus, guest_memory_, config.io_gap);
  }

  GuestOsConfig gc;
  gc.preset_ad = config.preset_ad;
  guest_ = std::make_unique<GuestOs>(platform(), gc);
  process_ = &guest_->create_process(config.pcid);
  if (arch::uses_guest_segment(config.mode)) {
    guest_->map_primary_region(*process_, region_.lo, footprint, config.guest_pages);
  } else {
    guest_->map(*process_, region_.lo, footprint, config.guest_pages);
  }

  if (arch::uses_vmm_segment(config.mode)) {
    // The VMM segment covers the RAM range (one contiguous host block) holding the region.
    const arch::gpa_t first = process_->mappings().find(region_.lo)->out;
    for (const Range& r : vm_->ram())
      if (r.contains(first)) vm_->set_vmm_segment(r);
  }

  const unsigned core = config.core;
  if (virt) vmm_->load(core, *vm_);
  guest_->context_switch(core, *process_);
  guest_->set_mode(core, config.mode);
  mmu::set_ad_updates(bus, core, config.ad_updates);
}

}  // namespace mmuvp::stub
