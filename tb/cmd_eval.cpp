// `mmuvp eval` (SPEC §8, §9): the paper's evaluation. Every workload runs under every selected
// configuration as a child `mmuvp run --json` process of this same executable (SystemC elaborates
// once per process), --jobs at a time; a failed run is reported and the others go on. By default
// it also runs the escape-filter experiment, the walk-structure check (references per walk with the
// walk caches off) and one short nested run of the cycle-level walker for a waveform. The output
// folder receives results.json, results.csv, table.txt, overhead.svg (the seed's Figure 11),
// escape.csv, the waveform, and runs/ with each child's JSON and log.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tb/commands.h"
#include "tb/eval/eval_plan.h"
#include "tb/eval/eval_results.h"
#include "tb/eval/job_pool.h"
#include "tb/eval/svg_plot.h"
#include "tb/run_json.h"

namespace mmuvp::tb {
namespace {

namespace fs = std::filesystem;
using eval::EvalRun;
using eval::RunOutcome;

constexpr const char* kSelf = "/proc/self/exe";

struct EvalFlags {
  std::string workloads = "all";
  std::vector<std::string> traces;
  std::string configs = "all";
  std::string accesses = std::to_string(eval::kDefaultAccesses);
  std::string footprint = format_size(eval::kDefaultFootprint);
  std::string seed = "1";
  std::string jobs;
  std::string out;
  std::string walker = "tlm";
  std::string cores = "1";
  bool escape = true;
  std::string escape_mode = "dual-direct";
  bool cacheless = true;
  std::string wave_nested = "nested-walk.vcd";
  bool no_wave = false;
  std::string wave_accesses = "2000";
};

// mmuvp-eval-YYYYmmdd-HHMMSS in the current directory, suffixed -2, -3... if it exists.
fs::path default_out_dir() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  const std::string base = fmt::format("mmuvp-eval-{}", stamp);
  fs::path dir = base;
  for (unsigned i = 2; fs::exists(dir); ++i) dir = fmt::format("{}-{}", base, i);
  return dir;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out || !out.write(text.data(), static_cast<std::streamsize>(text.size())) || !out.flush()) {
    throw CommandError(fmt::format("cannot write '{}'", path.string()));
  }
}

// The last non-empty line of a child's log: its one-line error.
std::string last_line(const fs::path& log) {
  std::ifstream in(log);
  std::string line, last;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  }
  if (!last.empty() && last.back() == '\r') last.pop_back();
  return last;
}

// What a finished child left: its statistics, or why it failed.
RunOutcome collect(const EvalRun& run, const eval::JobResult& r, const fs::path& json,
                   const fs::path& log) {
  RunOutcome o;
  o.run = run;
  o.host_seconds = r.seconds;
  if (!r.start_error.empty()) {
    o.error = r.start_error;
    return o;
  }
  if (!r.ok()) {
    const std::string why = last_line(log);
    o.error = r.signal != 0 ? fmt::format("killed by signal {}{}", r.signal,
                                          why.empty() ? "" : "; last output: " + why)
                            : fmt::format("exit status {}: {}", r.exit_code,
                                          why.empty() ? "(no output)" : why);
    return o;
  }
  try {
    std::ifstream in(json);
    if (!in) throw JsonError("no JSON file");
    o.stats = stats_from_json(Json::parse(in));
    o.ok = true;
  } catch (const std::exception& e) {
    o.error = fmt::format("unreadable result {}: {}", json.filename().string(), e.what());
  }
  return o;
}

Json options_json(const eval::EvalOptions& opt, unsigned jobs, const fs::path& out) {
  Json j = Json::object();
  j["accesses"] = opt.accesses;
  j["footprint"] = opt.footprint;
  j["seed"] = opt.seed;
  j["walker"] = std::string(to_string(opt.walker));
  j["cores"] = opt.cores;
  j["jobs"] = jobs;
  j["out"] = out.string();
  return j;
}

