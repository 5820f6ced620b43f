// FSM states and fault kinds reached by a coverage run of the RTL walker (rtl_reach.h).
#include "tb/rtl_reach.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <set>

#include "arch/fault.h"
#include "tlm/walk_fsm.h"

namespace mmuvp::tb {

namespace {

constexpr std::string_view kStatePrefix = "W_";
constexpr std::string_view kCoverPrefix = "Cov";
constexpr std::string_view kUserKind = "v_user";

// The cover points of the fault kinds in rtl/walker_top.sv, by arch::FaultKind.
struct FaultCover {
  arch::FaultKind kind;
  const char* cover;
};
constexpr FaultCover kFaultCovers[] = {
    {arch::FaultKind::kNonCanonical, "CovFltNonCanonical"},
    {arch::FaultKind::kGuestPageFault, "CovFltGuestPf"},
    {arch::FaultKind::kEptViolation, "CovFltEptViolation"},
    {arch::FaultKind::kEptMisconfig, "CovFltEptMisconfig"},
    {arch::FaultKind::kMemoryError, "CovFltMemoryError"},
};
static_assert(std::size(kFaultCovers) == static_cast<std::size_t>(arch::FaultKind::kMemoryError),
              "one cover point per fault kind");

ReachItem lookup(const CoverageData& data, std::string name, std::string cover) {
  ReachItem it;
  it.name = std::move(name);
  it.cover = std::move(cover);
  if (const auto n = data.cover_count(it.cover)) {
    it.present = true;
    it.count = *n;
  }
  return it;
}

std::string status(const ReachItem& it) {
  if (!it.present) return "  NO COVER POINT";
  return it.reached() ? "" : "  NOT REACHED";
}

}  // namespace

std::string state_cover_name(std::string_view state_name) {
  if (state_name.substr(0, kStatePrefix.size()) == kStatePrefix)
    state_name.remove_prefix(kStatePrefix.size());
  std::string out(kCoverPrefix);
  bool word_start = true;
  for (const char c : state_name) {
    if (c == '_') {
      word_start = true;
      continue;
    }
    const auto u = static_cast<unsigned char>(c);
    out += static_cast<char>(word_start ? std::toupper(u) : std::tolower(u));
    word_start = false;
  }
  return out;
}

bool RtlReach::all_reached() const {
  const auto reached = [](const ReachItem& i) { return i.reached(); };
  return std::all_of(states.begin(), states.end(), reached) &&
         std::all_of(faults.begin(), faults.end(), reached) &&
         std::all_of(others.begin(), others.end(), reached);
}

std::string RtlReach::table() const {
  std::string s = fmt::format("{:<12} {:<12} {:>14}\n", "state", "cover point", "slot-cycles");
  for (const ReachItem& i : states)
    s += fmt::format("{:<12} {:<12} {:>14}{}\n", i.name, i.cover, i.count, status(i));
  s += fmt::format("\n{:<18} {:<20} {:>12} {:>12}\n", "fault kind", "cover point", "cover count",
                   "responses");
  for (const ReachItem& i : faults)
    s += fmt::format("{:<18} {:<20} {:>12} {:>12}{}\n", i.name, i.cover, i.count, i.responses,
                     status(i));
  if (!others.empty()) {
    s += fmt::format("\n{:<32} {:>12}\n", "other cover point", "count");
    for (const ReachItem& i : others)
      s += fmt::format("{:<32} {:>12}{}\n", i.cover, i.count, status(i));
  }
  return s;
}

RtlReach rtl_reach(const CoverageData& data,
                   const std::array<std::uint64_t, 6>& fault_responses) {
  RtlReach r;
  std::set<std::string> named;
  for (const std::string_view state : tlm::kWStateNames) {
    r.states.push_back(lookup(data, std::string(state), state_cover_name(state)));
    named.insert(r.states.back().cover);
  }
  for (const FaultCover& f : kFaultCovers) {
    ReachItem it = lookup(data, std::string(arch::to_string(f.kind)), f.cover);
    it.has_responses = true;
    it.responses = fault_responses[static_cast<std::size_t>(f.kind)];
    r.faults.push_back(std::move(it));
    named.insert(f.cover);
  }
  for (const CoveragePoint& p : data.points()) {
    if (p.kind() != kUserKind) continue;
    const std::string name(p.field("o"));
    if (!named.insert(name).second) continue;
    r.others.push_back(lookup(data, name, name));
  }
  return r;
}

}  // namespace mmuvp::tb
