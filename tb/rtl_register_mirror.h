// Keeps the Verilated RTL walker's register block (rtl/walker_regs.sv, programmed over its MMIO
// port) equal to the context an MMU's register block describes (arch::TranslationContext), as a
// platform walker built on the RTL must: the RTL latches its own registers at a request's
// acceptance, while the MMU hands its walker the context with each request.
//
// program(ctx) writes, through `write`, only the registers whose committed value differs from what
// it last wrote (the first call writes them all): CONFIG, MODE, CR3, PCID, EPTP, VMID, a segment's
// BASE/LIMIT/OFFSET and SEG_COMMIT when that segment changed. The escape filter is reloaded
// (FILTER_CTRL clear, one FILTER_ADD per frame) from `escaped_frames` when its bits differ from
// the MMU's filter, and the RTL's filter must then equal the MMU's bits exactly. The RTL is built
// with MAXPHYADDR 52 and a 256-bit, 4-hash filter (rtl_walker_port.h).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "arch/escape_filter.h"
#include "arch/mmu_regs.h"
#include "arch/translation.h"

namespace mmuvp::tb {

class RtlRegisterMirror {
 public:
  // One register write to the RTL; returns the RTL's STATUS code of the write.
  using WriteFn = std::function<arch::regs::RegStatus(std::uint32_t offset, std::uint64_t value)>;
  // The frames the MMU's escape filter holds (may be empty, or a superset).
  using FramesFn = std::function<std::vector<std::uint64_t>()>;

  // `owner` names the walker in error messages.
  RtlRegisterMirror(std::string owner, WriteFn write, FramesFn escaped_frames);

  // Writes what differs. Throws std::runtime_error (naming the owner) for a context the RTL cannot
  // hold: another MAXPHYADDR or filter geometry, a write the RTL refuses, or a filter that the
  // escaped frames cannot reproduce.
  void program(const arch::TranslationContext& ctx);
  // Register writes made so far.
  std::uint64_t writes() const { return writes_; }

 private:
  void write(std::uint32_t offset, std::uint64_t value);
  void program_filter(const arch::EscapeFilter* f);

  std::string owner_;
  WriteFn write_;
  FramesFn escaped_frames_;
  arch::TranslationContext ctx_;  // what the RTL's registers hold
  bool programmed_ = false;
  arch::EscapeFilter shadow_filter_;  // what the RTL's filter holds
  std::uint64_t writes_ = 0;
};

}  // namespace mmuvp::tb
