// The firmware stub's machine bus (sw-stub/machine_bus.h) over TLM-2.0: an initiator socket to
// the memory system's firmware port (8-byte READ/WRITE, untimed, no cache effects) and one
// initiator socket per core to that core's MMU register window. The same guest OS and VMM code
// that drives tb/direct_bus.h then programs the SystemC platform.
//
// mmio_write returns the status of this write: the MMU's register target reports it in a
// MmioWriteStatus extension (tlm/translate_attr.h), so no extra STATUS reads are needed and a
// refused write never hides behind an earlier one. Bus errors (a TLM error response: bad offset
// or size on the register socket, an address outside physical memory) throw std::out_of_range,
// as DirectBus does. The firmware's own time is not modelled: the annotated delay is dropped.
// Call it only from a SystemC thread process after elaboration (the sockets must be bound).
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "sw-stub/machine_bus.h"
#include "tlm/mem_attr.h"
#include "tlm/translate_attr.h"

namespace mmuvp::tlm {

class TlmMachineBus final : public sc_core::sc_module, public stub::MachineBus {
 public:
  using Socket = tlm_utils::simple_initiator_socket<TlmMachineBus>;

  Socket mem_socket;

  TlmMachineBus(sc_core::sc_module_name name, unsigned cores);

  Socket& mmio_socket(unsigned core) { return *mmio_.at(core); }

  std::uint64_t mem_read64(arch::hpa_t hpa) override;
  void mem_write64(arch::hpa_t hpa, std::uint64_t value) override;
  std::uint64_t mmio_read(unsigned core, std::uint32_t offset) override;
  arch::regs::RegStatus mmio_write(unsigned core, std::uint32_t offset,
                                   std::uint64_t value) override;
  unsigned cores() const override { return static_cast<unsigned>(mmio_.size()); }

  std::uint64_t transactions() const { return transactions_; }

 private:
  void transact(Socket& s, ::tlm::tlm_command cmd, std::uint64_t addr, const char* what,
                unsigned core);
  Socket& mmio(unsigned core);

  std::vector<std::unique_ptr<Socket>> mmio_;
  ::tlm::tlm_generic_payload trans_;
  MmioWriteStatus* status_ = nullptr;  // owned by trans_
  std::uint64_t buf_ = 0;
  std::uint64_t transactions_ = 0;
};

}  // namespace mmuvp::tlm
