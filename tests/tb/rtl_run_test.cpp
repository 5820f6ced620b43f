// `mmuvp run --walker rtl` end to end (the built binary, MMUVP_EXE): the Verilated RTL walker as
// the platform's walker (tb/rtl_walker_port.h). A small nested run cross-checked against the golden
// model (--check) has no mismatch and the same counters as the cycle-level walker on the same run
// (both implement docs/walker-fsm.md cycle for cycle); --wave writes the RTL's FST, which fst2vcd
// reads back with each slot's state signal declared with the walk_state_e names; what the RTL
// cannot run is a one-line error.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "tests/command_output.h"
#include "tb/run_json.h"
#include "tests/tb/run_mmuvp.h"

#ifndef MMUVP_EXE
#error "MMUVP_EXE must name the mmuvp executable"
#endif

namespace mmuvp::test {
namespace {

constexpr const char* kNested =
    "run --mode nested --workload gups --accesses 3000 --footprint 32m --seed 5 --json -";

tb::Json run_json(const std::string& args) {
  TempDir dir;
  const Output r = run_mmuvp(dir, args);
  EXPECT_EQ(r.code, 0) << args << "\n" << r.err;
  if (r.code != 0) return tb::Json::object();
  return tb::Json::parse(r.out);
}

TEST(RtlRun, NestedCheckedRunHasNoMismatch) {
  const tb::Json j = run_json(std::string(kNested) + " --walker rtl --check");
  ASSERT_TRUE(j.contains("mismatches")) << j.dump();
  EXPECT_EQ(j["mismatches"].get<std::uint64_t>(), 0u);
  EXPECT_GT(j["checked_translations"].get<std::uint64_t>(), 1000u);
  EXPECT_GT(j["walks"].get<std::uint64_t>(), 100u);
  EXPECT_GT(j["ntlb_hits"].get<std::uint64_t>(), 0u);
  EXPECT_GT(j["pwc_hits"].get<std::uint64_t>(), 0u);
}

// The RTL and the cycle-level model on the platform: the same walks, references, walk and total
// cycles and cache statistics.
void expect_same_counters(const std::string& args) {
  const tb::Json rtl = run_json(args + " --walker rtl");
  const tb::Json cyc = run_json(args + " --walker cycle");
  for (const char* key : {"accesses", "l1_tlb_misses", "l2_tlb_misses", "walks", "walk_mem_refs",
                          "walk_cycles", "total_cycles", "translation_cycles", "pwc_lookups",
                          "pwc_hits", "ntlb_lookups", "ntlb_hits", "faults", "walk_requests",
                          "escape_filter_hits"}) {
    ASSERT_TRUE(rtl.contains(key) && cyc.contains(key)) << key;
    EXPECT_EQ(rtl[key], cyc[key]) << key;
  }
  EXPECT_GT(rtl["walk_cycles"].get<std::uint64_t>(), 0u);
}

TEST(RtlRun, SameCountersAsTheCycleLevelWalker) { expect_same_counters(kNested); }

// Escaped frames: the firmware's filter writes still reach the walker when the first walk starts
// (the RTL's register mirror writes in zero time while invalidations are queued), and escaped
// pages are walked instead of taking the segment.
TEST(RtlRun, SameCountersAsTheCycleLevelWalkerWithEscapedFrames) {
  expect_same_counters(
      "run --mode dual-direct --workload gups --accesses 3000 --footprint 256m --seed 5 "
      "--escaped-frames 16 --json -");
}

// --wave: the RTL's FST; fst2vcd -e declares each slot's state with the enum of walk_state_e
// (W_IDLE .. W_FAULT) and the run's walks leave W_IDLE.
TEST(RtlRun, WaveIsTheRtlFstWithStateNames) {
  TempDir dir;
  const std::string fst = dir.file("x.fst");
  const Output r = run_mmuvp(dir, "run --mode nested --workload gups --accesses 300 --footprint "
                                  "16m --walker rtl --wave " + fst);
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_TRUE(std::filesystem::exists(fst));
  bool ok = false;
  const std::string vcd = test::command_output("fst2vcd -e -f '" + fst + "' 2>/dev/null", ok);
  ASSERT_TRUE(ok) << "fst2vcd failed";
  // The enum table of the state type names all 17 states.
  std::size_t table = std::string::npos;
  for (std::size_t at = vcd.find("$attrbegin misc 07"); at != std::string::npos;
       at = vcd.find("$attrbegin misc 07", at + 1)) {
    const std::size_t end = vcd.find("$end", at);
    const std::string decl = vcd.substr(at, end - at);
    if (decl.find("W_IDLE") != std::string::npos && decl.find("W_FAULT") != std::string::npos &&
        decl.find("W_GCHK") != std::string::npos && decl.find("W_EAD_WAIT") != std::string::npos)
      table = at;
  }
  EXPECT_NE(table, std::string::npos) << "no enum table with the state names";
  // Each slot's state_q is declared, right after an attribute naming an enum table.
  unsigned states = 0;
  std::istringstream in(vcd);
  std::string line, previous, code;
  while (std::getline(in, line) && line.find("$enddefinitions") == std::string::npos) {
    if (line.find("$var") != std::string::npos && line.find(" state_q ") != std::string::npos &&
        previous.find("$attrbegin misc 07") != std::string::npos) {
      std::istringstream f(line);
      std::string var, type, width, id;
      f >> var >> type >> width >> id;
      if (states++ == 0) code = id;  // slot 0's (one core: every walk takes slot 0)
    }
    previous = line;
  }
  EXPECT_EQ(states, 2u) << "one state_q per slot, with its enum";
  // Slot 0 walked: its state took W_GCHK (12) and W_ECHK (7) at some change.
  EXPECT_NE(vcd.find("b01100 " + code + "\n"), std::string::npos);
  EXPECT_NE(vcd.find("b00111 " + code + "\n"), std::string::npos);
}

TEST(RtlRun, WhatTheRtlCannotRunIsAOneLineError) {
  TempDir dir;
  const Output slots = run_mmuvp(dir, "run --walker rtl --walk-slots 4 --accesses 100");
  EXPECT_EQ(slots.code, 2) << slots.err;
  EXPECT_EQ(slots.err_lines().size(), 1u) << slots.err;
  EXPECT_NE(slots.err.find("built with 2 slots"), std::string::npos) << slots.err;
  const Output vcd = run_mmuvp(dir, "run --walker rtl --accesses 100 --wave " + dir.file("w.vcd"));
  EXPECT_EQ(vcd.code, 2) << vcd.err;
  EXPECT_NE(vcd.err.find(".fst"), std::string::npos) << vcd.err;
}

}  // namespace
}  // namespace mmuvp::test
