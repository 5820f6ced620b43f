#include "tlm/tlm_machine_bus.h"

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace mmuvp::tlm {

TlmMachineBus::TlmMachineBus(sc_core::sc_module_name name, unsigned cores)
    : sc_module(name), mem_socket("mem_socket") {
  if (cores == 0) throw std::invalid_argument("TlmMachineBus: a machine needs at least one core");
  mmio_.reserve(cores);
  for (unsigned i = 0; i < cores; ++i)
    mmio_.push_back(std::make_unique<Socket>(fmt::format("mmio_{}", i).c_str()));
  auto* attr = new MemAttr;
  attr->who = Initiator::kFirmware;
  trans_.set_extension(attr);
  status_ = new MmioWriteStatus;
  trans_.set_extension(status_);
  trans_.set_data_ptr(reinterpret_cast<unsigned char*>(&buf_));
  trans_.set_data_length(sizeof buf_);
  trans_.set_streaming_width(sizeof buf_);
  trans_.set_byte_enable_ptr(nullptr);
}

TlmMachineBus::Socket& TlmMachineBus::mmio(unsigned core) {
  if (core >= mmio_.size())
    throw std::out_of_range(
        fmt::format("MMIO access to core {}: the machine has {} cores", core, mmio_.size()));
  return *mmio_[core];
}

void TlmMachineBus::transact(Socket& s, ::tlm::tlm_command cmd, std::uint64_t addr,
                             const char* what, unsigned core) {
  trans_.set_command(cmd);
  trans_.set_address(addr);
  trans_.set_response_status(::tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  s->b_transport(trans_, delay);
  ++transactions_;
  if (trans_.is_response_error()) {
    throw std::out_of_range(
        &s == &mem_socket
            ? fmt::format("{} at hPA {:#x}: {}", what, addr, trans_.get_response_string())
            : fmt::format("{} of core {} at offset {:#x}: {}", what, core, addr,
                          trans_.get_response_string()));
  }
}

std::uint64_t TlmMachineBus::mem_read64(arch::hpa_t hpa) {
  transact(mem_socket, ::tlm::TLM_READ_COMMAND, hpa, "memory read", 0);
  return buf_;
}

void TlmMachineBus::mem_write64(arch::hpa_t hpa, std::uint64_t value) {
  buf_ = value;
  transact(mem_socket, ::tlm::TLM_WRITE_COMMAND, hpa, "memory write", 0);
}

std::uint64_t TlmMachineBus::mmio_read(unsigned core, std::uint32_t offset) {
  transact(mmio(core), ::tlm::TLM_READ_COMMAND, offset, "MMIO read", core);
  return buf_;
}

arch::regs::RegStatus TlmMachineBus::mmio_write(unsigned core, std::uint32_t offset,
                                                std::uint64_t value) {
  buf_ = value;
  status_->status = arch::regs::RegStatus::kOk;
  transact(mmio(core), ::tlm::TLM_WRITE_COMMAND, offset, "MMIO write", core);
  return status_->status;
}

}  // namespace mmuvp::tlm
