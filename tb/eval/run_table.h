// The human-readable report of one simulation (`mmuvp run` on a terminal): what ran, then every
// counter of RunStats with the ratios a reader wants next to it, and a per-core table when the
// run had more than one core.
#pragma once
#include <string>

#include "tb/run_config.h"

namespace mmuvp::tb::eval {

std::string run_table(const RunStats& stats);

}  // namespace mmuvp::tb::eval
