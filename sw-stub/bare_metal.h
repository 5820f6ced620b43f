// The platform of a native (non-virtualized) OS: guest-physical is host-physical (identity), RAM is
// fixed at boot, and there is no balloon or hotplug device.
#pragma once
#include <cstdint>
#include <vector>

#include "sw-stub/guest_platform.h"

namespace mmuvp::stub {

class BareMetal final : public GuestPlatform {
 public:
  // `ram_bytes` of RAM from physical address 0 (with the I/O gap: see ram_layout).
  BareMetal(MachineBus& bus, std::uint64_t ram_bytes, bool io_gap = false);

  MachineBus& bus() override { return bus_; }
  bool virtualized() const override { return false; }
  std::vector<Range> ram() const override { return ram_; }
  arch::hpa_t host_address(arch::gpa_t gpa) override;
  void balloon_give(const std::vector<Range>& pages) override;
  Range hot_add(std::uint64_t bytes) override;
  void hot_unplug(Range r) override;

 private:
  MachineBus& bus_;
  std::vector<Range> ram_;
};

}  // namespace mmuvp::stub