void run_eval(const EvalFlags& flags) {
  eval::EvalOptions opt;
  opt.accesses = parse_u64(flags.accesses, "--accesses");
  if (opt.accesses == 0) throw CommandError("--accesses must be at least 1");
  const auto footprint = parse_size(flags.footprint);
  if (!footprint || *footprint == 0) {
    throw CommandError(fmt::format("--footprint: '{}' is not a size (bytes, or e.g. 4g, 512m, 1GiB)",
                                   flags.footprint));
  }
  opt.footprint = *footprint;
  opt.seed = parse_u64(flags.seed, "--seed");
  const auto walker = parse_walker(flags.walker);
  if (!walker) {
    throw CommandError(
        fmt::format("--walker: '{}' is not golden, tlm, cycle, rtl or cosim", flags.walker));
  }
  opt.walker = *walker;
  const std::uint64_t cores = parse_u64(flags.cores, "--cores");
  if (cores == 0 || cores > 64) throw CommandError("--cores must be in [1, 64]");
  opt.cores = static_cast<unsigned>(cores);
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  if (!flags.jobs.empty()) {
    const std::uint64_t j = parse_u64(flags.jobs, "--jobs");
    if (j == 0 || j > 1024) throw CommandError("--jobs must be in [1, 1024]");
    jobs = static_cast<unsigned>(j);
  }
  const std::uint64_t wave_accesses = parse_u64(flags.wave_accesses, "--wave-accesses");
  if (wave_accesses == 0) throw CommandError("--wave-accesses must be at least 1");
  for (const std::string& t : flags.traces) {
    if (!std::ifstream(t)) throw CommandError(fmt::format("--trace: cannot open '{}'", t));
  }

  std::vector<eval::EvalConfig> configs;
  std::vector<eval::EvalWorkload> workloads;
  std::vector<EvalRun> escape_runs;
  try {
    configs = eval::select_configs(flags.configs);
    workloads = eval::select_workloads(flags.workloads, flags.traces);
    if (flags.escape) {
      const auto mode = arch::parse_mode(flags.escape_mode);
      if (!mode) throw std::invalid_argument(fmt::format("unknown mode '{}'", flags.escape_mode));
      escape_runs = eval::escape_plan(*mode, eval::default_escape_frames());
    }
  } catch (const std::invalid_argument& e) {
    throw CommandError(e.what());
  }
  const std::vector<EvalRun> plan = eval::expand_plan(workloads, configs);
  const std::vector<EvalRun> cacheless_runs =
      flags.cacheless ? eval::cacheless_plan(std::min(opt.accesses, eval::kCachelessAccesses))
                      : std::vector<EvalRun>{};
  const bool wave = !flags.no_wave && !flags.wave_nested.empty();

  const fs::path out = flags.out.empty() ? default_out_dir() : fs::path(flags.out);
  const fs::path runs_dir = out / "runs";
  std::error_code ec;
  fs::create_directories(runs_dir, ec);
  if (ec) {
    throw CommandError(
        fmt::format("--out: cannot create '{}': {}", out.string(), ec.message()));
  }
  const fs::path wave_path = fs::path(flags.wave_nested).is_absolute()
                                 ? fs::path(flags.wave_nested)
                                 : out / flags.wave_nested;

  // Everything to run: the waveform run first (the longest: the cycle-level walker), then the
  // plan, the escape experiment and the walk-structure check. Each section is a range of `all`.
  std::vector<EvalRun> all;
  if (wave) all.push_back(eval::wave_run(wave_path.string(), wave_accesses));
  const std::size_t plan_at = all.size();
  all.insert(all.end(), plan.begin(), plan.end());
  const std::size_t escape_at = all.size();
  all.insert(all.end(), escape_runs.begin(), escape_runs.end());
  const std::size_t cacheless_at = all.size();
  all.insert(all.end(), cacheless_runs.begin(), cacheless_runs.end());
  std::vector<eval::Job> job_list;
  for (const EvalRun& r : all) {
    job_list.push_back({eval::run_arguments(r, opt, (runs_dir / (r.id + ".json")).string()),
                        (runs_dir / (r.id + ".log")).string()});
  }

  fmt::print(stderr,
             "mmuvp eval: {} runs ({} workloads x {} configurations{}{}{}), {} accesses each over "
             "{}, {} at a time, into {}\n",
             all.size(), workloads.size(), configs.size(),
             escape_runs.empty() ? "" : fmt::format(", {} escape-filter runs", escape_runs.size()),
             cacheless_runs.empty()
                 ? ""
                 : fmt::format(", {} walk-structure runs", cacheless_runs.size()),
             wave ? ", 1 waveform run" : "", opt.accesses, format_size(opt.footprint), jobs,
             out.string());
  std::vector<RunOutcome> outcomes(all.size());
  std::size_t done = 0, failed = 0;
  eval::run_jobs(kSelf, job_list, jobs, [&](std::size_t i, const eval::JobResult& r) {
    const EvalRun& run = all[i];
    outcomes[i] = collect(run, r, runs_dir / (run.id + ".json"), runs_dir / (run.id + ".log"));
    ++done;
    const RunOutcome& o = outcomes[i];
    if (o.ok) {
      fmt::print(stderr, "[{}/{}] ok     {:<28} overhead {:6.2f}%  {:.1f}s\n", done, all.size(),
                 run.id, 100 * o.stats.translation_overhead, r.seconds);
    } else {
      ++failed;
      fmt::print(stderr, "[{}/{}] FAILED {:<28} {}\n", done, all.size(), run.id, o.error);
    }
  });

  const auto section = [&](std::size_t from, std::size_t to) {
    return std::vector<RunOutcome>(outcomes.begin() + static_cast<std::ptrdiff_t>(from),
                                   outcomes.begin() + static_cast<std::ptrdiff_t>(to));
  };
  std::vector<RunOutcome> main_runs = section(plan_at, escape_at);
  const std::vector<RunOutcome> escape_outcomes = section(escape_at, cacheless_at);
  const std::vector<RunOutcome> cacheless_outcomes = section(cacheless_at, all.size());
  eval::attach_models(main_runs);

  const auto to_json = [](const std::vector<RunOutcome>& runs) {
    Json a = Json::array();
    for (const RunOutcome& o : runs) a.push_back(eval::outcome_json(o));
    return a;
  };
  Json results = Json::object();
  results["options"] = options_json(opt, jobs, out);
  results["runs"] = to_json(main_runs);
  if (!escape_outcomes.empty()) results["escape_experiment"] = to_json(escape_outcomes);
  if (!cacheless_outcomes.empty()) results["walk_structure"] = to_json(cacheless_outcomes);
  if (wave) results["wave"] = eval::outcome_json(outcomes.front());
  write_file(out / "results.json", results.dump(2) + "\n");
  write_file(out / "results.csv", eval::results_csv(main_runs));
  std::string table = fmt::format("mmuvp eval: {} accesses per run over a {} footprint, seed {}, "
                                  "{} walker, {} core(s) per run\n\n",
                                  opt.accesses, format_size(opt.footprint), opt.seed,
                                  to_string(opt.walker), opt.cores);
  table += eval::results_table(main_runs);
  if (!escape_outcomes.empty()) {
    write_file(out / "escape.csv", eval::results_csv(escape_outcomes));
    table += "\nEscape filter experiment (gups, escaped host frames inside the VMM segment):\n" +
             eval::escape_table(escape_outcomes);
  }
  if (!cacheless_outcomes.empty()) {
    table += fmt::format(
        "\nWalk structure (gups, {} accesses, paging-structure caches and nested TLB off; the "
        "paper: up to 4 references native, 24 nested):\n",
        cacheless_runs.front().accesses);
    table += eval::cacheless_table(cacheless_outcomes);
  }
  if (wave) {
    const RunOutcome& w = outcomes.front();
    table += w.ok ? fmt::format("\nWaveform of nested walks (cycle-level walker, {} accesses): "
                                "{}\n",
                                w.run.accesses, w.run.wave)
                  : fmt::format("\nWaveform run FAILED: {}\n", w.error);
  }
  write_file(out / "table.txt", table);
  write_file(out / "overhead.svg",
             eval::render_svg(eval::overhead_chart(main_runs, workloads, configs)));

  fmt::print("{}", table);
  const fs::path where = fs::absolute(out, ec);
  const fs::path shown = ec ? out : where;
  fmt::print("\n{} runs, {} failed. In {}/:\n", all.size(), failed, shown.string());
  fmt::print("  table     {}\n", (shown / "table.txt").string());
  fmt::print("  plot      {}\n", (shown / "overhead.svg").string());
  if (wave && outcomes.front().ok) {
    fmt::print("  waveform  {}\n", fs::absolute(wave_path, ec).string());
  }
  fmt::print("  data      {}, results.json{}, runs/ (every run's JSON and log)\n",
             (shown / "results.csv").string(), escape_outcomes.empty() ? "" : ", escape.csv");
  std::fflush(stdout);
  if (failed != 0) throw CLI::RuntimeError(kExitFailure);
}

}  // namespace

