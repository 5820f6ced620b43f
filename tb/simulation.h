// Runs one simulation (a RunConfig) and returns what it counted (RunStats): the wiring of the
// firmware stub, the workload and either the SystemC platform (tlm/platform.h, walker tlm or
// cycle; rtl and cosim when the RTL is built in) or the golden functional model alone
// (walker golden: no SystemC). `mmuvp run` calls it once per process (SystemC elaborates once).
#pragma once
#include <functional>
#include <stdexcept>
#include <string>

#include "tb/run_config.h"
#include "workloads/factory.h"

namespace mmuvp::tb {

// A configuration the platform cannot run (unknown workload, bad page-size combination, segment
// refused by the register block, unreadable trace...): one line, for `mmuvp run` to print.
class SimulationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Progress: accesses completed so far (all cores) and the total expected (0 if unknown). Called
// from the simulation at most every ~0.1 s of host time.
using ProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

// The generator configuration of core `core`'s stream of `c` (thread `core` of c.cores).
workloads::WorkloadConfig workload_config(const RunConfig& c, unsigned core);

// Throws SimulationError for bad configurations. With config.check, a mismatch against the golden
// model does not throw: it is counted (CoreStats::mismatches) and the first one is reported in
// `first_mismatch`. Likewise with --walker cosim, a lockstep mismatch between the cycle-level
// walker and the RTL stops the run without throwing: it is counted (cosim_mismatches) and its
// report returned in `first_mismatch`.
RunStats simulate(const RunConfig& config, const ProgressFn& progress = {},
                  std::string* first_mismatch = nullptr);

}  // namespace mmuvp::tb
