// The attributes every transaction to the memory system carries (a TLM-2.0 extension on the
// generic payload): who makes it, and whether a write is the walker's locked A/D update.
//
// Protocol of the memory system's target sockets (tlm/memory_system.h):
//   - 8-byte aligned accesses of 8 bytes (walker, firmware) or of the workload's size (data).
//   - READ: data_ptr receives the bytes. WRITE: data_ptr holds them.
//   - WRITE with set_bits: an atomic OR of the 8 data bytes into memory; data_ptr receives the
//     value *before* the OR (the walker reports it as the value its reference saw).
//   - Address outside physical memory: TLM_ADDRESS_ERROR_RESPONSE (the walker's kMemoryError).
//   - Delay: walker and data accesses are annotated with the cache model's latency (cycles of the
//     platform clock); firmware accesses cost nothing and bypass the caches.
//   - Data accesses are timing only (the platform models address translation; workload data
//     values are not stored), so a footprint of terabytes costs no host memory.
#pragma once
#include <tlm>

#include <cstdint>

namespace mmuvp::tlm {

enum class Initiator : std::uint8_t { kData = 0, kWalker = 1, kFirmware = 2 };

struct MemAttr : ::tlm::tlm_extension<MemAttr> {
  Initiator who = Initiator::kFirmware;
  std::uint16_t core = 0;
  bool set_bits = false;

  ::tlm::tlm_extension_base* clone() const override { return new MemAttr(*this); }
  void copy_from(const ::tlm::tlm_extension_base& e) override {
    *this = static_cast<const MemAttr&>(e);
  }
};

}  // namespace mmuvp::tlm
