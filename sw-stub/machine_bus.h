// The only view of the machine the firmware stub has (SPEC §10): 8-byte host-physical memory
// accesses and the MMIO registers of each core's MMU. tb/direct_bus.h implements it directly over
// the golden model's memory and register blocks; the TLM platform implements it over sockets, so
// the same guest OS and VMM drive both.
#pragma once
#include <cstdint>

#include "arch/address.h"
#include "arch/mmu_regs.h"

namespace mmuvp::stub {

class MachineBus {
 public:
  virtual ~MachineBus() = default;

  // 8-byte aligned host-physical memory. Failing accesses throw (the stub never touches memory
  // that is not there).
  virtual std::uint64_t mem_read64(arch::hpa_t hpa) = 0;
  virtual void mem_write64(arch::hpa_t hpa, std::uint64_t value) = 0;

  // Register `offset` (arch/mmu_regs.h) of core `core`'s MMU. mmio_write returns the status the
  // register block reports for this write (kOk when accepted).
  virtual std::uint64_t mmio_read(unsigned core, std::uint32_t offset) = 0;
  virtual arch::regs::RegStatus mmio_write(unsigned core, std::uint32_t offset,
                                           std::uint64_t value) = 0;

  virtual unsigned cores() const = 0;
};

}  // namespace mmuvp::stub
