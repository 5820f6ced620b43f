// mmuvp_cosim_coverage: the `mmuvp cosim` regression - same options, same run, same output
// (tb/cosim_cli.h) - over the coverage-instrumented RTL walker (mmuvp_rtl_walker_cov), for
// scripts/rtl-coverage.sh and the test rtl_coverage_reach. With --coverage FILE it writes the
// Verilator coverage of every lane's RTL model, merged, into FILE, reads it back and prints which
// states of the walk FSM, fault kinds and other cover points were reached (tb/rtl_reach.h).
//
// Exit status: 0; 1 after a mismatch, or with --coverage when a state, a fault kind or a cover
// point was not reached; 2 for bad input (one line on stderr, as `mmuvp`).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "tb/commands.h"
#include "tb/cosim_cli.h"
#include "tb/coverage_data.h"
#include "tb/rtl_reach.h"

namespace {

using mmuvp::tb::kExitFailure;
using mmuvp::tb::kExitOk;
using mmuvp::tb::kExitUsage;

constexpr const char* kName = "mmuvp_cosim_coverage";

int fail(const std::string& what, int code) {
  std::fflush(stdout);
  std::fputs(fmt::format("{}: error: {}\n", kName, what).c_str(), stderr);
  return code;
}

// The reach report of the coverage file; true if everything was reached.
bool report_reach(const std::string& path, const mmuvp::tb::CosimResult& r) {
  mmuvp::tb::CoverageData data;
  data.merge_file(path);
  std::array<std::uint64_t, 6> faults{};
  for (const mmuvp::tb::CosimLane& l : r.lanes)
    for (std::size_t k = 0; k < faults.size(); ++k) faults[k] += l.faults[k];
  const mmuvp::tb::RtlReach reach = mmuvp::tb::rtl_reach(data, faults);
  fmt::print("\ncoverage: {} ({} points)\n\n{}", path, data.points().size(), reach.table());
  const bool ok = reach.all_reached();
  fmt::print("\n{}\n", ok ? "every state, fault kind and cover point reached"
                          : "NOT every state, fault kind and cover point reached");
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
  CLI::App app{"The `mmuvp cosim` regression over the coverage-instrumented RTL walker: the "
               "cycle-level SystemC walker and the RTL walker in lockstep, and the RTL's "
               "Verilator coverage (--coverage).",
               kName};
  mmuvp::tb::CosimOptions options;
  std::string coverage;
  mmuvp::tb::add_cosim_options(app, options);
  app.add_option("--coverage", coverage,
                 "Write the RTL's Verilator coverage (every mode's model merged) to this file "
                 "and check that every FSM state, fault kind and cover point was reached");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    return fail(e.what(), kExitUsage);
  }
  try {
    mmuvp::tb::CosimConfig config = mmuvp::tb::cosim_config(options);
    config.coverage = coverage;
    const mmuvp::tb::CosimResult r = mmuvp::tb::run_and_print_cosim(config);
    const bool reached = coverage.empty() || report_reach(coverage, r);
    return r.mismatches == 0 && reached ? kExitOk : kExitFailure;
  } catch (const mmuvp::tb::CommandError& e) {
    return fail(e.what(), kExitUsage);
  } catch (const std::exception& e) {
    return fail(e.what(), kExitFailure);
  }
}
