// make_workload / make_trace_workload.
#include "workloads/factory.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>

#include "workloads/cg.h"
#include "workloads/graph.h"
#include "workloads/gups.h"
#include "workloads/kv.h"
#include "workloads/stream.h"

namespace mmuvp::workloads {

const std::vector<std::string>& workload_names() {
  static const std::vector<std::string> kNames = {"gups", "graph", "kv", "cg", "stream"};
  return kNames;
}

std::unique_ptr<Workload> make_workload(std::string_view name, const WorkloadConfig& cfg) {
  if (name == "gups") return std::make_unique<GupsWorkload>(cfg);
  if (name == "graph") return std::make_unique<GraphWorkload>(cfg);
  if (name == "kv") return std::make_unique<KvWorkload>(cfg);
  if (name == "cg") return std::make_unique<CgWorkload>(cfg);
  if (name == "stream") return std::make_unique<StreamWorkload>(cfg);
  throw std::invalid_argument(
      fmt::format("unknown workload '{}' (valid: {})", name, fmt::join(workload_names(), ", ")));
}

std::unique_ptr<Workload> make_trace_workload(const std::string& path, const TraceOptions& options,
                                              const ScanLimits& limits) {
  return std::make_unique<TraceWorkload>(path, options, limits);
}

}  // namespace mmuvp::workloads
