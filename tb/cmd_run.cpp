// `mmuvp run` (SPEC §9): one simulation. The configuration is the defaults, then the --config
// JSON file, then every flag given on the command line; the run's counters are printed as a table
// and, with --json FILE (or - for stdout), as JSON (tb/run_json.h). With --walker cosim, a lockstep
// mismatch between the cycle-level and the RTL walker prints its report on stderr instead, and the
// command fails.
#include <fmt/format.h>
#include <unistd.h>

#include <systemc>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "tb/commands.h"
#include "tb/eval/run_table.h"
#include "tb/run_json.h"
#include "tb/simulation.h"
#include "workloads/factory.h"

namespace mmuvp::tb {
namespace {

struct RunOptions {
  std::string config_file, mode, workload, trace, accesses, footprint, guest_pages, host_pages;
  std::string cores, processes, switch_interval, walker, seed, wave, json, walk_slots,
      escaped_frames;
  bool no_pwc = false, no_dmi = false, check = false, no_ad = false, no_preset_ad = false,
       demand_paging = false, private_in_heap = false;
};

struct RunFlags {  // the CLI11 options, to ask which were given
  CLI::Option *config_file, *mode, *workload, *trace, *accesses, *footprint, *guest_pages,
      *host_pages, *cores, *processes, *switch_interval, *walker, *seed, *wave, *walk_slots,
      *escaped_frames, *no_pwc, *no_dmi, *check, *no_ad, *no_preset_ad, *demand_paging,
      *private_in_heap;
};

bool given(const CLI::Option* o) { return o->count() > 0; }

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

template <typename T>
T parse_count(const std::string& text, std::string_view flag, std::uint64_t max) {
  const std::uint64_t v = parse_u64(text, flag);
  if (v > max) throw CommandError(fmt::format("{}: {} is above the maximum {}", flag, v, max));
  return static_cast<T>(v);
}

void load_config_file(const std::string& path, RunConfig& c) {
  std::ifstream in(path);
  if (!in) throw CommandError(fmt::format("--config: cannot open '{}'", path));
  Json j;
  try {
    j = Json::parse(in);
  } catch (const Json::parse_error& e) {
    throw CommandError(fmt::format("--config {}: not valid JSON: {}", path, one_line(e.what())));
  }
  try {
    apply_config_json(j, c);
  } catch (const JsonError& e) {
    throw CommandError(fmt::format("--config {}: {}", path, e.what()));
  }
}

RunConfig build_config(const RunOptions& o, const RunFlags& f) {
  RunConfig c;
  if (given(f.config_file)) load_config_file(o.config_file, c);
  if (given(f.mode)) {
    if (!set_run_mode(c, o.mode))
      throw CommandError(fmt::format("--mode: unknown mode '{}' (valid: {})", o.mode,
                                     kRunModeNames));
  }
  if (given(f.workload)) {
    const auto& names = workloads::workload_names();
    if (std::find(names.begin(), names.end(), o.workload) == names.end()) {
      throw CommandError(fmt::format("--workload: unknown workload '{}' (valid: {})", o.workload,
                                     fmt::join(names, ", ")));
    }
    c.workload = o.workload;
    c.trace.clear();
  }
  if (given(f.trace)) {
    if (!std::ifstream(o.trace)) throw CommandError(fmt::format("--trace: cannot open '{}'", o.trace));
    c.trace = o.trace;
  }
  if (given(f.accesses)) c.accesses = parse_u64(o.accesses, "--accesses");
  if (given(f.footprint)) {
    const auto bytes = parse_size(o.footprint);
    if (!bytes) {
      throw CommandError(fmt::format(
          "--footprint: '{}' is not a size (bytes, or e.g. 4g, 512m, 1GiB)", o.footprint));
    }
    c.footprint = *bytes;
  }
  if (given(f.guest_pages)) {
    const auto g = stub::parse_page_policy(o.guest_pages);
    if (!g) throw CommandError(fmt::format("--guest-pages: '{}' is not 4k, 2m, 1g or thp", o.guest_pages));
    c.guest_pages = *g;
  }
  if (given(f.host_pages)) {
    const auto h = arch::parse_page_size(o.host_pages);
    if (!h) throw CommandError(fmt::format("--host-pages: '{}' is not 4k, 2m or 1g", o.host_pages));
    c.host_pages = *h;
  }
  if (given(f.cores)) c.cores = parse_count<unsigned>(o.cores, "--cores", 1u << 16);
  if (given(f.processes)) c.processes = parse_count<unsigned>(o.processes, "--processes", 1u << 16);
  if (given(f.switch_interval)) c.switch_interval = parse_u64(o.switch_interval, "--switch-interval");
  if (given(f.walker)) {
    const auto w = parse_walker(o.walker);
    if (!w) {
      throw CommandError(
          fmt::format("--walker: '{}' is not golden, tlm, cycle, rtl or cosim", o.walker));
    }
    c.walker = *w;
  }
  if (given(f.seed)) c.seed = parse_u64(o.seed, "--seed");
  if (given(f.wave)) c.wave = o.wave;
  if (given(f.walk_slots)) c.walk_slots = parse_count<unsigned>(o.walk_slots, "--walk-slots", 1024);
  if (given(f.escaped_frames)) {
    c.escaped_frames = parse_count<unsigned>(o.escaped_frames, "--escaped-frames", 1u << 20);
  }
  if (given(f.no_pwc)) c.pwc = false;
  if (given(f.no_dmi)) c.dmi = false;
  if (given(f.check)) c.check = true;
  if (given(f.no_ad)) c.ad_updates = false;
  if (given(f.no_preset_ad)) c.preset_ad = false;
  if (given(f.demand_paging)) c.demand_paging = true;
  if (given(f.private_in_heap)) c.private_in_heap = true;
  try {
    validate_config(c);
  } catch (const std::invalid_argument& e) {
    throw CommandError(e.what());
  }
  return c;
}

// "\r  running: 42% (420000 / 1000000 accesses)" on a terminal's stderr; nothing otherwise.
ProgressFn terminal_progress() {
  if (!::isatty(STDERR_FILENO)) return {};
  return [](std::uint64_t done, std::uint64_t total) {
    if (total == 0) {
      std::fprintf(stderr, "\r  running: %llu accesses", static_cast<unsigned long long>(done));
    } else {
      std::fprintf(stderr, "\r  running: %3.0f%% (%llu / %llu accesses)",
                   100.0 * static_cast<double>(done) / static_cast<double>(total),
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
    }
    std::fflush(stderr);
  };
}

void write_json(const std::string& target, const Json& j) {
  const std::string text = j.dump(2) + "\n";
  if (target == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return;
  }
  std::ofstream out(target, std::ios::binary | std::ios::trunc);
  if (!out || !out.write(text.data(), static_cast<std::streamsize>(text.size())) || !out.flush()) {
    throw CommandError(fmt::format("--json: cannot write '{}'", target));
  }
}

void run_command(const RunOptions& o, const RunFlags& f, bool json_given) {
  const RunConfig config = build_config(o, f);
  if (json_given && o.json != "-") {
    // Fail before a long simulation, not after it.
    std::ofstream probe(o.json, std::ios::app);
    if (!probe) throw CommandError(fmt::format("--json: cannot write '{}'", o.json));
  }
  // The kernel's "Simulation stopped by user." info goes to stdout, where it would break
  // `--json -`: the command line reports the run itself.
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  const ProgressFn progress = terminal_progress();
  std::string first_mismatch;
  RunStats stats;
  try {
    stats = simulate(config, progress, &first_mismatch);
  } catch (const SimulationError& e) {
    if (progress) std::fputs("\r\033[K", stderr);
    throw CommandError(one_line(e.what()));
  }
  if (progress) std::fputs("\r\033[K", stderr);

  if (stats.total.cosim_mismatches != 0) {  // the run stopped there: its counters are partial
    std::fprintf(stderr, "mmuvp run: --walker cosim: the RTL walker disagrees with the cycle-level "
                         "walker (%llu walks agreed before)\n%s",
                 static_cast<unsigned long long>(stats.total.cosim_compared),
                 first_mismatch.c_str());
    throw CLI::RuntimeError(kExitFailure);
  }
  const bool json_stdout = json_given && o.json == "-";
  if (!json_stdout) std::fputs(eval::run_table(stats).c_str(), stdout);
  if (!json_stdout && config.walker == WalkerKind::kCosim)
    std::fprintf(stdout, "  %-24s %15llu   RTL = cycle-level walker on every one\n",
                 "cosim compared walks",
                 static_cast<unsigned long long>(stats.total.cosim_compared));
  if (json_given) write_json(o.json, stats_to_json(stats));
  std::fflush(stdout);
  if (stats.total.mismatches != 0) {
    std::fprintf(stderr, "mmuvp run: %llu mismatches against the golden model; first: %s\n",
                 static_cast<unsigned long long>(stats.total.mismatches),
                 one_line(first_mismatch).c_str());
    throw CLI::RuntimeError(kExitFailure);
  }
}

}  // namespace

void register_run(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "run", "Run one simulation: a workload or a lackey trace through the MMU in one mode, "
             "printing its translation statistics (and JSON with --json)");
  auto o = std::make_shared<RunOptions>();
  auto f = std::make_shared<RunFlags>();
  f->config_file = cmd->add_option("--config", o->config_file,
                                   "JSON file of RunConfig fields (flags override it)");
  f->mode = cmd->add_option("--mode", o->mode,
                            "native|native-ds|nested|dual-direct|vmm-direct|guest-direct|"
                            "flat-nested|shadow|dynamic (flat-nested: nested over a flat EPT of "
                            "2 MiB nodes; shadow: the nested VM on VMM-built shadow tables; dynamic: "
                            "the VMM switching each process between the two; default native)");
  f->workload = cmd->add_option("--workload", o->workload,
                                "Generator: gups|graph|kv|cg|stream (default gups)");
  f->trace = cmd->add_option("--trace", o->trace, "Valgrind lackey trace file instead of a generator");
  f->workload->excludes(f->trace);
  f->accesses = cmd->add_option("--accesses", o->accesses, "Accesses to simulate (default 1000000)");
  f->footprint = cmd->add_option("--footprint", o->footprint,
                                 "Heap footprint: bytes or 4g, 512m, 1GiB... (default 1g)");
  f->guest_pages = cmd->add_option("--guest-pages", o->guest_pages, "4k|2m|1g|thp (default 4k)");
  f->host_pages = cmd->add_option("--host-pages", o->host_pages, "4k|2m|1g (default 4k)");
  f->cores = cmd->add_option("--cores", o->cores, "Cores (default 1)");
  f->processes = cmd->add_option("--processes", o->processes,
                                 "Guest processes (default: one per core)");
  f->switch_interval = cmd->add_option("--switch-interval", o->switch_interval,
                                       "Accesses per core between context switches (0: none)");
  f->walker = cmd->add_option(
      "--walker", o->walker,
      "golden|tlm|cycle|rtl|cosim (default tlm); cosim: the cycle-level walker with the RTL in "
      "lockstep, every walk compared, the first mismatch stops the run with a report");
  f->no_pwc = cmd->add_flag("--no-pwc", o->no_pwc,
                            "Disable the paging-structure caches and the nested TLB");
  f->no_dmi = cmd->add_flag(
      "--no-dmi", o->no_dmi,
      "Every core access a b_transport through the MMU and memory sockets (no direct path for "
      "L1 TLB hits); the same counts and timing, slower");
  f->seed = cmd->add_option("--seed", o->seed, "Workload seed (default 1)");
  f->wave = cmd->add_option("--wave", o->wave,
                            "Write a waveform of the walkers: VCD (tlm, cycle) or FST (rtl, "
                            "cosim: the RTL's)");
  CLI::Option* json = cmd->add_option("--json", o->json, "Write the statistics as JSON (- for stdout)");
  f->check = cmd->add_flag("--check", o->check,
                           "Cross-check every translation against the golden model");
  f->walk_slots = cmd->add_option("--walk-slots", o->walk_slots, "Walker slots (default 2)");
  f->escaped_frames = cmd->add_option("--escaped-frames", o->escaped_frames,
                                      "Bad host frames inside the VMM segment (escape filter)");
  f->no_ad = cmd->add_flag("--no-ad", o->no_ad, "The walker does not set accessed/dirty bits");
  f->no_preset_ad = cmd->add_flag(
      "--no-preset-ad", o->no_preset_ad,
      "Page-table entries start without accessed/dirty bits: the walker sets them during the run");
  f->demand_paging = cmd->add_flag(
      "--demand-paging", o->demand_paging,
      "Map non-primary regions on first touch (guest #PF) and back guest memory on EPT violations");
  f->private_in_heap = cmd->add_flag(
      "--private-in-heap", o->private_in_heap,
      "Thread stacks and per-thread buffers live in the heap: the segments cover every access");
  cmd->callback([o, f, json] { run_command(*o, *f, json->count() > 0); });
}

}  // namespace mmuvp::tb
