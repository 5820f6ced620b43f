// What the guest OS sees of the machine it runs on: its guest-physical memory map, loads and stores
// to guest-physical memory, and the paravirtual memory devices (balloon, memory hotplug). A VM
// (sw-stub/virtual_machine.h) provides it through the VMM; bare metal (sw-stub/bare_metal.h)
// provides it with gPA == hPA and no devices.
#pragma once
#include <cstdint>
#include <vector>

#include "arch/address.h"
#include "sw-stub/machine_bus.h"
#include "sw-stub/range_set.h"

namespace mmuvp::stub {

// The x86-64 I/O gap: physical addresses [3 GiB, 4 GiB) hold MMIO, not RAM.
constexpr Range kIoGap{3 * arch::kPage1G, 4 * arch::kPage1G};

// The firmware memory map of `bytes` of RAM from address 0: one range, or with the I/O gap the
// RAM that would overlap it placed from 4 GiB up.
std::vector<Range> ram_layout(std::uint64_t bytes, bool io_gap);

class GuestPlatform {
 public:
  virtual ~GuestPlatform() = default;

  virtual MachineBus& bus() = 0;
  virtual bool virtualized() const = 0;
  virtual std::vector<Range> ram() const = 0;  // guest-physical RAM ranges, ascending

  // hPA of `gpa` for the guest's own loads and stores. In a VM, touching an unbacked RAM page is
  // an EPT violation that the VMM resolves by backing it; an address outside RAM throws.
  virtual arch::hpa_t host_address(arch::gpa_t gpa) = 0;

  // Balloon: the guest gives these pages up (it will not touch them); the host may reclaim them.
  virtual void balloon_give(const std::vector<Range>& pages) = 0;
  // Memory hotplug: `bytes` of new RAM placed contiguously above the current top (above the I/O
  // gap if it would overlap it); returns the new range.
  virtual Range hot_add(std::uint64_t bytes) = 0;
  // Memory hot-unplug of a RAM range the guest no longer uses.
  virtual void hot_unplug(Range r) = 0;

  std::uint64_t read64(arch::gpa_t gpa) { return bus().mem_read64(host_address(gpa)); }
  void write64(arch::gpa_t gpa, std::uint64_t v) { bus().mem_write64(host_address(gpa), v); }
};

}  // namespace mmuvp::stub
