// The TLM-2.0 extensions of the platform's control paths:
//   - TranslateAttr: on a core's transaction to its MMU (tlm/mmu.h). The generic payload carries
//     the access (address = gVA, READ for reads and fetches, WRITE for writes, length = access
//     size); the extension adds what the payload cannot say (fetch vs read, CPL) and returns the
//     translation outcome. One b_transport is the whole access: the MMU translates, then forwards
//     the payload to the memory system with the hPA (and restores the gVA before returning).
//   - MmioWriteStatus: on an MMIO write to an MMU's register target: the RegStatus the register
//     block gave this write (a refused register write is not a bus error: the bus response is OK).
#pragma once
#include <systemc>
#include <tlm>

#include <cstdint>

#include "arch/fault.h"
#include "arch/mmu_regs.h"
#include "arch/translation.h"
#include "tlm/tlb.h"

namespace mmuvp::tlm {

struct TranslateAttr : ::tlm::tlm_extension<TranslateAttr> {
  // Request.
  arch::AccessType type = arch::AccessType::kRead;
  bool user = true;  // CPL 3
  // Response.
  arch::Fault fault;                         // kind kNone: translated and accessed
  TlbHitLevel tlb_level = TlbHitLevel::kMiss;  // where the translation came from (kMiss: walk)
  arch::hpa_t hpa = 0;
  // Time beyond the L1 TLB (L2 lookup and walk) and of the data access (cache model), as time
  // rather than cycles so the per-access path needs no division; whole clock periods.
  sc_core::sc_time translation_time;
  sc_core::sc_time data_time;

  ::tlm::tlm_extension_base* clone() const override { return new TranslateAttr(*this); }
  void copy_from(const ::tlm::tlm_extension_base& e) override {
    *this = static_cast<const TranslateAttr&>(e);
  }
};

struct MmioWriteStatus : ::tlm::tlm_extension<MmioWriteStatus> {
  arch::regs::RegStatus status = arch::regs::RegStatus::kOk;

  ::tlm::tlm_extension_base* clone() const override { return new MmioWriteStatus(*this); }
  void copy_from(const ::tlm::tlm_extension_base& e) override {
    *this = static_cast<const MmioWriteStatus&>(e);
  }
};

}  // namespace mmuvp::tlm
