// Names of the register map's enumerations (STATUS codes, INV_CMD operations) for messages and for
// the generated register-map documentation.
#include "arch/mmu_regs.h"

namespace mmuvp::arch::regs {

std::string_view to_string(InvOp op) {
  switch (op) {
    case InvOp::kNone: return "none";
    case InvOp::kInvlpg: return "INVLPG (current PCID and VMID, INV_ADDR)";
    case InvOp::kInvpcidAddr: return "INVPCID individual address (PCID field, INV_ADDR)";
    case InvOp::kInvpcidContext: return "INVPCID single context (PCID field, non-global)";
    case InvOp::kInvpcidAllGlobal: return "INVPCID all contexts including globals";
    case InvOp::kInvpcidAll: return "INVPCID all contexts except globals";
    case InvOp::kInveptSingle: return "INVEPT single context (VMID field)";
    case InvOp::kInveptAll: return "INVEPT all contexts";
    case InvOp::kFlushAll: return "flush every TLB and translation cache";
  }
  return "?";
}

std::string_view to_string(RegStatus s) {
  switch (s) {
    case RegStatus::kOk: return "ok";
    case RegStatus::kSegMisaligned: return "segment register not 4 KiB aligned";
    case RegStatus::kSegLimitBelowBase: return "segment LIMIT below BASE";
    case RegStatus::kSegInputOutOfRange: return "segment range outside the input address space";
    case RegStatus::kSegOutputOutOfRange:
      return "segment translation leaves the physical address space";
    case RegStatus::kBadMode: return "unknown translation mode";
    case RegStatus::kBadCr3: return "CR3 not 4 KiB aligned or beyond MAXPHYADDR";
    case RegStatus::kBadEptp: return "EPTP: bad memory type, walk length, reserved bit or address";
    case RegStatus::kBadValue: return "value beyond the register's width or a reserved bit set";
    case RegStatus::kBadOffset: return "no register at this offset";
    case RegStatus::kReadOnly: return "write to a read-only register or field";
    case RegStatus::kBadInvCommand: return "unknown INV_CMD operation or reserved bit set";
  }
  return "?";
}

}  // namespace mmuvp::arch::regs
