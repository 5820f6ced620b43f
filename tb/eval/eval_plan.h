// The plan of `mmuvp eval` (SPEC §8): which configurations (mode and page sizes) run each workload,
// and the `mmuvp run` command line of each run. The evaluation runs every plan entry as a child
// process of the same executable (SystemC elaborates once per process), so a run is fully
// described by its arguments.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "arch/address.h"
#include "arch/mode.h"
#include "sw-stub/guest_os.h"
#include "tb/run_config.h"

namespace mmuvp::tb::eval {

// One configuration: a bar of every workload's group in the overhead plot.
struct EvalConfig {
  std::string name;   // the --configs spelling: "native-4k", "nested-2m", "dual-direct", ...
  std::string label;  // the plot's legend, as the paper's Figure 11: "4K", "2M+2M", "DD", ...
  arch::Mode mode = arch::Mode::kNative;
  stub::PagePolicy guest_pages = stub::PagePolicy::k4K;
  arch::PageSize host_pages = arch::PageSize::k4K;
  bool shadow_paging = false;   // the VM on shadow page tables (RunConfig::shadow_paging)
  bool dynamic_paging = false;  // switching between nested and shadow (RunConfig::dynamic_paging)
};

// The `mmuvp run --mode` of a configuration: its hardware mode, "shadow" or "dynamic".
std::string run_mode_name(const EvalConfig& c);

// The evaluation's configurations, in the plot's order: native 4K, 2M, 1G; nested 4K+4K, 2M+2M,
// 1G+1G; nested with THP guest pages on 2M host pages; native direct segment; dual direct, VMM
// direct and guest direct (4K guest and host pages, as the paper's direct-mode bars).
const std::vector<EvalConfig>& standard_configs();
// Configurations beyond the paper's, chosen by name only (not in "all"): the nested 4K+4K VM on
// shadow page tables ("shadow-4k", SPT), with dynamic switching ("dynamic-4k", DYN), and over a
// flat EPT ("flat-nested-4k", FN). The paper's linear model does not cover them.
const std::vector<EvalConfig>& extra_configs();

// "all" (the standard configurations), or a comma-separated list of configuration names, standard
// or extra (kept in the standard order, then the extras, duplicates dropped). Throws
// std::invalid_argument "unknown configuration 'x' (valid: ...)" or for an empty list.
std::vector<EvalConfig> select_configs(std::string_view list);

// A workload of the evaluation: a generator (trace empty) or a lackey trace file.
struct EvalWorkload {
  std::string name;   // generator name, or the trace file's stem (made unique in the plan)
  std::string trace;  // path of the trace; empty for a generator
};

// "all" (the five generators), "none" (traces only), or a comma list of generator names, followed
// by one entry per trace file. Trace names are the files' stems, suffixed "-2", "-3"... where two
// would collide with each other or with a generator. Throws std::invalid_argument for an unknown
// generator or an empty result.
std::vector<EvalWorkload> select_workloads(std::string_view list,
                                           const std::vector<std::string>& traces = {});

// The default evaluation (the README's demo): every run simulates kDefaultAccesses accesses over a
// kDefaultFootprint heap, far beyond the TLBs' reach (4 GiB is 2^20 4 KiB pages against 576 TLB
// entries) and long enough that the miss rates have settled: doubling the accesses moves no
// overhead of the default set by more than one percentage point (docs/evaluation.md). The
// platform allocates only page tables, so the footprint costs no host memory.
constexpr std::uint64_t kDefaultAccesses = 8'000'000;
constexpr std::uint64_t kDefaultFootprint = 4ull << 30;
// Accesses of each walk-structure run (cacheless_plan): enough for thousands of walks per mode.
constexpr std::uint64_t kCachelessAccesses = 200'000;

// What every run of the evaluation shares.
struct EvalOptions {
  std::uint64_t accesses = kDefaultAccesses;
  std::uint64_t footprint = kDefaultFootprint;
  std::uint64_t seed = 1;
  WalkerKind walker = WalkerKind::kTlm;
  unsigned cores = 1;
};

// One run of the plan.
struct EvalRun {
  std::string id;  // unique file stem: "gups.native-4k", "escape.dual-direct.16"
  EvalWorkload workload;
  EvalConfig config;
  unsigned escaped_frames = 0;
  std::string wave;  // waveform file; forces the cycle-level walker
  std::uint64_t accesses = 0;  // 0: EvalOptions::accesses
  bool no_pwc = false;         // paging-structure caches and nested TLB off (--no-pwc)
};

// Every workload under every configuration, workload-major (the plot's group order).
std::vector<EvalRun> expand_plan(const std::vector<EvalWorkload>& workloads,
                                 const std::vector<EvalConfig>& configs);

// The escape-filter experiment: gups under `mode` (dual-direct or vmm-direct) with each count of
// escaped host frames in `frames`. Throws std::invalid_argument for a mode without a VMM segment.
std::vector<EvalRun> escape_plan(arch::Mode mode, const std::vector<unsigned>& frames);
const std::vector<unsigned>& default_escape_frames();  // 0, 4, 16, 64

// The walk-structure check: gups under native 4K, nested 4K+4K and the four segment modes with the
// paging-structure caches and the nested TLB off, `accesses` each, so the references per walk are
// the architecture's own (the paper's "up to 4" native and "up to 24" nested references).
std::vector<EvalRun> cacheless_plan(std::uint64_t accesses);

// One short nested 4K+4K gups run of the cycle-level walker writing the waveform `wave`.
EvalRun wave_run(const std::string& wave, std::uint64_t accesses);

// The arguments of `mmuvp run` (without the program name) for `run`, writing its JSON to
// `json_path`.
std::vector<std::string> run_arguments(const EvalRun& run, const EvalOptions& options,
                                       const std::string& json_path);

}  // namespace mmuvp::tb::eval
