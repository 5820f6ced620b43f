// One MMU's register block (SPEC §4): MMIO reads and writes with the rules of arch/mmu_regs.h, and
// the TranslationContext the walker reads. Plain C++: the TLM register target and the RTL mirror
// it.
// docs/register-map.md states the rules; tests/arch/register_block_test.cpp checks each of them.
#pragma once
#include <cstdint>
#include <functional>

#include "arch/escape_filter.h"
#include "arch/fault.h"
#include "arch/mmu_regs.h"
#include "arch/translation.h"

namespace mmuvp::arch {

// The model accepts MAXPHYADDR in [kMinMaxPhyAddr, kDefaultMaxPhyAddr] (x86 parts: 36..52).
constexpr unsigned kMinMaxPhyAddr = 32;

struct MmuParams {
  unsigned maxphyaddr = kDefaultMaxPhyAddr;
  unsigned filter_bits = kFilterDefaultBits;      // m
  unsigned filter_hashes = kFilterDefaultHashes;  // k
};

// A decoded INV_CMD write, handed to whoever owns the TLBs and caches.
struct Invalidation {
  regs::InvOp op = regs::InvOp::kNone;
  std::uint64_t addr = 0;   // INV_ADDR (INVLPG, INVPCID individual address)
  std::uint16_t pcid = 0;   // INVLPG: the current PCID; INVPCID: the PCID field
  std::uint16_t vmid = 0;   // INVEPT single: the VMID field; others: the current VMID
  bool operator==(const Invalidation& o) const {
    return op == o.op && addr == o.addr && pcid == o.pcid && vmid == o.vmid;
  }
};

class RegisterBlock {
 public:
  // Throws std::invalid_argument for a MAXPHYADDR outside [kMinMaxPhyAddr, 52] or a bad m/k.
  explicit RegisterBlock(const MmuParams& params = {});
  // Copies keep their own filter: the copy's context().filter points at the copy's filter().
  RegisterBlock(const RegisterBlock& other);
  RegisterBlock& operator=(const RegisterBlock& other);

  // MMIO access at a byte offset of the window. A refused write changes nothing but STATUS and
  // returns the reason. Reads of write-only registers return 0; unknown offsets read 0 and record
  // kBadOffset in STATUS.
  std::uint64_t read(std::uint32_t offset);
  regs::RegStatus write(std::uint32_t offset, std::uint64_t value);

  // Back to the reset values of regs::kRegisters (filter empty, staged segments zero). Silent: no
  // on_invalidate call.
  void reset();

  // The committed state as the walker sees it (segments are the committed ones, never staged).
  const TranslationContext& context() const { return ctx_; }
  const EscapeFilter& filter() const { return filter_; }
  const MmuParams& params() const { return params_; }

  // Called for every accepted INV_CMD, and for every change that must drop cached translations:
  // a committed segment change, a filter update or a MODE change also invalidate (op kFlushAll
  // with the current PCID/VMID; narrowing it is the caller's choice). Optional.
  std::function<void(const Invalidation&)> on_invalidate;

  // The platform reports each translation fault here (FAULT_INFO/GVA/GPA).
  void record_fault(const Fault& f);

 private:
  regs::RegStatus write_register(std::uint32_t offset, std::uint64_t value);
  regs::RegStatus write_segment(std::uint32_t offset, std::uint64_t value);
  regs::RegStatus commit_segments(std::uint64_t value);
  regs::RegStatus write_filter_ctrl(std::uint64_t value);
  regs::RegStatus write_filter_add(std::uint64_t value);
  regs::RegStatus write_inv_cmd(std::uint64_t value);
  regs::RegStatus write_config(std::uint64_t value);
  void refuse(regs::RegStatus s, std::uint32_t offset);
  void invalidate(const Invalidation& inv);
  void flush_all();

  MmuParams params_;
  EscapeFilter filter_;
  TranslationContext ctx_;
  Segment staged_guest_, staged_vmm_;
  std::uint64_t inv_addr_ = 0;
  std::uint64_t status_ = 0;
  std::uint64_t fault_info_ = 0, fault_gva_ = 0, fault_gpa_ = 0;
};

}  // namespace mmuvp::arch
