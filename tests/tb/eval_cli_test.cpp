// `mmuvp eval` end to end (the built binary, MMUVP_EXE): bad flags are one-line errors with exit
// status 2; a small golden evaluation writes results.json, results.csv, table.txt and an
// overhead.svg with one bar per run, each run's numbers read back from its child's JSON.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tb/run_json.h"
#include "tests/tb/run_mmuvp.h"

#ifndef MMUVP_EXE
#error "MMUVP_EXE must name the mmuvp executable"
#endif

namespace mmuvp::test {
namespace {

void expect_usage_error(const std::string& args, const std::string& what) {
  TempDir dir;
  const Output r = run_mmuvp(dir, args);
  EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
  ASSERT_EQ(r.err_lines().size(), 1u) << args << "\n" << r.err;
  EXPECT_EQ(r.err.rfind("mmuvp eval: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(what), std::string::npos) << args << "\n" << r.err;
}

TEST(EvalCli, BadFlagsAreOneLineErrors) {
  expect_usage_error("eval --configs native-8k", "unknown configuration 'native-8k'");
  expect_usage_error("eval --workloads gups,memcached", "unknown workload 'memcached'");
  expect_usage_error("eval --jobs 0", "--jobs must be in [1, 1024]");
  expect_usage_error("eval --accesses 0", "--accesses must be at least 1");
  expect_usage_error("eval --footprint huge", "--footprint: 'huge' is not a size");
  expect_usage_error("eval --walker fast", "--walker: 'fast'");
  expect_usage_error("eval --trace /nonexistent/t.lackey", "--trace: cannot open");
  expect_usage_error("eval --escape-experiment --escape-mode nested", "needs a VMM segment");
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Needs simulate() (tb/simulation.cpp): four child runs of the golden model.
TEST(EvalCli, SmallGoldenEvaluationWritesEveryOutput) {
  TempDir dir;
  const std::string out = dir.file("ev");
  const Output r = run_mmuvp(
      dir, "eval --workloads gups,stream --configs native-4k,nested-4k --walker golden "
           "--accesses 3000 --footprint 64m --jobs 2 --no-escape-experiment --no-walk-structure "
           "--no-wave --out " + out);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("[4/4]"), std::string::npos) << r.err;  // progress
  for (const char* f : {"results.json", "results.csv", "table.txt", "overhead.svg"}) {
    EXPECT_TRUE(std::filesystem::exists(out + "/" + f)) << f;
  }
  const tb::Json j = tb::Json::parse(slurp(out + "/results.json"));
  ASSERT_EQ(j.at("runs").size(), 4u);
  for (const tb::Json& run : j.at("runs")) {
    EXPECT_EQ(run.at("status"), "ok") << run.dump();
    EXPECT_EQ(run.at("stats").at("accesses"), 3000);
    // Each run's stats are those of its child's own JSON.
    const tb::Json child = tb::Json::parse(
        slurp(out + "/runs/" + run.at("id").get<std::string>() + ".json"));
    EXPECT_EQ(child.at("walk_cycles"), run.at("stats").at("walk_cycles"));
  }
  EXPECT_EQ(j.at("runs")[1].at("config"), "nested-4k");
  EXPECT_EQ(j.at("runs")[1].at("model").at("available"), true);
  const std::string svg = slurp(out + "/overhead.svg");
  EXPECT_EQ(count(svg, "<rect class=\"bar\""), 4u);
  const std::string csv = slurp(out + "/results.csv");
  EXPECT_EQ(count(csv, "\n"), 5u);  // header + 4 rows
  EXPECT_EQ(slurp(out + "/table.txt").empty(), false);
}

// Needs simulate() (tb/simulation.cpp): the escape-filter experiment's four dual-direct gups runs.
TEST(EvalCli, EscapeExperimentReportsTheFilter) {
  TempDir dir;
  const std::string out = dir.file("esc");
  const Output r = run_mmuvp(dir, "eval --workloads gups --configs native-4k --walker golden "
                                  "--accesses 2000 --footprint 64m --escape-experiment "
                                  "--no-walk-structure --no-wave --out " +
                                      out);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const tb::Json j = tb::Json::parse(slurp(out + "/results.json"));
  const tb::Json& esc = j.at("escape_experiment");
  ASSERT_EQ(esc.size(), 4u);
  const unsigned frames[] = {0, 4, 16, 64};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(esc[i].at("status"), "ok") << esc[i].dump();
    EXPECT_EQ(esc[i].at("escaped_frames"), frames[i]);
    const tb::Json& s = esc[i].at("stats");
    EXPECT_EQ(s.at("mode"), "dual-direct");
    EXPECT_EQ(s.at("config").at("escaped_frames"), frames[i]);
    EXPECT_GT(s.at("escape_filter_lookups").get<std::uint64_t>(), 0u);
    const double rate = esc[i].at("escape_filter_false_positive_rate").get<double>();
    EXPECT_DOUBLE_EQ(rate, s.at("escape_filter_false_positives").get<double>() /
                               s.at("escape_filter_lookups").get<double>());
  }
  // No frame escaped: nothing for the filter to hit.
  EXPECT_EQ(esc[0].at("stats").at("escape_filter_hits"), 0);
  EXPECT_TRUE(std::filesystem::exists(out + "/escape.csv"));
  EXPECT_NE(r.out.find("Escape filter experiment"), std::string::npos) << r.out;
}

// Needs simulate() with the cycle-level walker: one short nested run writes its VCD into the
// output folder.
TEST(EvalCli, WaveNestedWritesAWaveformIntoTheOutputFolder) {
  TempDir dir;
  const std::string out = dir.file("wave");
  const Output r = run_mmuvp(dir, "eval --workloads gups --configs native-4k --walker golden "
                                  "--accesses 1000 --footprint 64m --wave-nested nested.vcd "
                                  "--wave-accesses 200 --no-escape-experiment "
                                  "--no-walk-structure --out " + out);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string vcd = slurp(out + "/nested.vcd");
  EXPECT_NE(vcd.find("$enddefinitions"), std::string::npos);
  const tb::Json j = tb::Json::parse(slurp(out + "/results.json"));
  EXPECT_EQ(j.at("wave").at("status"), "ok");
  EXPECT_EQ(j.at("wave").at("stats").at("mode"), "nested");
  EXPECT_EQ(j.at("wave").at("stats").at("walker"), "cycle");
}

// Needs simulate(): by default the evaluation also runs the escape experiment, the walk-structure
// check and the nested waveform, and says where the table, plot and waveform are.
TEST(EvalCli, DefaultsRunEverySectionAndNameTheOutputs) {
  TempDir dir;
  const std::string out = dir.file("all");
  const Output r = run_mmuvp(dir, "eval --workloads gups --configs native-4k,nested-4k "
                                  "--walker golden --accesses 2000 --footprint 64m "
                                  "--wave-accesses 200 --out " + out);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("[13/13]"), std::string::npos) << r.err;  // 2 + 4 + 6 + 1 runs
  const tb::Json j = tb::Json::parse(slurp(out + "/results.json"));
  EXPECT_EQ(j.at("runs").size(), 2u);
  EXPECT_EQ(j.at("escape_experiment").size(), 4u);
  const tb::Json& ws = j.at("walk_structure");
  ASSERT_EQ(ws.size(), 6u);
  // Without the walk caches every walk reads the architecture's full count of entries.
  const std::pair<const char*, unsigned> refs[] = {
      {"native-4k", 4}, {"nested-4k", 24}, {"vmm-direct", 4}, {"guest-direct", 4}};
  for (const auto& [config, per_walk] : refs) {
    bool found = false;
    for (const tb::Json& w : ws) {
      if (w.at("config") != config) continue;
      found = true;
      const tb::Json& s = w.at("stats");
      EXPECT_EQ(s.at("walker"), "golden");
      EXPECT_GT(s.at("walks").get<std::uint64_t>(), 0u) << config;
      // guest-direct: a walk outside the guest segment (the stack) is a full 2D walk of 24.
      const std::uint64_t walks = s.at("walks").get<std::uint64_t>();
      const std::uint64_t outside =
          std::string(config) == "guest-direct"
              ? walks - s.at("guest_segment_hits").get<std::uint64_t>()
              : 0;
      EXPECT_EQ(s.at("walk_mem_refs").get<std::uint64_t>(), per_walk * walks + 20 * outside)
          << config;
      EXPECT_EQ(s.at("pwc_hits"), 0) << config;
      EXPECT_EQ(s.at("ntlb_hits"), 0) << config;
    }
    EXPECT_TRUE(found) << config;
  }
  EXPECT_EQ(j.at("wave").at("status"), "ok");
  EXPECT_TRUE(std::filesystem::exists(out + "/nested-walk.vcd"));
  EXPECT_NE(r.out.find("plot      " + out + "/overhead.svg"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("waveform  " + out + "/nested-walk.vcd"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Walk structure"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Escape filter experiment"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace mmuvp::test
