// The evaluation plan (see eval_plan.h).
#include "tb/eval/eval_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "tb/run_json.h"
#include "workloads/factory.h"

namespace mmuvp::tb::eval {
namespace {

using arch::Mode;
using arch::PageSize;
using stub::PagePolicy;

std::vector<std::string> split_list(std::string_view list) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    std::string item(list.substr(start, comma - start));
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) items.push_back(item);
    start = comma + 1;
  }
  return items;
}

// The standard configurations, then the extras: the order of every selection.
std::vector<EvalConfig> known_configs() {
  std::vector<EvalConfig> all = standard_configs();
  all.insert(all.end(), extra_configs().begin(), extra_configs().end());
  return all;
}

std::string config_names() {
  std::string names;
  for (const EvalConfig& c : known_configs()) names += (names.empty() ? "" : ", ") + c.name;
  return names;
}

const EvalConfig& config_named(std::string_view name) {
  for (const auto* list : {&standard_configs(), &extra_configs()}) {
    for (const EvalConfig& c : *list) {
      if (c.name == name) return c;
    }
  }
  throw std::invalid_argument(
      fmt::format("unknown configuration '{}' (valid: all, {})", name, config_names()));
}

}  // namespace

const std::vector<EvalConfig>& standard_configs() {
  static const std::vector<EvalConfig> kConfigs{
      {"native-4k", "4K", Mode::kNative, PagePolicy::k4K, PageSize::k4K},
      {"native-2m", "2M", Mode::kNative, PagePolicy::k2M, PageSize::k4K},
      {"native-1g", "1G", Mode::kNative, PagePolicy::k1G, PageSize::k4K},
      {"nested-4k", "4K+4K", Mode::kNested, PagePolicy::k4K, PageSize::k4K},
      {"nested-2m", "2M+2M", Mode::kNested, PagePolicy::k2M, PageSize::k2M},
      {"nested-1g", "1G+1G", Mode::kNested, PagePolicy::k1G, PageSize::k1G},
      {"nested-thp", "THP+2M", Mode::kNested, PagePolicy::kThp, PageSize::k2M},
      {"native-ds", "DS", Mode::kNativeDs, PagePolicy::k4K, PageSize::k4K},
      {"dual-direct", "DD", Mode::kDualDirect, PagePolicy::k4K, PageSize::k4K},
      {"vmm-direct", "VD", Mode::kVmmDirect, PagePolicy::k4K, PageSize::k4K},
      {"guest-direct", "GD", Mode::kGuestDirect, PagePolicy::k4K, PageSize::k4K},
  };
  return kConfigs;
}

const std::vector<EvalConfig>& extra_configs() {
  static const std::vector<EvalConfig> kExtras{
      {"shadow-4k", "SPT", Mode::kNested, PagePolicy::k4K, PageSize::k4K, true, false},
      {"dynamic-4k", "DYN", Mode::kNested, PagePolicy::k4K, PageSize::k4K, false, true},
      {"flat-nested-4k", "FN", Mode::kFlatNested, PagePolicy::k4K, PageSize::k4K},
  };
  return kExtras;
}

std::string run_mode_name(const EvalConfig& c) {
  return tb::run_mode_name(c.mode, c.shadow_paging, c.dynamic_paging);
}

std::vector<EvalConfig> select_configs(std::string_view list) {
  const std::vector<std::string> names = split_list(list);
  if (names.size() == 1 && names[0] == "all") return standard_configs();
  if (names.empty()) throw std::invalid_argument("no configuration selected");
  std::set<std::string> wanted;
  for (const std::string& n : names) wanted.insert(config_named(n).name);
  std::vector<EvalConfig> out;
  for (const EvalConfig& c : known_configs()) {
    if (wanted.count(c.name) != 0) out.push_back(c);
  }
  return out;
}

