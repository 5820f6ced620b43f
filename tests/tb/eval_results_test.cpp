// The evaluation's outputs from outcomes (tb/eval/eval_results.h): the CSV header and rows (failed
// runs included, RFC 4180 quoting), the model attached from the workload's reference runs, the
// overhead chart's data, results.json entries and the terminal tables.
#include "tb/eval/eval_results.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace mmuvp::tb::eval {
namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

RunOutcome ok_run(const std::string& workload, const std::string& config, std::uint64_t walks,
                  std::uint64_t walk_cycles, std::uint64_t total_cycles) {
  RunOutcome o;
  o.run = expand_plan(select_workloads(workload), select_configs(config))[0];
  o.ok = true;
  o.stats.config.mode = o.run.config.mode;
  o.stats.config.guest_pages = o.run.config.guest_pages;
  o.stats.config.host_pages = o.run.config.host_pages;
  o.stats.total.accesses = 10000;
  o.stats.total.walks = walks;
  o.stats.total.walk_requests = walks;
  o.stats.total.l2_tlb_misses = walks;
  o.stats.total.walk_cycles = walk_cycles;
  o.stats.total.translation_cycles = walk_cycles + 7 * walks;
  o.stats.total.total_cycles = total_cycles;
  o.stats.translation_overhead =
      static_cast<double>(o.stats.total.translation_cycles) / static_cast<double>(total_cycles);
  return o;
}

std::vector<RunOutcome> sample() {
  std::vector<RunOutcome> v;
  v.push_back(ok_run("gups", "native-4k", 1000, 30000, 1'000'000));
  v.push_back(ok_run("gups", "nested-4k", 1000, 100000, 1'100'000));
  RunOutcome failed;
  failed.run = expand_plan(select_workloads("gups"), select_configs("nested-1g"))[0];
  failed.error = "exit status 2: mmuvp run: error: guest memory, too small, for 1G pages";
  v.push_back(failed);
  v.push_back(ok_run("cg", "native-4k", 500, 10000, 2'000'000));
  return v;
}

TEST(EvalResults, CsvHeaderAndRows) {
  std::vector<RunOutcome> runs = sample();
  attach_models(runs);
  const std::string csv = results_csv(runs);
  std::vector<std::string> lines = split(csv, '\n');
  ASSERT_EQ(lines.back(), "");  // ends with a newline
  lines.pop_back();
  ASSERT_EQ(lines.size(), 1 + runs.size());
  const std::vector<std::string> header = split(lines[0], ',');
  const std::vector<std::string> first{"workload", "config", "mode", "guest_pages", "host_pages",
                                       "escaped_frames", "status", "accesses", "l1_tlb_misses",
                                       "l2_tlb_misses", "walks"};
  ASSERT_GE(header.size(), first.size());
  EXPECT_EQ(std::vector<std::string>(header.begin(), header.begin() + first.size()), first);
  EXPECT_EQ(header.back(), "error");

  auto column = [&](const std::string& name) {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return i;
    }
    ADD_FAILURE() << "no column " << name;
    return std::size_t{0};
  };
  const std::vector<std::string> nested = split(lines[2], ',');
  ASSERT_EQ(nested.size(), header.size());
  EXPECT_EQ(nested[column("config")], "nested-4k");
  EXPECT_EQ(nested[column("mode")], "nested");
  EXPECT_EQ(nested[column("status")], "ok");
  EXPECT_EQ(nested[column("walk_cycles")], "100000");
  EXPECT_EQ(nested[column("translation_cycles")], "107000");
  EXPECT_EQ(nested[column("translation_overhead")], "0.097273");
  EXPECT_EQ(nested[column("walk_overhead")], "0.090909");
  // Model: C_v * M_n = 100 * 1000 of 1.1M cycles: exactly the measured walk cycles here.
  EXPECT_EQ(nested[column("model_walk_overhead")], "0.090909");
  EXPECT_EQ(nested[column("model_error")], "0.000000");

  // The failed run: identity, status and the quoted error (it holds commas), nothing else.
  EXPECT_EQ(lines[3],
            "gups,nested-1g,nested,1g,1g,0,failed" + std::string(header.size() - 7, ',') +
                "\"exit status 2: mmuvp run: error: guest memory, too small, for 1G pages\"");
  // cg has no nested run: no model value.
  const std::vector<std::string> cg = split(lines[4], ',');
  EXPECT_EQ(cg[column("model_walk_overhead")], "0.005000");  // native: C_n M_n = its own
  EXPECT_EQ(cg[column("workload")], "cg");
}

TEST(EvalResults, CsvFieldQuoting) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
}

