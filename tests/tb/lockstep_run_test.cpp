// `mmuvp run --walker cosim` end to end (the built binary, MMUVP_EXE): the cycle-level walker and
// the RTL in lockstep inside the platform (tb/lockstep_walker_port.h). In every mode a small run
// compares every walk without a mismatch, and its statistics are exactly those of the same run
// with --walker cycle (the cycle-level walker is the platform's; the RTL only follows); so are a
// two-core run with context switches, a run whose escape filter is being reloaded while the first
// walks start, and a run whose walks set A/D bits. --wave writes the RTL's FST; what the RTL
// cannot run is a one-line error.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tb/run_json.h"
#include "tests/tb/run_mmuvp.h"

#ifndef MMUVP_EXE
#error "MMUVP_EXE must name the mmuvp executable"
#endif

namespace mmuvp::test {
namespace {

constexpr const char* kSmall = "run --workload gups --accesses 2000 --seed 3";

// Every key of the stats JSON that the walker kind may not change: all but the walker's name,
// host time, the cosim counters and the configuration (which names the walker); per_core apart.
bool compared_key(const std::string& key) {
  return key != "walker" && key != "sim_seconds" && key != "accesses_per_second" &&
         key != "cosim_compared" && key != "cosim_mismatches" && key != "config" &&
         key != "per_core";
}

tb::Json run_json(const std::string& args) {
  TempDir dir;
  const Output r = run_mmuvp(dir, args + " --json -");
  EXPECT_EQ(r.code, 0) << args << "\n" << r.err;
  if (r.code != 0) return tb::Json::object();
  return tb::Json::parse(r.out);
}

// The cosim run of `args` agrees with the cycle-level run on every statistic and compared every
// walk the walker served.
void expect_same_as_cycle(const std::string& args) {
  const tb::Json cosim = run_json(args + " --walker cosim");
  const tb::Json cycle = run_json(args + " --walker cycle");
  ASSERT_TRUE(cosim.contains("cosim_compared")) << args;
  EXPECT_EQ(cosim["cosim_mismatches"].get<std::uint64_t>(), 0u) << args;
  EXPECT_EQ(cycle["cosim_compared"].get<std::uint64_t>(), 0u) << args;
  // Every request the walker served was compared (walk_requests counts them, segment-only
  // translations and faults included).
  EXPECT_EQ(cosim["cosim_compared"], cosim["walk_requests"]) << args;
  EXPECT_GT(cosim["walk_requests"].get<std::uint64_t>(), 50u) << args;
  std::size_t keys = 0;
  for (const auto& [key, value] : cycle.items()) {
    if (!compared_key(key)) continue;
    ++keys;
    ASSERT_TRUE(cosim.contains(key)) << key;
    EXPECT_EQ(cosim[key], value) << args << ": " << key;
  }
  EXPECT_GT(keys, 25u);
  // Per core too, the cosim counter aside.
  ASSERT_EQ(cosim["per_core"].size(), cycle["per_core"].size());
  for (std::size_t i = 0; i < cycle["per_core"].size(); ++i) {
    for (const auto& [key, value] : cycle["per_core"][i].items()) {
      if (!compared_key(key)) continue;
      EXPECT_EQ(cosim["per_core"][i][key], value) << key << " core " << i;
    }
    EXPECT_EQ(cosim["per_core"][i]["cosim_compared"], cosim["per_core"][i]["walk_requests"]);
  }
}

struct ModeRun {
  const char* mode;
  const char* footprint;
};

class CosimRun : public ::testing::TestWithParam<ModeRun> {};

TEST_P(CosimRun, NoMismatchAndTheCycleLevelStatistics) {
  expect_same_as_cycle(fmt::format("{} --mode {} --footprint {}", kSmall, GetParam().mode,
                                   GetParam().footprint));
}

// Where the guest segment covers the heap, 16 MiB of it fit a handful of TLB entries: 8 GiB give
// the walker some hundred requests.
INSTANTIATE_TEST_SUITE_P(EveryMode, CosimRun,
                         ::testing::Values(ModeRun{"native", "16m"}, ModeRun{"native-ds", "8g"},
                                           ModeRun{"nested", "16m"}, ModeRun{"dual-direct", "8g"},
                                           ModeRun{"vmm-direct", "16m"},
                                           ModeRun{"guest-direct", "16m"},
                                           ModeRun{"flat-nested", "16m"}),
                         [](const ::testing::TestParamInfo<ModeRun>& info) {
                           std::string s(info.param.mode);
                           for (char& c : s)
                             if (c == '-') c = '_';
                           return s;
                         });

// Two cores, three processes: core 0 switches between two of them (CR3/PCID rewritten over MMIO
// between walks), each core's RTL follows its own cycle-level walker.
TEST(CosimRunMultiCore, TwoCoresWithContextSwitches) {
  const std::string args = "run --mode nested --workload gups --accesses 1500 --footprint 16m "
                           "--seed 4 --cores 2 --processes 3 --switch-interval 250";
  expect_same_as_cycle(args);
  const tb::Json j = run_json(args + " --walker cosim");
  EXPECT_GT(j["context_switches"].get<std::uint64_t>(), 0u);
  EXPECT_GT(j["per_core"][1]["cosim_compared"].get<std::uint64_t>(), 0u);
}

// Escaped frames: the firmware's FILTER_ADDs each flush the walk caches; the first walks start
// while those invalidations still reach the walkers one per cycle, and the RTL's filter is reloaded
// in zero time meanwhile.
TEST(CosimRunEscapeFilter, EscapedFramesWhileInvalidationsDrain) {
  expect_same_as_cycle(std::string(kSmall) +
                       " --mode dual-direct --footprint 16m --escaped-frames 16");
}

// Entries without A/D bits: the walks' SET_BITS references reach memory once (the cycle-level
// walker's), and the RTL gets the same old values back.
TEST(CosimRunAd, WalksThatSetAccessedAndDirtyBits) {
  expect_same_as_cycle(std::string(kSmall) + " --mode nested --footprint 16m --no-preset-ad");
}

// Shadow paging: the hardware runs native walks of the VMM's shadow tables; with demand paging the
// firmware's exits rewrite shadow entries and invalidate between walks.
TEST(CosimRunShadow, ShadowTablesWithDemandPaging) {
  expect_same_as_cycle(std::string(kSmall) + " --mode shadow --footprint 16m --demand-paging");
}

// Dynamic switching: the VMM flips a process between nested and shadow paging mid-run (MODE and
// CR3 rewritten, its PCID invalidated); the RTL follows every switch.
TEST(CosimRunDynamic, SwitchesBetweenNestedAndShadowPaging) {
  TempDir dir;
  std::ofstream(dir.file("policy.json")) << R"({"paging_policy": {"interval": 500}})";
  const std::string args = "run --mode dynamic --workload gups --accesses 6000 --seed 3 "
                           "--footprint 16m --demand-paging --config " +
                           dir.file("policy.json");
  expect_same_as_cycle(args);
  const tb::Json j = run_json(args + " --walker cosim");
  EXPECT_GE(j["paging_switches"].get<std::uint64_t>(), 2u);
}

TEST(CosimRunOutput, TableNamesTheComparedWalks) {
  TempDir dir;
  const Output r = run_mmuvp(dir, std::string(kSmall) + " --mode native --walker cosim");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("cosim compared walks"), std::string::npos) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(CosimRunWave, WaveIsTheRtlFst) {
  TempDir dir;
  const std::string fst = dir.file("x.fst");
  const Output r = run_mmuvp(
      dir, std::string(kSmall) + " --mode nested --footprint 16m --walker cosim --wave " + fst);
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_TRUE(std::filesystem::exists(fst));
  EXPECT_GT(std::filesystem::file_size(fst), 1000u);
  const Output vcd = run_mmuvp(dir, std::string(kSmall) + " --walker cosim --wave " +
                                        dir.file("x.vcd"));
  EXPECT_EQ(vcd.code, 2);
  EXPECT_EQ(vcd.err_lines().size(), 1u) << vcd.err;
  EXPECT_NE(vcd.err.find(".fst"), std::string::npos) << vcd.err;
}

TEST(CosimRunLimits, WhatTheRtlCannotRunIsAOneLineError) {
  TempDir dir;
  const Output slots = run_mmuvp(dir, "run --walker cosim --walk-slots 4 --accesses 100");
  EXPECT_EQ(slots.code, 2) << slots.err;
  EXPECT_EQ(slots.err_lines().size(), 1u) << slots.err;
  EXPECT_NE(slots.err.find("built with 2 slots"), std::string::npos) << slots.err;
  const Output pwc = run_mmuvp(dir, "run --walker cosim --no-pwc --accesses 100");
  EXPECT_EQ(pwc.code, 2) << pwc.err;
  EXPECT_EQ(pwc.err_lines().size(), 1u) << pwc.err;
}

}  // namespace
}  // namespace mmuvp::test