std::vector<EvalWorkload> select_workloads(std::string_view list,
                                           const std::vector<std::string>& traces) {
  const std::vector<std::string>& generators = workloads::workload_names();
  std::vector<std::string> names = split_list(list);
  if (names.size() == 1 && names[0] == "all") names = generators;
  if (names.size() == 1 && names[0] == "none") names.clear();

  std::vector<EvalWorkload> out;
  std::set<std::string> used;
  for (const std::string& n : names) {
    if (std::find(generators.begin(), generators.end(), n) == generators.end()) {
      throw std::invalid_argument(fmt::format("unknown workload '{}' (valid: all, none, {})", n,
                                              fmt::join(generators, ", ")));
    }
    if (used.insert(n).second) out.push_back({n, ""});
  }
  for (const std::string& path : traces) {
    std::string stem = std::filesystem::path(path).stem().string();
    if (stem.empty()) stem = "trace";
    std::string name = stem;
    for (unsigned i = 2; used.count(name) != 0; ++i) name = fmt::format("{}-{}", stem, i);
    used.insert(name);
    out.push_back({name, path});
  }
  if (out.empty()) throw std::invalid_argument("no workload selected");
  return out;
}

std::vector<EvalRun> expand_plan(const std::vector<EvalWorkload>& workloads,
                                 const std::vector<EvalConfig>& configs) {
  std::vector<EvalRun> runs;
  runs.reserve(workloads.size() * configs.size());
  for (const EvalWorkload& w : workloads) {
    for (const EvalConfig& c : configs) {
      EvalRun r;
      r.id = fmt::format("{}.{}", w.name, c.name);
      r.workload = w;
      r.config = c;
      runs.push_back(std::move(r));
    }
  }
  return runs;
}

const std::vector<unsigned>& default_escape_frames() {
  static const std::vector<unsigned> kFrames{0, 4, 16, 64};
  return kFrames;
}

std::vector<EvalRun> escape_plan(Mode mode, const std::vector<unsigned>& frames) {
  if (!arch::uses_vmm_segment(mode)) {
    throw std::invalid_argument(fmt::format(
        "the escape experiment needs a VMM segment (dual-direct or vmm-direct), not {}",
        arch::to_string(mode)));
  }
  const std::string mode_name(arch::to_string(mode));
  const EvalConfig& base = config_named(mode_name);
  std::vector<EvalRun> runs;
  for (unsigned n : frames) {
    EvalRun r;
    r.id = fmt::format("escape.{}.{}", mode_name, n);
    r.workload = {"gups", ""};
    r.config = base;
    r.escaped_frames = n;
    runs.push_back(std::move(r));
  }
  return runs;
}

std::vector<EvalRun> cacheless_plan(std::uint64_t accesses) {
  std::vector<EvalRun> runs;
  for (const char* name :
       {"native-4k", "nested-4k", "native-ds", "dual-direct", "vmm-direct", "guest-direct"}) {
    EvalRun r;
    r.id = fmt::format("nocache.{}", name);
    r.workload = {"gups", ""};
    r.config = config_named(name);
    r.accesses = accesses;
    r.no_pwc = true;
    runs.push_back(std::move(r));
  }
  return runs;
}

EvalRun wave_run(const std::string& wave, std::uint64_t accesses) {
  EvalRun r;
  r.id = "wave.nested-4k";
  r.workload = {"gups", ""};
  r.config = config_named("nested-4k");
  r.wave = wave;
  r.accesses = accesses;
  return r;
}

std::vector<std::string> run_arguments(const EvalRun& run, const EvalOptions& options,
                                       const std::string& json_path) {
  const EvalConfig& c = run.config;
  std::vector<std::string> a{"run", "--mode", run_mode_name(c)};
  if (run.workload.trace.empty()) {
    a.insert(a.end(), {"--workload", run.workload.name});
  } else {
    a.insert(a.end(), {"--trace", run.workload.trace});
  }
  const std::uint64_t accesses = run.accesses != 0 ? run.accesses : options.accesses;
  const WalkerKind walker = run.wave.empty() ? options.walker : WalkerKind::kCycle;
  a.insert(a.end(), {"--accesses", std::to_string(accesses),
                     "--footprint", format_size(options.footprint),
                     "--guest-pages", std::string(stub::to_string(c.guest_pages)),
                     "--host-pages", format_size(arch::page_bytes(c.host_pages)),
                     "--cores", std::to_string(options.cores),
                     "--seed", std::to_string(options.seed),
                     "--walker", std::string(to_string(walker))});
  if (run.escaped_frames != 0) {
    a.insert(a.end(), {"--escaped-frames", std::to_string(run.escaped_frames)});
  }
  if (run.no_pwc) a.push_back("--no-pwc");
  if (!run.wave.empty()) a.insert(a.end(), {"--wave", run.wave});
  a.insert(a.end(), {"--json", json_path});
  return a;
}

}  // namespace mmuvp::tb::eval