void register_eval(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "eval", "The paper's evaluation: every workload under every configuration (child runs in "
              "parallel), with the table, CSV/JSON, the overhead plot (SVG) and the linear model");
  auto f = std::make_shared<EvalFlags>();
  cmd->add_option("--workloads", f->workloads,
                  "all, none, or a comma list of gups,graph,kv,cg,stream")
      ->capture_default_str();
  cmd->add_option("--trace", f->traces, "A lackey trace file as one more workload (repeatable)");
  cmd->add_option("--configs", f->configs,
                  "all, or a comma list of native-4k,native-2m,native-1g,nested-4k,nested-2m,"
                  "nested-1g,nested-thp,native-ds,dual-direct,vmm-direct,guest-direct and the "
                  "extras (not in all) shadow-4k,dynamic-4k,flat-nested-4k")
      ->capture_default_str();
  cmd->add_option("--accesses", f->accesses, "Accesses per run")->capture_default_str();
  cmd->add_option("--footprint", f->footprint, "Heap footprint per run (4g, 512m, 1GiB, bytes)")
      ->capture_default_str();
  cmd->add_option("--seed", f->seed, "Workload seed")->capture_default_str();
  cmd->add_option("--jobs", f->jobs, "Runs in parallel (default: number of cores)");
  cmd->add_option("--out", f->out, "Output folder (default: a new mmuvp-eval-YYYYmmdd-HHMMSS)");
  cmd->add_option("--walker", f->walker, "Walker of every run: golden|tlm|cycle|rtl|cosim")
      ->capture_default_str();
  cmd->add_option("--cores", f->cores, "Cores per run")->capture_default_str();
  cmd->add_flag("--escape-experiment,!--no-escape-experiment", f->escape,
                "Also run gups with 0, 4, 16, 64 escaped frames and report the filter's "
                "false-positive rate (default: on)");
  cmd->add_flag("--walk-structure,!--no-walk-structure", f->cacheless,
                "Also run gups in native 4K, nested 4K+4K and the segment modes with the walk "
                "caches off, for the references per walk (default: on)");
  cmd->add_option("--escape-mode", f->escape_mode, "Mode of the escape experiment")
      ->capture_default_str();
  cmd->add_option("--wave-nested", f->wave_nested,
                  "Waveform (VCD) of a short nested 4K+4K run of the cycle-level walker "
                  "(relative: inside the output folder)")
      ->capture_default_str();
  cmd->add_flag("--no-wave", f->no_wave, "Do not write the nested waveform");
  cmd->add_option("--wave-accesses", f->wave_accesses, "Accesses of the waveform run")
      ->capture_default_str();
  cmd->callback([f] { run_eval(*f); });
}

}  // namespace mmuvp::tb
