// The Verilated RTL walker (rtl/walker_top.sv behind tb/rtl_walker_sc.h) as the platform's walker
// (tlm/walker_port.h) - `mmuvp run --walker rtl`: its own clock of the platform's period, the RTL,
// and the memory-port bridge (tlm/mem_port_bridge.h) to the memory system's walker socket, as
// tlm/cycle_walker_port.h does for the cycle-level model.
//
// Register block: the RTL holds its own. It mirrors the context of the MMU's block: before each
// walk the port compares the request's context (WalkRequest::ctx, the MMU's committed registers)
// with what it last programmed, and writes the registers that differ over the RTL's MMIO port in
// zero simulated time (RtlWalkerSc::write_reg_now: the walker is idle between the walks of its
// core). The escape filter is reloaded (FILTER_CTRL clear, one FILTER_ADD per frame) from
// `escaped_frames` when its bits differ from the MMU's, and the result must equal the MMU's bits
// exactly. The flushes those writes cause in the RTL (MODE, segment commit, filter) repeat the
// ones the MMU forwarded when its registers changed; no walk of this walker ran in between, so
// they drop nothing more. The MMU's invalidations reach the RTL's inv port as they happen.
//
// The Verilated model has fixed parameters: 2 slots, MAXPHYADDR 52, a 256-bit 4-hash filter and
// the default PWC / nested-TLB geometry; a run asking for anything else is refused.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tlm/walker_port.h"

namespace mmuvp::tb {

struct RtlWalkerPortOptions {
  std::string fst_path;  // non-empty: the RTL's FST waveform
  // The frames the MMU's escape filter holds (called when its bits change; may be empty).
  std::function<std::vector<std::uint64_t>()> escaped_frames;
};

// What the Verilated walker cannot do for `setup` ("" if it can): one line.
std::string rtl_walker_unsupported(const tlm::WalkerSetup& setup);

// Builds the walker of setup.core. Throws std::invalid_argument with rtl_walker_unsupported()'s
// reason, std::runtime_error if the FST cannot be opened. During a run, a context the RTL cannot
// be programmed with (a register it refuses, a filter it cannot reproduce) throws
// std::runtime_error out of walk().
std::unique_ptr<tlm::WalkerPort> make_rtl_walker(const tlm::WalkerSetup& setup,
                                                 const RtlWalkerPortOptions& options);

}  // namespace mmuvp::tb
