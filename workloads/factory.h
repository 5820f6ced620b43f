// Workloads by name: what `mmuvp run --workload NAME` / `--trace FILE` builds.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "workloads/access.h"
#include "workloads/config.h"
#include "workloads/lackey.h"

namespace mmuvp::workloads {

// The generator names, in a stable order: gups, graph, kv, cg, stream.
const std::vector<std::string>& workload_names();

// Throws std::invalid_argument "unknown workload 'x' (valid: gups, graph, kv, cg, stream)" for an
// unknown name, and the generator's own std::invalid_argument for a bad configuration.
std::unique_ptr<Workload> make_workload(std::string_view name, const WorkloadConfig& cfg);

// A lackey trace; throws TraceError if the file cannot be opened.
std::unique_ptr<Workload> make_trace_workload(const std::string& path,
                                              const TraceOptions& options = {},
                                              const ScanLimits& limits = {});

}  // namespace mmuvp::workloads
