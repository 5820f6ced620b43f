// Comparison of two walkers' answers to one request, and the report of a mismatch: shared by the
// standalone co-simulation of the cycle-level and RTL walkers (tb/cosim.h, `mmuvp cosim`) and the
// platform's lockstep walker (tb/lockstep_walker_port.h, `mmuvp run --walker cosim`).
//
// Two responses agree when every field a walker produces is equal: request id, slot, the fault
// (kind, stage, level, code, gVA, gPA), the ordered memory references (address, target, level,
// for_level, READ or SET_BITS) and the value each returned, and for a translation hPA, gPA, the
// three page sizes, permissions, global and dirty; then the segment and filter hits and the
// response cycle (WalkResponse::cycles).
#pragma once
#include <cstdint>
#include <string>

#include "arch/translation.h"
#include "tlm/walk_types.h"

namespace mmuvp::tb {

// "read", "write", "execute".
const char* access_name(arch::AccessType t);

// The first field in which two responses differ, as a phrase ("hPA", "memory reference 3"), or ""
// if they agree.
std::string first_difference(const tlm::WalkResponse& a, const tlm::WalkResponse& b);

// One response over several lines: slot, cycles and the result on the first line (no indent),
// then the fields and every memory reference with its value (indented by 6); ends with '\n'.
std::string describe_response(const tlm::WalkResponse& r);

// One request on one line (no newline): id, access, gVA, privilege, core and its context.
std::string describe_request(const tlm::WalkRequest& q, unsigned core);

// What a mismatch report says.
struct WalkMismatch {
  std::string where;  // after "MISMATCH in ": the mode, machine or core
  std::string what;   // the first field that differs (first_difference(), or a port event)
  const tlm::WalkRequest* request = nullptr;  // the request concerned (nullptr: none known)
  unsigned core = 0;
  const tlm::WalkResponse* cycle = nullptr;   // the cycle-level walker's response (nullptr: none)
  const tlm::WalkResponse* rtl = nullptr;     // the RTL walker's response (nullptr: none)
  std::string no_response = "no response";    // said for a missing response
  std::string detail;       // further lines (indented, each ending in '\n'), before the edge line
  std::uint64_t edge = 0;   // the clock edge at which it was seen
  unsigned window = 0;      // cycles of waveform around the edge
  std::uint64_t period_ps = 1000;  // the clock period, for the window's times
  std::string wave;         // the RTL's FST ("" none: the report says how to get one)
};

// The multi-line report ("MISMATCH in <where>: <what> differs", the request, both responses, the
// detail, the edge with its waveform window, how to view it); ends with '\n'.
std::string format_mismatch(const WalkMismatch& m);

}  // namespace mmuvp::tb
