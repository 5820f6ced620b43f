// The MMU register map (SPEC §4): the single source for the C++ models, the firmware stub and the
// RTL. rtl/mmu_regs_pkg.sv and docs/register-map.md are generated from this file by
// `mmuvp_regmap_gen` (a test fails if the committed copies are stale).
//
// Every register is 64 bits wide at an 8-byte aligned offset of the MMU's MMIO window.
// A write that breaks a rule is refused: nothing changes and STATUS records why (RegStatus).
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

#include "arch/address.h"
#include "arch/escape_filter.h"

namespace mmuvp::arch::regs {

enum class RegAccess : std::uint8_t { kRW, kRO, kWO };

// A bit-field of one register. `reg` is the offset of the register that holds it; `access` is the
// field's own access (FILTER_CTRL, for one, has a write view and a read view).
struct RegField {
  std::string_view name;
  unsigned lsb;
  unsigned width;
  std::uint32_t reg = 0;
  RegAccess access = RegAccess::kRW;
  std::string_view description;
};

struct RegDesc {
  std::string_view name;
  std::uint32_t offset;
  RegAccess access;
  std::uint64_t reset;
  std::string_view description;
};

// ---- register offsets ------------------------------------------------------------------------
constexpr std::uint32_t kId = 0x000;
constexpr std::uint32_t kMode = 0x008;
constexpr std::uint32_t kCr3 = 0x010;
constexpr std::uint32_t kPcid = 0x018;
constexpr std::uint32_t kEptp = 0x020;
constexpr std::uint32_t kVmid = 0x028;
constexpr std::uint32_t kBaseG = 0x030;
constexpr std::uint32_t kLimitG = 0x038;
constexpr std::uint32_t kOffsetG = 0x040;
constexpr std::uint32_t kBaseV = 0x048;
constexpr std::uint32_t kLimitV = 0x050;
constexpr std::uint32_t kOffsetV = 0x058;
constexpr std::uint32_t kSegCommit = 0x060;
constexpr std::uint32_t kFilterCtrl = 0x068;
constexpr std::uint32_t kFilterAdd = 0x070;
constexpr std::uint32_t kInvCmd = 0x078;
constexpr std::uint32_t kInvAddr = 0x080;
constexpr std::uint32_t kStatus = 0x088;
constexpr std::uint32_t kFaultInfo = 0x090;
constexpr std::uint32_t kFaultGva = 0x098;
constexpr std::uint32_t kFaultGpa = 0x0a0;
constexpr std::uint32_t kConfig = 0x0a8;
constexpr std::uint32_t kWindowBytes = 0x100;  // MMIO window size per MMU
constexpr std::uint32_t kRegBytes = 8;         // every register is 64 bits, 8-byte aligned

constexpr std::uint64_t kIdValue = 0x4d4d555650000001ull;  // "MMUVP", version 1

// Value widths of the identifier registers (PCID: 12 bits as x86; VMID: 16 bits as a VPID).
constexpr unsigned kPcidBits = 12;
constexpr unsigned kVmidBits = 16;
// Input space of the guest segment: user gVAs, the lower canonical half.
constexpr unsigned kGuestSegmentInputBits = kVirtualAddressBits - 1;

// ---- fields ----------------------------------------------------------------------------------
namespace field {
// SEG_COMMIT
constexpr RegField kCommitGuest{"COMMIT_G", 0, 1, kSegCommit, RegAccess::kWO,
                                "1: check the staged guest segment and apply it"};
constexpr RegField kCommitVmm{"COMMIT_V", 1, 1, kSegCommit, RegAccess::kWO,
                              "1: check the staged VMM segment and apply it"};
// FILTER_CTRL (write)
constexpr RegField kFilterClear{"CLEAR", 0, 1, kFilterCtrl, RegAccess::kWO,
                                "1: clear the escape filter"};
// FILTER_CTRL (read)
constexpr RegField kFilterBits{"M", 0, 20, kFilterCtrl, RegAccess::kRO, "Filter size m in bits"};
constexpr RegField kFilterHashes{"K", 24, 4, kFilterCtrl, RegAccess::kRO,
                                 "Number of H3 hash functions k"};
constexpr RegField kFilterAdded{"ADDED", 32, 32, kFilterCtrl, RegAccess::kRO,
                                "Frames added since the last clear"};
// INV_CMD
constexpr RegField kInvOp{"OP", 0, 4, kInvCmd, RegAccess::kWO, "Operation (InvOp), 1..8"};
constexpr RegField kInvPcid{"PCID", 16, 12, kInvCmd, RegAccess::kWO,
                            "PCID operand of the INVPCID operations"};
constexpr RegField kInvVmid{"VMID", 32, 16, kInvCmd, RegAccess::kWO,
                            "VMID operand of INVEPT single-context"};
// STATUS
constexpr RegField kStatusCode{"CODE", 0, 8, kStatus, RegAccess::kRO,
                               "RegStatus of the last refused write"};
constexpr RegField kStatusOffset{"OFFSET", 8, 16, kStatus, RegAccess::kRO,
                                 "Byte offset of the register it was written to"};
constexpr RegField kStatusCount{"COUNT", 32, 32, kStatus, RegAccess::kRO,
                                "Refused writes since the last clear (saturating)"};
// FAULT_INFO
constexpr RegField kFaultKind{"KIND", 0, 8, kFaultInfo, RegAccess::kRO, "FaultKind"};
constexpr RegField kFaultStage{"STAGE", 8, 2, kFaultInfo, RegAccess::kRO,
                               "FaultStage: 1 guest paging structure, 2 final access"};
constexpr RegField kFaultLevel{"LEVEL", 12, 3, kFaultInfo, RegAccess::kRO,
                               "Paging level 4..1 of the faulting entry, 0 if none"};
constexpr RegField kFaultCode{"CODE", 32, 32, kFaultInfo, RegAccess::kRO,
                              "#PF error code or EPT violation exit qualification"};
// CONFIG
constexpr RegField kConfigAd{"AD_ENABLE", 0, 1, kConfig, RegAccess::kRW,
                             "1: the walker sets accessed/dirty bits"};
constexpr RegField kConfigMaxPhy{"MAXPHYADDR", 8, 7, kConfig, RegAccess::kRO,
                                 "Physical address width (model parameter)"};
}  // namespace field

inline constexpr std::array<RegField, 18> kFields = {
    field::kCommitGuest, field::kCommitVmm, field::kFilterClear, field::kFilterBits,
    field::kFilterHashes, field::kFilterAdded, field::kInvOp, field::kInvPcid, field::kInvVmid,
    field::kStatusCode, field::kStatusOffset, field::kStatusCount, field::kFaultKind,
    field::kFaultStage, field::kFaultLevel, field::kFaultCode, field::kConfigAd,
    field::kConfigMaxPhy};

constexpr std::uint64_t field_mask(RegField f) {
  return ((f.width >= 64) ? ~0ull : ((1ull << f.width) - 1)) << f.lsb;
}
constexpr std::uint64_t get(std::uint64_t reg, RegField f) {
  return (reg >> f.lsb) & ((f.width >= 64) ? ~0ull : ((1ull << f.width) - 1));
}
constexpr std::uint64_t put(RegField f, std::uint64_t v) {
  return (v & ((f.width >= 64) ? ~0ull : ((1ull << f.width) - 1))) << f.lsb;
}

// ---- registers -------------------------------------------------------------------------------
// Reset values of FILTER_CTRL and CONFIG show the default model parameters (m, k, MAXPHYADDR).
inline constexpr std::array<RegDesc, 22> kRegisters = {{
    {"ID", kId, RegAccess::kRO, kIdValue, "Identification: \"MMUVP\" and the map version"},
    {"MODE", kMode, RegAccess::kRW, 0, "Translation mode (arch::Mode); unknown values refused"},
    {"CR3", kCr3, RegAccess::kRW, 0, "Guest PML4 gPA; 4 KiB aligned, below 2^MAXPHYADDR"},
    {"PCID", kPcid, RegAccess::kRW, 0, "Process-context identifier (12 bits) tagging TLB entries"},
    {"EPTP", kEptp, RegAccess::kRW, 0, "EPT pointer: 2:0 type (UC/WB), 5:3 walk length-1 (=3), 6 A/D, 51:12 PML4"},
    {"VMID", kVmid, RegAccess::kRW, 0, "Virtual machine identifier (16 bits) tagging TLB entries"},
    {"BASE_G", kBaseG, RegAccess::kRW, 0, "Guest segment base (gVA), staged until SEG_COMMIT"},
    {"LIMIT_G", kLimitG, RegAccess::kRW, 0, "Guest segment limit (gVA, exclusive), staged"},
    {"OFFSET_G", kOffsetG, RegAccess::kRW, 0, "Guest segment offset (gPA - gVA, two's complement), staged"},
    {"BASE_V", kBaseV, RegAccess::kRW, 0, "VMM segment base (gPA), staged until SEG_COMMIT"},
    {"LIMIT_V", kLimitV, RegAccess::kRW, 0, "VMM segment limit (gPA, exclusive), staged"},
    {"OFFSET_V", kOffsetV, RegAccess::kRW, 0, "VMM segment offset (hPA - gPA, two's complement), staged"},
    {"SEG_COMMIT", kSegCommit, RegAccess::kWO, 0, "Bit 0: check and apply the staged guest segment; bit 1: the VMM segment"},
    {"FILTER_CTRL", kFilterCtrl, RegAccess::kRW,
     put(field::kFilterBits, kFilterDefaultBits) | put(field::kFilterHashes, kFilterDefaultHashes),
     "Write bit 0: clear the escape filter. Read: m, k, frames added"},
    {"FILTER_ADD", kFilterAdd, RegAccess::kWO, 0, "Add a gPA frame number (gPA >> 12) to the escape filter"},
    {"INV_CMD", kInvCmd, RegAccess::kWO, 0, "Invalidation command: op, PCID, VMID; address in INV_ADDR"},
    {"INV_ADDR", kInvAddr, RegAccess::kRW, 0, "Address operand of INVLPG / INVPCID (individual address)"},
    {"STATUS", kStatus, RegAccess::kRW, 0, "Last refused write: code, register offset, count; any write clears"},
    {"FAULT_INFO", kFaultInfo, RegAccess::kRO, 0, "Last translation fault: kind, stage, level, code"},
    {"FAULT_GVA", kFaultGva, RegAccess::kRO, 0, "Last translation fault: gVA"},
    {"FAULT_GPA", kFaultGpa, RegAccess::kRO, 0, "Last translation fault: gPA (EPT faults) or PA (memory error)"},
    {"CONFIG", kConfig, RegAccess::kRW,
     put(field::kConfigAd, 1) | put(field::kConfigMaxPhy, kDefaultMaxPhyAddr),
     "Bit 0: A/D updates enable; 14:8 MAXPHYADDR (read-only)"},
}};

// The register at `offset`, or nullptr (unknown or not 8-byte aligned).
constexpr const RegDesc* find_register(std::uint32_t offset) {
  for (const RegDesc& r : kRegisters)
    if (r.offset == offset) return &r;
  return nullptr;
}

// ---- INV_CMD operations (SDM: INVLPG, INVPCID types 0-3, INVEPT types 1-2) ---------------------
enum class InvOp : std::uint8_t {
  kNone = 0,
  kInvlpg = 1,         // current PCID and VMID, address INV_ADDR (all page sizes)
  kInvpcidAddr = 2,    // PCID field, address INV_ADDR
  kInvpcidContext = 3, // every non-global entry of PCID field (current VMID)
  kInvpcidAllGlobal = 4,  // every entry, global ones too (current VMID)
  kInvpcidAll = 5,     // every non-global entry (current VMID)
  kInveptSingle = 6,   // every entry of VMID field (guest-physical and combined mappings)
  kInveptAll = 7,      // every entry of every VM
  kFlushAll = 8,       // every TLB, paging-structure cache and nested-TLB entry
};
constexpr unsigned kInvOpCount = 9;
std::string_view to_string(InvOp op);  // one short phrase, e.g. "INVPCID single context"

// ---- STATUS codes ----------------------------------------------------------------------------
enum class RegStatus : std::uint8_t {
  kOk = 0,
  kSegMisaligned = 1,
  kSegLimitBelowBase = 2,
  kSegInputOutOfRange = 3,
  kSegOutputOutOfRange = 4,
  kBadMode = 5,
  kBadCr3 = 6,
  kBadEptp = 7,
  kBadValue = 8,        // PCID/VMID/filter frame beyond its width, or a reserved bit set
  kBadOffset = 9,       // no register at this offset, or not 8-byte aligned
  kReadOnly = 10,       // write to a read-only register or field
  kBadInvCommand = 11,  // unknown INV_CMD op, or a reserved INV_CMD bit set
};
std::string_view to_string(RegStatus s);  // one line, e.g. "CR3 not 4 KiB aligned or ..."

}  // namespace mmuvp::arch::regs
