// The results of `mmuvp eval`: every run's outcome (its RunStats, or why it failed) with the linear
// model attached, and their presentations: results.json, results.csv, the terminal tables (the
// overhead table and the escape-filter experiment) and the overhead plot's data.
#pragma once
#include <string>
#include <vector>

#include "tb/eval/eval_plan.h"
#include "tb/eval/linear_model.h"
#include "tb/eval/svg_plot.h"
#include "tb/run_config.h"
#include "tb/run_json.h"

namespace mmuvp::tb::eval {

struct RunOutcome {
  EvalRun run;
  bool ok = false;
  std::string error;        // one line, when !ok
  double host_seconds = 0;  // wall time of the child process
  RunStats stats;           // when ok
  ModelResult model;        // attach_models
};

// The model of every successful run, from the runs of the same workload under the reference
// configurations (native-4k, nested-4k, vmm-direct, guest-direct) found in `outcomes`.
void attach_models(std::vector<RunOutcome>& outcomes);

// Measured walk overhead and the escape filter's false-positive rate (0 without lookups).
double walk_overhead(const RunStats& s);
double filter_false_positive_rate(const CoreStats& s);

Json outcome_json(const RunOutcome& o);  // {id, workload, config, ..., stats, model}

// One row per run; the header names every column. Fields holding a comma, quote or newline are
// quoted (RFC 4180).
std::string results_csv(const std::vector<RunOutcome>& outcomes);
std::string csv_field(const std::string& text);

// The terminal table of the evaluation: one row per run, measured and modelled overhead.
std::string results_table(const std::vector<RunOutcome>& outcomes);
// The walk-structure check (cacheless_plan): references per walk with the walk caches off.
std::string cacheless_table(const std::vector<RunOutcome>& outcomes);
// The escape-filter experiment: escaped frames, measured overhead, filter hits, false positives.
std::string escape_table(const std::vector<RunOutcome>& outcomes);

// Translation overhead in percent, one group per workload and one bar per configuration, in the
// given orders; runs that failed or are absent have no bar.
BarChart overhead_chart(const std::vector<RunOutcome>& outcomes,
                        const std::vector<EvalWorkload>& workloads,
                        const std::vector<EvalConfig>& configs);

}  // namespace mmuvp::tb::eval
