// Which states of the RTL walker's FSM and which fault kinds a coverage run reached, read from the
// `cover property` points of rtl/walker_top.sv in Verilator coverage data (tb/coverage_data.h):
//   - one point per state of walk_state_e, named Cov + the state's name in CamelCase without the
//     W_ prefix (W_EAD_REQ -> CovEadReq): cycles a slot spent in the state. The points sit in a
//     generate loop over the slots, which Verilator collapses into one point per source line:
//     the count is summed over the slots.
//   - one point per fault kind (CovFltNonCanonical, CovFltGuestPf, CovFltEptViolation,
//     CovFltEptMisconfig, CovFltMemoryError): responses taken with that fault, next to the
//     testbench's own count of such responses.
//   - every other `cover property` of the RTL (v_user points with another name), so that a cover
//     point added to the RTL is checked too.
// Reached: the point exists and its count is non-zero (for a fault kind, the testbench also saw
// such a response). The state list is the C++ contract's (tlm/walk_fsm.h, docs/walker-fsm.md).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tb/coverage_data.h"

namespace mmuvp::tb {

struct ReachItem {
  std::string name;    // W_IDLE, guest-page-fault, or the cover point's name for the others
  std::string cover;   // the cover point's name
  bool present = false;          // the coverage data holds the point
  std::uint64_t count = 0;       // its count
  bool has_responses = false;    // fault kinds: the testbench counts responses
  std::uint64_t responses = 0;   // fault kinds: responses with this fault (testbench)

  bool reached() const { return present && count > 0 && (!has_responses || responses > 0); }
};

struct RtlReach {
  std::vector<ReachItem> states;  // in walk_state_e order
  std::vector<ReachItem> faults;  // in arch::FaultKind order, without kNone
  std::vector<ReachItem> others;  // other cover points, in the data's order

  bool all_reached() const;
  // The three tables, one line per item, "NOT REACHED" / "NO COVER POINT" where it applies.
  std::string table() const;
};

// `fault_responses`: the testbench's responses per arch::FaultKind (index 0, no fault, unused).
RtlReach rtl_reach(const CoverageData& data, const std::array<std::uint64_t, 6>& fault_responses);

// The cover point of walk-FSM state `state_name` ("W_EAD_REQ" -> "CovEadReq").
std::string state_cover_name(std::string_view state_name);

}  // namespace mmuvp::tb
