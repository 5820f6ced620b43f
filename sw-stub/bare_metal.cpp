#include "sw-stub/bare_metal.h"

#include <fmt/format.h>

#include "sw-stub/stub_error.h"

namespace mmuvp::stub {

BareMetal::BareMetal(MachineBus& bus, std::uint64_t ram_bytes, bool io_gap)
    : bus_(bus), ram_(ram_layout(ram_bytes, io_gap)) {
  if (ram_bytes == 0 || (ram_bytes & (arch::kPage4K - 1)) != 0)
    throw StubError(
        fmt::format("bare metal RAM size {} is not a positive multiple of 4 KiB", ram_bytes));
}

arch::hpa_t BareMetal::host_address(arch::gpa_t gpa) {
  for (const Range& r : ram_)
    if (r.contains(gpa)) return gpa;
  throw StubError(fmt::format("physical address {:#x} is not RAM", gpa));
}

void BareMetal::balloon_give(const std::vector<Range>&) {
  throw StubError("bare metal has no balloon device (self-ballooning needs a VM)");
}

Range BareMetal::hot_add(std::uint64_t) {
  throw StubError("bare metal has no memory hotplug device (hot-add needs a VM)");
}

void BareMetal::hot_unplug(Range) {
  throw StubError("bare metal has no memory hotplug device (hot-unplug needs a VM)");
}

}  // namespace mmuvp::stub
