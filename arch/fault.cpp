#include "arch/fault.h"

#include <fmt/format.h>

namespace mmuvp::arch {

std::string_view to_string(FaultKind k) {
  switch (k) {
    case FaultKind::kNone: return "none";
    case FaultKind::kNonCanonical: return "non-canonical";
    case FaultKind::kGuestPageFault: return "guest-page-fault";
    case FaultKind::kEptViolation: return "ept-violation";
    case FaultKind::kEptMisconfig: return "ept-misconfig";
    case FaultKind::kMemoryError: return "memory-error";
  }
  return "?";
}

std::string describe(const Fault& f) {
  const char* stage = f.stage == FaultStage::kGuestTable ? "guest-table"
                      : f.stage == FaultStage::kFinal    ? "final"
                                                         : "-";
  switch (f.kind) {
    case FaultKind::kNone: return "no fault";
    case FaultKind::kNonCanonical: return fmt::format("non-canonical gva=0x{:x}", f.gva);
    case FaultKind::kGuestPageFault:
      return fmt::format("guest #PF gva=0x{:x} level={} error=0x{:x} [{}{}{}{}{}]", f.gva, f.level,
                         f.code, (f.code & pf::kP) ? "P" : "NP", (f.code & pf::kW) ? " W" : " R",
                         (f.code & pf::kU) ? " U" : " S", (f.code & pf::kRsvd) ? " RSVD" : "",
                         (f.code & pf::kI) ? " I" : "");
    case FaultKind::kEptViolation:
      return fmt::format("EPT violation gpa=0x{:x} gva=0x{:x} stage={} level={} qual=0x{:x}", f.gpa,
                         f.gva, stage, f.level, f.code);
    case FaultKind::kEptMisconfig:
      return fmt::format("EPT misconfiguration gpa=0x{:x} gva=0x{:x} stage={} level={}", f.gpa, f.gva,
                         stage, f.level);
    case FaultKind::kMemoryError:
      return fmt::format("memory error: walker reference to pa=0x{:x} outside physical memory "
                         "(gva=0x{:x} stage={} level={})",
                         f.gpa, f.gva, stage, f.level);
  }
  return "?";
}

}  // namespace mmuvp::arch
