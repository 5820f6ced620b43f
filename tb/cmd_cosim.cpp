// `mmuvp cosim`: the cycle-level SystemC walker and the Verilated RTL walker in lockstep on
// stub-built address spaces (tb/cosim.h). Prints one line per mode and the mismatch count; exit 0
// only with zero mismatches (SPEC §9). The first mismatch stops the run with its report. The
// options, the run and the table are tb/cosim_cli.h's (shared with the coverage build).
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <memory>

#include "tb/commands.h"
#include "tb/cosim_cli.h"

namespace mmuvp::tb {

void register_cosim(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "cosim", "Run the cycle-level SystemC walker and the RTL walker in lockstep on stub-built "
               "address spaces and compare every response, reference and response cycle");
  auto o = std::make_shared<CosimOptions>();
  add_cosim_options(*cmd, *o);
  cmd->callback([o] {
    setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
    const CosimResult r = run_and_print_cosim(cosim_config(*o));
    if (r.mismatches != 0) throw CLI::RuntimeError(kExitFailure);
  });
}

}  // namespace mmuvp::tb
