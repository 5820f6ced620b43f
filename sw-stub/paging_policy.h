// Dynamic switching between shadow and nested paging (SPEC §6, seed 000): the VMM's policy. Per
// guest process and per interval of its accesses it measures the translation cost of the mode the
// process runs in, from counts the hardware keeps (the walker's memory references, as a PMU counts
// page-walk references) and the VM exits the VMM took for it, in cycles per access:
//   cost = (walk references x ref_cycles + VM exits x exit_cycles) / accesses
// and compares it with the last measurement of the other mode. It switches, with hysteresis, when
// the other mode was cheaper by more than `hysteresis`; when the other mode was never measured, or
// too long ago (`stale_after` intervals), it tries it once the current one costs more than
// `explore_above` (workloads change phase). A try that finds the other mode dearer doubles the
// wait before the next try of that process (up to 64 x stale_after); one that finds it cheaper
// resets it. A mode is kept at least `min_dwell` intervals. Every switch comes with its reason,
// in words and numbers.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace mmuvp::stub {

struct PagingPolicyConfig {
  std::uint64_t interval = 50'000;  // accesses of a process per measurement
  double ref_cycles = 30;           // the VMM's estimate of one page-walk memory reference
  double exit_cycles = 1500;        // one VM exit
  double hysteresis = 0.25;         // the other mode must have been cheaper by this fraction
  unsigned min_dwell = 2;           // intervals in a mode before leaving it
  unsigned stale_after = 16;        // intervals after which the other mode's cost is re-measured
  double explore_above = 1.0;       // cycles per access below which a mode is not questioned
};

// What one process did in one interval.
struct PagingSample {
  std::uint64_t accesses = 0;
  std::uint64_t walk_refs = 0;
  std::uint64_t exits = 0;
};

struct PagingDecision {
  bool to_shadow = false;
  double cost = 0;                    // cycles per access of the mode being left
  std::optional<double> other_cost;   // the last measurement of the mode chosen, if fresh
  std::string reason;
};

class PagingPolicy {
 public:
  explicit PagingPolicy(const PagingPolicyConfig& config);

  // One interval of process `pcid` run in shadow (`shadow`) or nested paging. Returns the switch
  // to make, if any; the caller makes it (and calls again with the new mode next time).
  std::optional<PagingDecision> observe(std::uint16_t pcid, bool shadow, const PagingSample& s);

  const PagingPolicyConfig& config() const { return config_; }

 private:
  struct Process {
    std::optional<double> cost[2];  // [0] nested, [1] shadow: cycles per access, last measured
    unsigned age[2] = {0, 0};       // intervals since then
    unsigned dwell = 0;             // intervals in the current mode
    unsigned try_after = 0;         // intervals before the other mode is tried again (0: unset)
    bool trying = false;            // the current mode is on trial
  };
  PagingPolicyConfig config_;
  std::map<std::uint16_t, Process> processes_;
};

}  // namespace mmuvp::stub
