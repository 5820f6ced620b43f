// Outcomes of the evaluation and their presentations (see eval_results.h).
#include "tb/eval/eval_results.h"

#include <fmt/format.h>

#include <map>
#include <utility>

namespace mmuvp::tb::eval {
namespace {

double ratio(std::uint64_t num, std::uint64_t den) {
  return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
}

const RunOutcome* find_run(const std::vector<RunOutcome>& outcomes, const std::string& workload,
                           const std::string& config) {
  for (const RunOutcome& o : outcomes) {
    if (o.ok && o.run.workload.name == workload && o.run.config.name == config &&
        o.run.escaped_frames == 0 && o.run.wave.empty()) {
      return &o;
    }
  }
  return nullptr;
}

const RunStats* stats_of(const RunOutcome* o) { return o == nullptr ? nullptr : &o->stats; }

std::string percent(double fraction) { return fmt::format("{:.2f}", 100 * fraction); }

// The CSV columns, each with how to print it for a run (failed runs print only identity columns
// and the error).
struct Column {
  const char* name;
  std::string (*value)(const RunOutcome&);
};

template <std::uint64_t CoreStats::*M>
std::string counter(const RunOutcome& o) {
  return std::to_string(o.stats.total.*M);
}

std::string fixed6(double v) { return fmt::format("{:.6f}", v); }

const std::vector<Column>& csv_columns() {
  static const std::vector<Column> k{
      {"workload", [](const RunOutcome& o) { return o.run.workload.name; }},
      {"config", [](const RunOutcome& o) { return o.run.config.name; }},
      {"mode", [](const RunOutcome& o) { return run_mode_name(o.run.config); }},
      {"guest_pages",
       [](const RunOutcome& o) { return std::string(stub::to_string(o.run.config.guest_pages)); }},
      {"host_pages",
       [](const RunOutcome& o) { return format_size(arch::page_bytes(o.run.config.host_pages)); }},
      {"escaped_frames", [](const RunOutcome& o) { return std::to_string(o.run.escaped_frames); }},
      {"status", [](const RunOutcome& o) { return std::string(o.ok ? "ok" : "failed"); }},
      {"accesses", counter<&CoreStats::accesses>},
      {"l1_tlb_misses", counter<&CoreStats::l1_tlb_misses>},
      {"l2_tlb_misses", counter<&CoreStats::l2_tlb_misses>},
      {"walks", counter<&CoreStats::walks>},
      {"walk_mem_refs", counter<&CoreStats::walk_mem_refs>},
      {"mem_refs_per_walk", [](const RunOutcome& o) { return fixed6(o.stats.mem_refs_per_walk); }},
      {"walk_cycles", counter<&CoreStats::walk_cycles>},
      {"cycles_per_walk", [](const RunOutcome& o) { return fixed6(o.stats.cycles_per_walk); }},
      {"translation_cycles", counter<&CoreStats::translation_cycles>},
      {"total_cycles", counter<&CoreStats::total_cycles>},
      {"translation_overhead",
       [](const RunOutcome& o) { return fixed6(o.stats.translation_overhead); }},
      {"walk_overhead", [](const RunOutcome& o) { return fixed6(walk_overhead(o.stats)); }},
      {"model_walk_overhead",
       [](const RunOutcome& o) {
         return o.model.available ? fixed6(o.model.overhead) : std::string();
       }},
      {"model_error",
       [](const RunOutcome& o) { return o.model.available ? fixed6(o.model.error) : std::string(); }},
      {"f_ds", [](const RunOutcome& o) { return fixed6(o.model.f.ds); }},
      {"f_vd", [](const RunOutcome& o) { return fixed6(o.model.f.vd); }},
      {"f_gd", [](const RunOutcome& o) { return fixed6(o.model.f.gd); }},
      {"f_dd", [](const RunOutcome& o) { return fixed6(o.model.f.dd); }},
      {"segment_hits", counter<&CoreStats::segment_hits>},
      {"escape_filter_hits", counter<&CoreStats::escape_filter_hits>},
      {"escape_filter_lookups", counter<&CoreStats::escape_filter_lookups>},
      {"escape_filter_false_positives", counter<&CoreStats::escape_filter_false_positives>},
      {"pwc_hits", counter<&CoreStats::pwc_hits>},
      {"pwc_lookups", counter<&CoreStats::pwc_lookups>},
      {"ntlb_hits", counter<&CoreStats::ntlb_hits>},
      {"ntlb_lookups", counter<&CoreStats::ntlb_lookups>},
      {"faults", counter<&CoreStats::faults>},
      {"vm_exits", counter<&CoreStats::vm_exits>},
      {"sim_seconds", [](const RunOutcome& o) { return fixed6(o.stats.sim_seconds); }},
      {"error", [](const RunOutcome& o) { return o.error; }},
  };
  return k;
}

constexpr std::size_t kIdentityColumns = 7;  // workload .. status: printed for failed runs too

}  // namespace

double walk_overhead(const RunStats& s) { return ratio(s.total.walk_cycles, s.total.total_cycles); }

double filter_false_positive_rate(const CoreStats& s) {
  return ratio(s.escape_filter_false_positives, s.escape_filter_lookups);
}

void attach_models(std::vector<RunOutcome>& outcomes) {
  std::map<std::string, ModelBaseline> baselines;
  for (const RunOutcome& o : outcomes) {
    const std::string& w = o.run.workload.name;
    if (baselines.count(w) != 0) continue;
    baselines[w] = make_baseline(
        stats_of(find_run(outcomes, w, "native-4k")), stats_of(find_run(outcomes, w, "nested-4k")),
        stats_of(find_run(outcomes, w, "vmm-direct")),
        stats_of(find_run(outcomes, w, "guest-direct")));
  }
  for (RunOutcome& o : outcomes) {
    o.model = o.ok ? predict(o.stats, baselines[o.run.workload.name]) : ModelResult{};
  }
}

Json outcome_json(const RunOutcome& o) {
  Json j = Json::object();
  j["id"] = o.run.id;
  j["workload"] = o.run.workload.name;
  if (!o.run.workload.trace.empty()) j["trace"] = o.run.workload.trace;
  j["config"] = o.run.config.name;
  j["label"] = o.run.config.label;
  j["escaped_frames"] = o.run.escaped_frames;
  if (!o.run.wave.empty()) j["wave"] = o.run.wave;
  j["status"] = o.ok ? "ok" : "failed";
  j["host_seconds"] = o.host_seconds;
  if (!o.ok) {
    j["error"] = o.error;
    return j;
  }
  j["walk_overhead"] = walk_overhead(o.stats);
  j["escape_filter_false_positive_rate"] = filter_false_positive_rate(o.stats.total);
  Json m = Json::object();
  m["available"] = o.model.available;
  if (!o.model.available) m["missing"] = o.model.missing;
  m["f_ds"] = o.model.f.ds;
  m["f_vd"] = o.model.f.vd;
  m["f_gd"] = o.model.f.gd;
  m["f_dd"] = o.model.f.dd;
  if (o.model.available) {
    m["walk_cycles"] = o.model.walk_cycles;
    m["overhead"] = o.model.overhead;
    m["measured_walk_overhead"] = o.model.measured_overhead;
    m["error"] = o.model.error;
  }
  j["model"] = std::move(m);
  j["stats"] = stats_to_json(o.stats);
  return j;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string q = "\"";
  for (char c : text) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

std::string results_csv(const std::vector<RunOutcome>& outcomes) {
  const std::vector<Column>& cols = csv_columns();
  std::string s;
  for (std::size_t i = 0; i < cols.size(); ++i) s += (i ? "," : "") + std::string(cols[i].name);
  s += '\n';
  for (const RunOutcome& o : outcomes) {
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const bool shown = o.ok || i < kIdentityColumns || i + 1 == cols.size();
      s += (i ? "," : "") + (shown ? csv_field(cols[i].value(o)) : std::string());
    }
    s += '\n';
  }
  return s;
}

std::string results_table(const std::vector<RunOutcome>& outcomes) {
  constexpr const char* kRow =
      "{:<10} {:<14} {:>10} {:>10} {:>10} {:>9} {:>9} {:>10} {:>9} {:>9} {:>9} {:>8} {:>7}\n";
  std::string s = fmt::format(kRow, "workload", "config", "accesses", "L2 misses", "walks",
                              "refs/walk", "cyc/walk", "seg hits", "filt hits", "overhead",
                              "walk ovh", "model", "error");
  s += fmt::format(kRow, "", "", "", "", "", "", "", "", "", "%", "%", "%", "pp");
  for (const RunOutcome& o : outcomes) {
    if (!o.ok) {
      s += fmt::format("{:<10} {:<14}  FAILED: {}\n", o.run.workload.name, o.run.config.name,
                       o.error);
      continue;
    }
    const RunStats& r = o.stats;
    s += fmt::format(kRow, o.run.workload.name, o.run.config.name, r.total.accesses,
                     r.total.l2_tlb_misses, r.total.walks,
                     fmt::format("{:.2f}", r.mem_refs_per_walk),
                     fmt::format("{:.1f}", r.cycles_per_walk), r.total.segment_hits,
                     r.total.escape_filter_hits, percent(r.translation_overhead),
                     percent(walk_overhead(r)),
                     o.model.available ? percent(o.model.overhead) : "-",
                     o.model.available ? fmt::format("{:+.2f}", 100 * o.model.error) : "-");
  }
  s += "overhead: translation cycles (L2 TLB lookups and walks) / total cycles. walk ovh: walk "
       "cycles / total cycles (what the paper measures). model: the seed's Table IV linear model "
       "(C_n, C_v, D_VD, D_GD, M_n from the reference runs, F from this run's walker paths) / "
       "total cycles; error: model - walk ovh, percentage points. native-4k, nested-4k, vmm-direct "
       "and guest-direct are the reference runs (their error is zero by construction); native-ds and "
       "dual-direct are predictions. The model covers 4K pages of the hardware modes only (-).\n";
  return s;
}

std::string cacheless_table(const std::vector<RunOutcome>& outcomes) {
  constexpr const char* kRow = "{:<13} {:>9} {:>13} {:>9} {:>10} {:>10} {:>13}\n";
  std::string s = fmt::format(kRow, "config", "requests", "segment-only", "walks", "mem refs",
                              "refs/walk", "refs/request");
  for (const RunOutcome& o : outcomes) {
    if (!o.ok) {
      s += fmt::format("{:<13}  FAILED: {}\n", o.run.config.name, o.error);
      continue;
    }
    const CoreStats& t = o.stats.total;
    s += fmt::format(kRow, o.run.config.name, t.walk_requests, t.segment_translations, t.walks,
                     t.walk_mem_refs, fmt::format("{:.2f}", o.stats.mem_refs_per_walk),
                     fmt::format("{:.2f}", ratio(t.walk_mem_refs, t.walk_requests)));
  }
  s += "requests: L2 TLB misses the walker served; segment-only: translated by the segments "
       "without reading an entry; refs: paging-entry references (guest and EPT).\n";
  return s;
}

std::string escape_table(const std::vector<RunOutcome>& outcomes) {
  std::string s = fmt::format("{:<12} {:>8} {:>10} {:>10} {:>10} {:>10} {:>12} {:>10}\n", "mode",
                              "escaped", "overhead%", "walk ovh%", "cyc/walk", "filter hit",
                              "filter lookup", "false pos%");
  for (const RunOutcome& o : outcomes) {
    if (!o.ok) {
      s += fmt::format("{:<12} {:>8}  FAILED: {}\n", o.run.config.name, o.run.escaped_frames,
                       o.error);
      continue;
    }
    const CoreStats& t = o.stats.total;
    s += fmt::format("{:<12} {:>8} {:>10} {:>10} {:>10.1f} {:>10} {:>12} {:>10}\n",
                     o.run.config.name, o.run.escaped_frames, percent(o.stats.translation_overhead),
                     percent(walk_overhead(o.stats)), o.stats.cycles_per_walk,
                     t.escape_filter_hits, t.escape_filter_lookups,
                     t.escape_filter_lookups == 0
                         ? std::string("-")
                         : fmt::format("{:.3f}", 100 * filter_false_positive_rate(t)));
  }
  s += "false pos: filter hits on frames the VMM did not escape / filter lookups (gPAs inside the "
       "VMM segment).\n";
  return s;
}

BarChart overhead_chart(const std::vector<RunOutcome>& outcomes,
                        const std::vector<EvalWorkload>& workloads,
                        const std::vector<EvalConfig>& configs) {
  BarChart c;
  c.title = "Virtual memory overhead per configuration and workload";
  c.x_label = "workload";
  c.y_label = "translation overhead (% of execution cycles)";
  c.unit = "";
  for (const EvalWorkload& w : workloads) c.groups.push_back(w.name);
  for (const EvalConfig& k : configs) c.series.push_back(k.label);
  for (const EvalWorkload& w : workloads) {
    std::vector<std::optional<double>> row;
    for (const EvalConfig& k : configs) {
      const RunOutcome* o = find_run(outcomes, w.name, k.name);
      row.push_back(o == nullptr ? std::nullopt
                                 : std::optional<double>(100 * o->stats.translation_overhead));
    }
    c.values.push_back(std::move(row));
  }
  return c;
}

}  // namespace mmuvp::tb::eval
