// The command line of the co-simulation (tb/cosim.h), shared by `mmuvp cosim` (tb/cmd_cosim.cpp)
// and its coverage build, mmuvp_cosim_coverage (tb/cosim_coverage_main.cpp): the options, their
// checks, the run and the printed table. Errors follow tb/commands.h: CommandError for bad input.
#pragma once
#include <string>

#include "tb/cosim.h"

namespace CLI {
class App;
}

namespace mmuvp::tb {

// The options as typed (numbers are parsed by cosim_config, so that errors name the flag).
struct CosimOptions {
  std::string mode = "all";
  std::string translations = "10000";
  std::string seed = "1";
  std::string wave;
  std::string stall = "15";
  std::string latency = "8";
};

// Adds --mode, --translations, --seed, --wave, --stall-percent and --extra-latency to `cmd`,
// writing into `o` (which must outlive the parse).
void add_cosim_options(CLI::App& cmd, CosimOptions& o);

// The configuration the options describe. Throws CommandError naming the flag.
CosimConfig cosim_config(const CosimOptions& o);

// Runs the co-simulation and prints one line per mode, the totals, the mismatch count and, after
// a mismatch, its report. Throws CommandError for a configuration the run refuses.
CosimResult run_and_print_cosim(const CosimConfig& config);

}  // namespace mmuvp::tb
