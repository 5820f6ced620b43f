// A complete software setup for one translation mode, built through a MachineBus: the VMM and a VM
// (virtualized modes) or bare metal (native modes), the guest OS, one process whose region of
// `footprint` bytes is mapped with the chosen guest page size, and for the segment modes the
// primary region with its guest segment and/or the VMM segment over the guest memory. Core `core`
// is programmed in the mode. Tests, benchmarks and the demo start here; the machine underneath is
// theirs (tb/direct_bus.h: DirectMachine for the golden model, or the TLM platform).
//
// With caches off, a 4K+4K translation inside the region then costs: native 4 references, nested
// 24, dual-direct 0 (2 additions), vmm-direct 4 (+5 additions), guest-direct 4 (+1 addition).
#pragma once
#include <cstdint>
#include <memory>

#include "arch/address.h"
#include "arch/mode.h"
#include "sw-stub/bare_metal.h"
#include "sw-stub/guest_os.h"
#include "sw-stub/machine_bus.h"
#include "sw-stub/range_set.h"
#include "sw-stub/virtual_machine.h"
#include "sw-stub/vmm.h"

namespace mmuvp::stub {

constexpr arch::gva_t kDefaultRegionVa = 1ull << 40;  // 1 TiB: aligned for every page size

struct ScenarioConfig {
  arch::Mode mode = arch::Mode::kNative;
  PagePolicy guest_pages = PagePolicy::k4K;
  arch::PageSize host_pages = arch::PageSize::k4K;
  std::uint64_t footprint = 16ull << 20;  // rounded up to the guest page size
  arch::gva_t region_va = kDefaultRegionVa;
  unsigned core = 0;
  std::uint16_t vmid = 1;
  std::uint16_t pcid = 1;
  bool ad_updates = false;         // CONFIG bit 0: the walker writes A/D bits back
  bool preset_ad = false;          // every entry written with A (and D on leaves) already set
  bool ept_ad = false;             // EPTP bit 6
  bool io_gap = false;             // x86 I/O gap in the guest-physical memory map
  std::uint64_t guest_memory = 0;  // 0: sized from the footprint
  std::uint64_t host_memory = 0;   // 0: sized from the guest memory
  std::uint64_t host_base = 0;     // first host-physical address the VMM manages
};

class Scenario {
 public:
  Scenario(MachineBus& bus, const ScenarioConfig& config);

  const ScenarioConfig& config() const { return config_; }
  Range region() const { return region_; }  // the mapped gVA range
  std::uint64_t guest_memory() const { return guest_memory_; }

  GuestOs& guest() { return *guest_; }
  Process& process() { return *process_; }
  GuestPlatform& platform() { return vm_ ? static_cast<GuestPlatform&>(*vm_) : *bare_; }
  Vmm* vmm() { return vmm_.get(); }                // null in the native modes
  VirtualMachine* vm() { return vm_; }             // null in the native modes
  BareMetal* bare_metal() { return bare_.get(); }  // null in the virtualized modes

 private:
  ScenarioConfig config_;
  Range region_;
  std::uint64_t guest_memory_ = 0;
  std::unique_ptr<Vmm> vmm_;
  VirtualMachine* vm_ = nullptr;
  std::unique_ptr<BareMetal> bare_;
  std::unique_ptr<GuestOs> guest_;
  Process* process_ = nullptr;
};

}  // namespace mmuvp::stub
