// Architectural translation faults (SPEC §1) with their attribution. A fault is a result, never a
// crash: the walker stops at the first one and reports where it happened.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace mmuvp::arch {

enum class FaultKind : std::uint8_t {
  kNone = 0,
  kNonCanonical = 1,    // gVA not canonical (#GP)
  kGuestPageFault = 2,  // guest #PF: error code + faulting gVA
  kEptViolation = 3,    // gPA not mapped / not permitted by the EPT
  kEptMisconfig = 4,    // EPT entry with W without R, reserved bits or memory type
  kMemoryError = 5,     // a walker reference fell outside physical memory (e.g. a loaded image)
};
std::string_view to_string(FaultKind k);

// Guest #PF error code bits (SDM §4.7).
namespace pf {
constexpr std::uint32_t kP = 1u << 0;     // 0: not present, 1: protection / reserved bit
constexpr std::uint32_t kW = 1u << 1;     // write access
constexpr std::uint32_t kU = 1u << 2;     // user-mode access
constexpr std::uint32_t kRsvd = 1u << 3;  // reserved bit set in a paging entry
constexpr std::uint32_t kI = 1u << 4;     // instruction fetch
}  // namespace pf

// EPT violation exit qualification bits (SDM Table 28-7).
namespace eptq {
constexpr std::uint32_t kRead = 1u << 0;
constexpr std::uint32_t kWrite = 1u << 1;
constexpr std::uint32_t kFetch = 1u << 2;
constexpr std::uint32_t kReadable = 1u << 3;    // AND of R over the EPT entries used
constexpr std::uint32_t kWritable = 1u << 4;
constexpr std::uint32_t kExecutable = 1u << 5;
constexpr std::uint32_t kGvaValid = 1u << 7;
constexpr std::uint32_t kFinal = 1u << 8;       // 1: final gPA of the gVA; 0: guest paging entry
}  // namespace eptq

// Which access the fault happened on: a guest paging-structure entry, or the final translation.
enum class FaultStage : std::uint8_t { kNone = 0, kGuestTable = 1, kFinal = 2 };

struct Fault {
  FaultKind kind = FaultKind::kNone;
  FaultStage stage = FaultStage::kNone;
  std::uint8_t level = 0;  // paging level (4..1) of the entry that faulted, 0 if none
  std::uint32_t code = 0;  // #PF error code, or EPT violation exit qualification
  std::uint64_t gva = 0;   // faulting (guest) virtual address
  std::uint64_t gpa = 0;   // faulting gPA (EPT faults), or the physical address (memory error)

  bool ok() const { return kind == FaultKind::kNone; }
  bool operator==(const Fault& o) const {
    return kind == o.kind && stage == o.stage && level == o.level && code == o.code &&
           gva == o.gva && gpa == o.gpa;
  }
  bool operator!=(const Fault& o) const { return !(*this == o); }
};
std::string describe(const Fault& f);  // one line, for reports and CLI output

}  // namespace mmuvp::arch
