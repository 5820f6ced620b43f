// Page-table memory the VMM owns (the EPT, flat EPT nodes, shadow page tables): tables in
// host-physical memory, read and written over the machine bus, their frames taken from and given
// back to the host frame allocator, and the tables held.
#pragma once
#include <cstdint>
#include <iterator>
#include <map>

#include "arch/address.h"
#include "sw-stub/frame_allocator.h"
#include "sw-stub/machine_bus.h"
#include "sw-stub/table_editor.h"

namespace mmuvp::stub {

struct HostTableMemory final : TableMemory {
  HostTableMemory(MachineBus& b, FrameAllocator& h) : bus(b), host(h) {}
  std::uint64_t read(std::uint64_t addr) override { return bus.mem_read64(addr); }
  void write(std::uint64_t addr, std::uint64_t v) override { bus.mem_write64(addr, v); }
  std::uint64_t alloc_table(std::uint64_t bytes) override {
    const std::uint64_t t =
        host.alloc(bytes == arch::kPage2M ? arch::PageSize::k2M : arch::PageSize::k4K);
    tables[t] = bytes;
    return t;
  }
  void free_table(std::uint64_t addr, std::uint64_t bytes) override {
    tables.erase(addr);
    host.free({addr, addr + bytes});
  }
  // Whether the frame of `hpa` is part of a table held.
  bool holds(arch::hpa_t hpa) const {
    const auto it = tables.upper_bound(hpa);
    return it != tables.begin() && hpa < std::prev(it)->first + std::prev(it)->second;
  }
  // Gives every table back (a destructor's cleanup: never throws).
  void release_all() noexcept {
    try {
      for (const auto& [t, bytes] : tables) host.free({t, t + bytes});
    } catch (...) {  // the allocator refusing a frame it handed out: nothing left to do
    }
    tables.clear();
  }

  MachineBus& bus;
  FrameAllocator& host;
  std::map<arch::hpa_t, std::uint64_t> tables;  // address -> bytes
};

}  // namespace mmuvp::stub
