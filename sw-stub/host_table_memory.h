// Page-table memory the VMM owns (the EPT, shadow page tables): tables in host-physical memory,
// read and written over the machine bus, their frames taken from and given back to the host
// frame allocator, and the set of frames held.
#pragma once
#include <cstdint>
#include <set>

#include "arch/address.h"
#include "sw-stub/frame_allocator.h"
#include "sw-stub/machine_bus.h"
#include "sw-stub/table_editor.h"

namespace mmuvp::stub {

struct HostTableMemory final : TableMemory {
  HostTableMemory(MachineBus& b, FrameAllocator& h) : bus(b), host(h) {}
  std::uint64_t read(std::uint64_t addr) override { return bus.mem_read64(addr); }
  void write(std::uint64_t addr, std::uint64_t v) override { bus.mem_write64(addr, v); }
  std::uint64_t alloc_table() override {
    const std::uint64_t t = host.alloc(arch::PageSize::k4K);
    tables.insert(t);
    return t;
  }
  void free_table(std::uint64_t addr) override {
    tables.erase(addr);
    host.free({addr, addr + arch::kPage4K});
  }

  MachineBus& bus;
  FrameAllocator& host;
  std::set<arch::hpa_t> tables;
};

}  // namespace mmuvp::stub
