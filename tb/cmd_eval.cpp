// `mmuvp eval` (SPEC §8, §9): the paper's evaluation. Every workload runs under every selected
// configuration as a child `mmuvp run --json` process of this same executable (SystemC elaborates
// once per process), --jobs at a time; a failed run is reported and the others go on. The output
// folder receives results.json, results.csv, table.txt, overhead.svg (the seed's Figure 11),
// the escape-filter experiment (escape.csv) and the nested waveform when asked for, and runs/ with
// each child's JSON and log.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
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
  std::string accesses = "500000";
  std::string footprint = "1g";
  std::string seed = "1";
  std::string jobs;
  std::string out;
  std::string walker = "tlm";
  std::string cores = "1";
  bool escape = false;
  std::string escape_mode = "dual-direct";
  std::string wave_nested;
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

  const fs::path out = flags.out.empty() ? default_out_dir() : fs::path(flags.out);
  const fs::path runs_dir = out / "runs";
  std::error_code ec;
  fs::create_directories(runs_dir, ec);
  if (ec) throw CommandError(fmt::format("--out: cannot create '{}': {}", out.string(), ec.message()));

  // Everything to run: the plan, the escape experiment, the waveform run.
  std::vector<EvalRun> all = plan;
  all.insert(all.end(), escape_runs.begin(), escape_runs.end());
  if (!flags.wave_nested.empty()) {
    const fs::path wave = fs::path(flags.wave_nested).is_absolute()
                              ? fs::path(flags.wave_nested)
                              : out / flags.wave_nested;
    all.push_back(eval::wave_run(wave.string(), wave_accesses));
  }
  std::vector<eval::Job> job_list;
  for (const EvalRun& r : all) {
    job_list.push_back({eval::run_arguments(r, opt, (runs_dir / (r.id + ".json")).string()),
                        (runs_dir / (r.id + ".log")).string()});
  }

  fmt::print(stderr, "mmuvp eval: {} runs ({} workloads x {} configurations{}{}), {} at a time, "
                     "into {}\n",
             all.size(), workloads.size(), configs.size(),
             escape_runs.empty() ? "" : fmt::format(", {} escape-filter runs", escape_runs.size()),
             flags.wave_nested.empty() ? "" : ", 1 waveform run", jobs, out.string());
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

  std::vector<RunOutcome> main_runs(outcomes.begin(),
                                    outcomes.begin() + static_cast<std::ptrdiff_t>(plan.size()));
  std::vector<RunOutcome> escape_outcomes(
      outcomes.begin() + static_cast<std::ptrdiff_t>(plan.size()),
      outcomes.begin() + static_cast<std::ptrdiff_t>(plan.size() + escape_runs.size()));
  eval::attach_models(main_runs);

  Json results = Json::object();
  results["options"] = options_json(opt, jobs, out);
  Json runs_json = Json::array();
  for (const RunOutcome& o : main_runs) runs_json.push_back(eval::outcome_json(o));
  results["runs"] = std::move(runs_json);
  if (!escape_outcomes.empty()) {
    Json esc = Json::array();
    for (const RunOutcome& o : escape_outcomes) esc.push_back(eval::outcome_json(o));
    results["escape_experiment"] = std::move(esc);
  }
  if (!flags.wave_nested.empty()) results["wave"] = eval::outcome_json(outcomes.back());
  write_file(out / "results.json", results.dump(2) + "\n");
  write_file(out / "results.csv", eval::results_csv(main_runs));
  std::string table = eval::results_table(main_runs);
  if (!escape_outcomes.empty()) {
    write_file(out / "escape.csv", eval::results_csv(escape_outcomes));
    table += "\nEscape filter experiment (gups):\n" + eval::escape_table(escape_outcomes);
  }
  if (!flags.wave_nested.empty()) {
    const RunOutcome& w = outcomes.back();
    table += w.ok ? fmt::format("\nWaveform of a nested walk (cycle-level walker): {}\n", w.run.wave)
                  : fmt::format("\nWaveform run FAILED: {}\n", w.error);
  }
  write_file(out / "table.txt", table);
  write_file(out / "overhead.svg",
             eval::render_svg(eval::overhead_chart(main_runs, workloads, configs)));

  fmt::print("{}", table);
  fmt::print("\n{} runs, {} failed. Results in {}/ (results.json, results.csv, table.txt, "
             "overhead.svg{})\n",
             all.size(), failed, out.string(), escape_outcomes.empty() ? "" : ", escape.csv");
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
                  "nested-1g,nested-thp,native-ds,dual-direct,vmm-direct,guest-direct")
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
  cmd->add_flag("--escape-experiment", f->escape,
                "Also run gups with 0, 4, 16, 64 escaped frames and report the filter's "
                "false-positive rate");
  cmd->add_option("--escape-mode", f->escape_mode, "Mode of the escape experiment")
      ->capture_default_str();
  cmd->add_option("--wave-nested", f->wave_nested,
                  "Also write a waveform of a short nested run (cycle-level walker) to this file "
                  "(relative: inside the output folder)");
  cmd->add_option("--wave-accesses", f->wave_accesses, "Accesses of the waveform run")
      ->capture_default_str();
  cmd->callback([f] { run_eval(*f); });
}

}  // namespace mmuvp::tb
