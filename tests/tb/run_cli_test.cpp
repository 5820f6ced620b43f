// `mmuvp run` end to end (the built binary, MMUVP_EXE): bad flags, files and configurations are
// one-line errors with exit status 2; a small golden run prints the table and its JSON holds
// every SPEC §9 field with values consistent with each other; --config files are read with the
// command line overriding them.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tb/run_json.h"
#include "tests/tb/run_mmuvp.h"

#ifndef MMUVP_EXE
#error "MMUVP_EXE must name the mmuvp executable"
#endif

namespace mmuvp::test {
namespace {

constexpr const char* kSmall = "--walker golden --accesses 2000 --footprint 64m --seed 3";

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Exit status 2 and exactly one line on stderr, which starts with the command's prefix and holds
// `what`.
void expect_usage_error(const std::string& args, const std::string& what) {
  TempDir dir;
  const Output r = run_mmuvp(dir, args);
  EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
  ASSERT_EQ(r.err_lines().size(), 1u) << args << "\n" << r.err;
  EXPECT_EQ(r.err.rfind("mmuvp run: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(what), std::string::npos) << args << "\n" << r.err;
}

TEST(RunCli, BadFlagsAreOneLineErrors) {
  expect_usage_error("run --mode sideways", "--mode: unknown mode 'sideways'");
  expect_usage_error("run --workload memcached", "--workload: unknown workload 'memcached'");
  expect_usage_error("run --cores 0 --walker golden", "cores must be in [1, 64]");
  expect_usage_error("run --footprint 12q", "--footprint: '12q' is not a size");
  expect_usage_error("run --accesses -5", "--accesses");
  expect_usage_error("run --guest-pages 8k", "--guest-pages: '8k'");
  expect_usage_error("run --host-pages thp", "--host-pages: 'thp'");
  expect_usage_error("run --walker fast", "--walker: 'fast'");
  expect_usage_error("run --trace /nonexistent/trace.txt", "--trace: cannot open");
  expect_usage_error("run --workload gups --trace x", "excludes");
  expect_usage_error("run --frobnicate", "frobnicate");
}

TEST(RunCli, BadConfigFilesAreOneLineErrors) {
  TempDir dir;
  write(dir.file("broken.json"), "{\"cores\": 2,");
  write(dir.file("unknown.json"), R"({"tlb": {"l2": {"entries": 512, "wayz": 4}}})");
  write(dir.file("typed.json"), R"({"accesses": "many"})");
  expect_usage_error("run --config " + dir.file("broken.json"), "not valid JSON");
  expect_usage_error("run --config " + dir.file("unknown.json"), "unknown key 'tlb.l2.wayz'");
  expect_usage_error("run --config " + dir.file("typed.json"), "key 'accesses'");
  expect_usage_error("run --config /nonexistent/c.json", "--config: cannot open");
  write(dir.file("geometry.json"), R"({"tlb": {"l2": {"entries": 500, "ways": 4}}})");
  expect_usage_error("run --config " + dir.file("geometry.json"), "TlbConfig");
}

// Needs simulate() (tb/simulation.cpp).
TEST(RunCli, MalformedTraceIsAOneLineError) {
  TempDir dir;
  write(dir.file("bad.trace"), "==1== lackey\n L 04000000,8\n this is not lackey\n");
  expect_usage_error("run --walker golden --trace " + dir.file("bad.trace"), "");
}

// Needs simulate() (tb/simulation.cpp).
TEST(RunCli, GoldenRunPrintsJsonWithEverySpecField) {
  TempDir dir;
  const Output r = run_mmuvp(dir, std::string("run --mode nested ") + kSmall + " --json -");
  ASSERT_EQ(r.code, 0) << r.err;
  const tb::Json j = tb::Json::parse(r.out);
  for (const char* key :
       {"mode", "accesses", "l1_tlb_misses", "l2_tlb_misses", "walks", "walk_mem_refs",
        "mem_refs_per_walk", "walk_cycles", "cycles_per_walk", "total_cycles",
        "translation_overhead", "segment_hits", "escape_filter_hits", "faults", "vm_exits",
        "sim_seconds", "accesses_per_second", "config", "per_core", "pwc_hits", "ntlb_hits",
        "workload", "workload_description"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j.at("mode"), "nested");
  EXPECT_EQ(j.at("accesses"), 2000);
  EXPECT_EQ(j.at("workload"), "gups");
  EXPECT_EQ(j.at("config").at("seed"), 3);
  EXPECT_EQ(j.at("config").at("footprint"), 64 << 20);
  // The derived fields agree with the counters.
  const double walks = j.at("walks").get<double>();
  ASSERT_GT(walks, 0);
  EXPECT_DOUBLE_EQ(j.at("mem_refs_per_walk").get<double>(),
                   j.at("walk_mem_refs").get<double>() / walks);
  EXPECT_GE(j.at("l1_tlb_misses").get<std::uint64_t>(), j.at("l2_tlb_misses").get<std::uint64_t>());
  ASSERT_EQ(j.at("per_core").size(), 1u);
  EXPECT_EQ(j.at("per_core")[0].at("accesses"), 2000);
  // A stats JSON is also what eval reads back.
  EXPECT_NO_THROW(tb::stats_from_json(j));
}

// Needs simulate() (tb/simulation.cpp).
TEST(RunCli, TableOnTheTerminalAndJsonToAFile) {
  TempDir dir;
  const std::string json = dir.file("out.json");
  const Output r = run_mmuvp(dir, std::string("run ") + kSmall + " --json " + json);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("translation overhead"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("L2 TLB misses"), std::string::npos) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;  // no progress indicator: stderr is not a terminal
  const tb::Json j = tb::Json::parse(slurp(json));
  EXPECT_EQ(j.at("mode"), "native");
  EXPECT_EQ(j.at("accesses"), 2000);
}

// Needs simulate() (tb/simulation.cpp).
TEST(RunCli, ConfigFileWithCommandLineOverride) {
  TempDir dir;
  write(dir.file("c.json"),
        R"({"mode": "vmm-direct", "accesses": 1000, "footprint": "32m", "walker": "golden",
            "seed": 9, "tlb": {"l2": {"entries": 1024, "ways": 8}}})");
  const Output r =
      run_mmuvp(dir, "run --config " + dir.file("c.json") + " --accesses 1500 --json -");
  ASSERT_EQ(r.code, 0) << r.err;
  const tb::Json j = tb::Json::parse(r.out);
  EXPECT_EQ(j.at("mode"), "vmm-direct");
  EXPECT_EQ(j.at("accesses"), 1500);  // the flag wins
  EXPECT_EQ(j.at("config").at("seed"), 9);
  EXPECT_EQ(j.at("config").at("tlb").at("l2").at("entries"), 1024);
}

}  // namespace
}  // namespace mmuvp::test