TEST(EvalResults, ModelsAttachPerWorkload) {
  std::vector<RunOutcome> runs = sample();
  runs.push_back(ok_run("cg", "nested-4k", 800, 64000, 2'000'000));
  attach_models(runs);
  EXPECT_TRUE(runs[1].model.available);
  EXPECT_FALSE(runs[2].model.available);  // failed
  // cg nested: C_v = 80 from cg's own nested run, M_n = 500 from cg's native run.
  ASSERT_TRUE(runs[4].model.available) << runs[4].model.missing;
  EXPECT_DOUBLE_EQ(runs[4].model.walk_cycles, 40000);
  EXPECT_DOUBLE_EQ(runs[4].model.error, 40000.0 / 2e6 - 64000.0 / 2e6);
}

TEST(EvalResults, OverheadChartHasABarPerSuccessfulRun) {
  std::vector<RunOutcome> runs = sample();
  const BarChart c = overhead_chart(runs, select_workloads("gups,cg"),
                                    select_configs("native-4k,nested-4k,nested-1g"));
  EXPECT_EQ(c.groups, (std::vector<std::string>{"gups", "cg"}));
  EXPECT_EQ(c.series, (std::vector<std::string>{"4K", "4K+4K", "1G+1G"}));
  ASSERT_EQ(c.values.size(), 2u);
  ASSERT_TRUE(c.values[0][0].has_value());
  EXPECT_DOUBLE_EQ(*c.values[0][0], 100 * 37000.0 / 1e6);
  EXPECT_FALSE(c.values[0][2].has_value());  // failed
  EXPECT_TRUE(c.values[1][0].has_value());
  EXPECT_FALSE(c.values[1][1].has_value());  // not run
}

TEST(EvalResults, OutcomeJsonAndTables) {
  std::vector<RunOutcome> runs = sample();
  attach_models(runs);
  const Json ok = outcome_json(runs[1]);
  EXPECT_EQ(ok.at("status"), "ok");
  EXPECT_EQ(ok.at("config"), "nested-4k");
  EXPECT_EQ(ok.at("stats").at("walk_cycles"), 100000);
  EXPECT_EQ(ok.at("model").at("available"), true);
  EXPECT_DOUBLE_EQ(ok.at("model").at("walk_cycles").get<double>(), 100000);
  const Json bad = outcome_json(runs[2]);
  EXPECT_EQ(bad.at("status"), "failed");
  EXPECT_EQ(bad.at("error"), runs[2].error);
  EXPECT_FALSE(bad.contains("stats"));

  runs[0].stats.mem_refs_per_walk = 1.5;
  runs[0].stats.cycles_per_walk = 30;
  runs[0].stats.total.segment_hits = 12;
  runs[0].stats.total.escape_filter_hits = 3;
  const std::string table = results_table(runs);
  EXPECT_NE(table.find("gups       nested-1g       FAILED: exit status 2"), std::string::npos)
      << table;
  // gups native-4k: 10000 accesses, 1000 misses and walks, 1.5 references and 30 cycles per walk,
  // 12 segment and 3 filter hits, 3.70% overhead, 3.00% walk overhead, its own model (a reference
  // run).
  EXPECT_NE(table.find("gups       native-4k           10000       1000       1000      1.50"
                       "      30.0         12         3      3.70      3.00     3.00   +0.00"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("9.73"), std::string::npos) << table;  // nested overhead, percent

  RunOutcome esc = ok_run("gups", "dual-direct", 100, 2000, 1'000'000);
  esc.run.escaped_frames = 16;
  esc.stats.total.escape_filter_hits = 40;
  esc.stats.total.escape_filter_lookups = 4000;
  esc.stats.total.escape_filter_false_positives = 8;
  EXPECT_DOUBLE_EQ(filter_false_positive_rate(esc.stats.total), 0.002);
  const std::string et = escape_table({esc});
  EXPECT_NE(et.find("      4000      0.200"), std::string::npos) << et;

  // Walk structure without caches: 24 references per nested walk; a dual-direct run whose
  // segments answered 90 of 100 requests alone and walked 10 times with 4 references each.
  RunOutcome nested = ok_run("gups", "nested-4k", 100, 20000, 1'000'000);
  nested.stats.total.walk_mem_refs = 2400;
  nested.stats.mem_refs_per_walk = 24;
  RunOutcome dd = ok_run("gups", "dual-direct", 10, 2000, 1'000'000);
  dd.stats.total.walk_requests = 100;
  dd.stats.total.segment_translations = 90;
  dd.stats.total.walk_mem_refs = 40;
  dd.stats.mem_refs_per_walk = 4;
  const std::string ct = cacheless_table({nested, dd});
  EXPECT_NE(ct.find("nested-4k           100             0       100       2400      24.00         "
                    "24.00"),
            std::string::npos)
      << ct;
  EXPECT_NE(ct.find("dual-direct         100            90        10         40       4.00"
                    "          0.40"),
            std::string::npos)
      << ct;
}

}  // namespace
}  // namespace mmuvp::tb::eval
