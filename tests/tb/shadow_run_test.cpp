// `mmuvp run --mode shadow` (RunConfig::shadow_paging) on the platform against the golden runner:
// shadow walks cost native references, every VM exit the shadow pager takes (page-table stores,
// CR3 writes, hidden faults) is counted the same by both, charged its cost in time, and every
// translation agrees with the golden model.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <systemc>

#include <fstream>
#include <string>

#include "tb/run_json.h"
#include "tb/simulation.h"
#include "tests/tb/run_mmuvp.h"
#include "tests/tb/simulation_test_util.h"

namespace mmuvp::tb {
namespace {

using arch::Mode;
using test::expect_same_translation_counts;
using test::small_run;

RunConfig shadow_run(WalkerKind walker, std::uint64_t accesses = 30'000) {
  RunConfig c = small_run(Mode::kNested, "gups", walker, accesses);
  c.shadow_paging = true;
  return c;
}

// `c` run by the golden runner, then by the platform with `walker` (every translation checked
// against the golden model when `check`).
struct Runs {
  RunStats golden, platform;
};
Runs golden_then(RunConfig c, WalkerKind walker, bool check = false) {
  Runs r;
  c.walker = WalkerKind::kGolden;
  r.golden = simulate(c);
  c.walker = walker;
  c.check = check;
  r.platform = simulate(c);
  return r;
}

// 4 processes on 2 cores, each core switching between its two every `interval` accesses.
void two_cores_four_processes(RunConfig& c, std::uint64_t interval) {
  c.cores = 2;
  c.processes = 4;
  c.switch_interval = interval;
}

TEST(ShadowRun, WalksCostNativeReferencesAndMatchTheGoldenRun) {
  RunConfig c = shadow_run(WalkerKind::kGolden);
  const auto [golden, s] = golden_then(c, WalkerKind::kTlm);
  EXPECT_EQ(s.total.accesses, c.accesses);
  EXPECT_GT(s.total.walks, 1'000u);
  EXPECT_EQ(s.total.walk_mem_refs, 4 * s.total.walks);  // --no-pwc, 4K+4K: as native
  EXPECT_EQ(s.total.faults, 0u);
  EXPECT_EQ(s.total.vm_exits, 0u);  // the mappings were all made before the run
  expect_same_translation_counts(golden.total, s.total);
  EXPECT_EQ(stats_to_json(s).at("mode"), "shadow");
}

TEST(ShadowRun, DemandPagingExitsAreCountedAlikeAndCostTheirCycles) {
  RunConfig c = shadow_run(WalkerKind::kGolden, 20'000);
  c.demand_paging = true;
  const auto [golden, s] = golden_then(c, WalkerKind::kTlm);
  EXPECT_EQ(s.total.accesses, c.accesses);
  EXPECT_GT(s.total.faults, 1'000u);
  // Per page first touched: a hidden fault, the guest's PTE store (and table links), and with
  // the EPT backed on demand a second hidden fault: more exits than faults.
  EXPECT_GT(s.total.vm_exits, s.total.faults);
  EXPECT_EQ(s.total.vm_exit_cycles, s.total.vm_exits * c.vm_exit_cycles);
  expect_same_translation_counts(golden.total, s.total);
  EXPECT_GT(s.translation_overhead,
            static_cast<double>(s.total.vm_exit_cycles) / static_cast<double>(s.total.total_cycles));
}

// Two runs of the executable (one SystemC elaboration each), the same but for the exit cost: the
// shadow pager's exits, and nested paging's EPT violations.
class ExitCost : public ::testing::TestWithParam<const char*> {};

TEST_P(ExitCost, MovesTheCoreTimeByExactlyTheCharge) {
  test::TempDir dir;
  const std::string base = std::string("run --mode ") + GetParam() +
                           " --workload gups --accesses 20000 --footprint 16m --no-pwc --seed 7 "
                           "--demand-paging --json - --config ";
  std::ofstream(dir.file("free.json")) << R"({"vm_exit_cycles": 0})";
  std::ofstream(dir.file("paid.json")) << R"({"vm_exit_cycles": 1500})";
  const test::Output free_run = test::run_mmuvp(dir, base + dir.file("free.json"));
  ASSERT_EQ(free_run.code, 0) << free_run.err;
  const nlohmann::json f = nlohmann::json::parse(free_run.out);
  const test::Output paid_run = test::run_mmuvp(dir, base + dir.file("paid.json"));
  ASSERT_EQ(paid_run.code, 0) << paid_run.err;
  const nlohmann::json p = nlohmann::json::parse(paid_run.out);
  ASSERT_GT(p.at("vm_exits").get<std::uint64_t>(), 1'000u);
  EXPECT_EQ(p.at("vm_exits"), f.at("vm_exits"));
  EXPECT_EQ(f.at("vm_exit_cycles"), 0u);
  EXPECT_EQ(p.at("vm_exit_cycles").get<std::uint64_t>(),
            1500 * p.at("vm_exits").get<std::uint64_t>());
  EXPECT_EQ(p.at("total_cycles").get<std::uint64_t>() - f.at("total_cycles").get<std::uint64_t>(),
            p.at("vm_exit_cycles").get<std::uint64_t>());
  EXPECT_EQ(p.at("translation_cycles"), f.at("translation_cycles"));
}

INSTANTIATE_TEST_SUITE_P(Paging, ExitCost, ::testing::Values("shadow", "nested"));

TEST(ShadowRun, ContextSwitchesAreCr3ExitsAndEveryTranslationChecks) {
  RunConfig c = shadow_run(WalkerKind::kGolden, 40'000);
  two_cores_four_processes(c, 2'000);
  const auto [golden, s] = golden_then(c, WalkerKind::kTlm, true);
  EXPECT_GT(s.total.context_switches, 10u);
  EXPECT_EQ(s.total.vm_exits, s.total.context_switches);  // one CR3 exit per switch
  EXPECT_EQ(s.total.checked_translations, s.total.accesses);
  EXPECT_EQ(s.total.mismatches, 0u);
  for (unsigned i = 0; i < 2; ++i) expect_same_translation_counts(golden.per_core[i], s.per_core[i]);
}

TEST(ShadowRun, CycleLevelWalkerAgreesToo) {
  RunConfig c = shadow_run(WalkerKind::kGolden, 5'000);
  c.demand_paging = true;
  const auto [golden, s] = golden_then(c, WalkerKind::kCycle);
  expect_same_translation_counts(golden.total, s.total);
  EXPECT_GT(s.total.vm_exits, 0u);
  EXPECT_LE(s.total.walk_mem_refs, 4 * s.total.walks);  // faulting walks stop early
}

// Every VM exit costs the same, whatever the paging: under nested paging with demand paging the
// EPT violations are charged too, so shadow and nested compare on equal terms.
TEST(ShadowRun, NestedEptViolationsAreChargedLikeShadowExits) {
  RunConfig c = small_run(Mode::kNested, "gups", WalkerKind::kGolden, 20'000);
  c.demand_paging = true;
  const auto [golden, s] = golden_then(c, WalkerKind::kTlm);
  EXPECT_GT(s.total.vm_exits, 1'000u);
  EXPECT_EQ(s.total.vm_exit_cycles, s.total.vm_exits * c.vm_exit_cycles);
  expect_same_translation_counts(golden.total, s.total);
  EXPECT_DOUBLE_EQ(s.translation_overhead,
                   static_cast<double>(s.total.translation_cycles + s.total.vm_exit_cycles) /
                       static_cast<double>(s.total.total_cycles));
}

TEST(ShadowRun, OnlyTheNestedVmRunsOnShadowTables) {
  RunConfig c = shadow_run(WalkerKind::kGolden);
  c.mode = Mode::kVmmDirect;
  EXPECT_THROW(simulate(c), SimulationError);
}

// ---- dynamic switching (--mode dynamic) -----------------------------------------------------

RunConfig dynamic_run(WalkerKind walker, std::uint64_t accesses) {
  RunConfig c = small_run(Mode::kNested, "gups", walker, accesses, 64ull << 20);
  c.dynamic_paging = true;
  c.paging_policy.interval = 10'000;
  return c;
}

void expect_same_switches(const RunStats& golden, const RunStats& s) {
  ASSERT_EQ(s.paging_switches.size(), golden.paging_switches.size());
  for (std::size_t i = 0; i < s.paging_switches.size(); ++i) {
    EXPECT_EQ(s.paging_switches[i].core, golden.paging_switches[i].core);
    EXPECT_EQ(s.paging_switches[i].at_access, golden.paging_switches[i].at_access);
    EXPECT_EQ(s.paging_switches[i].to_shadow, golden.paging_switches[i].to_shadow);
    EXPECT_EQ(s.paging_switches[i].reason, golden.paging_switches[i].reason);
  }
}

// gups walks a lot and never edits its tables: nested is dear, shadow nearly free. The process
// tries shadow after the minimum dwell and stays; walks then cost native references.
TEST(DynamicRun, WalkHeavyProcessMovesToShadowAndStays) {
  RunConfig c = dynamic_run(WalkerKind::kGolden, 100'000);
  const auto [golden, s] = golden_then(c, WalkerKind::kTlm);
  ASSERT_EQ(s.paging_switches.size(), 1u);
  const PagingSwitch& w = s.paging_switches.front();
  EXPECT_TRUE(w.to_shadow);
  EXPECT_EQ(w.at_access, 2 * c.paging_policy.interval);  // after the minimum dwell of 2
  EXPECT_NE(w.reason.find("nested costs"), std::string::npos) << w.reason;
  EXPECT_EQ(s.total.paging_switches, 1u);
  EXPECT_EQ(s.total.vm_exits, 1u);  // the switch itself
  // After the switch the walks are the shadow's: far fewer references than nested all along.
  RunConfig nested = c;
  nested.dynamic_paging = false;
  nested.walker = WalkerKind::kGolden;
  const RunStats all_nested = simulate(nested);
  EXPECT_GE(s.total.walks, all_nested.total.walks);  // plus the refills after the switch flush
  EXPECT_LT(s.total.walk_mem_refs, all_nested.total.walk_mem_refs / 3);
  expect_same_translation_counts(golden.total, s.total);
  expect_same_switches(golden, s);
  const nlohmann::json j = stats_to_json(s);
  EXPECT_EQ(j.at("mode"), "dynamic");
  ASSERT_EQ(j.at("paging_switch_log").size(), 1u);
  EXPECT_EQ(j["paging_switch_log"][0]["to"], "shadow");
}

// With demand paging, shadow paging pays an exit per page-table store and hidden fault: the
// process goes back to nested when shadow turns out dearer. Golden and platform agree on every
// decision; every translation is checked.
TEST(DynamicRun, ExitHeavyShadowGoesBackToNestedAndEveryTranslationChecks) {
  RunConfig c = dynamic_run(WalkerKind::kGolden, 60'000);
  c.demand_paging = true;
  const auto [golden, s] = golden_then(c, WalkerKind::kTlm, true);
  ASSERT_GE(s.paging_switches.size(), 2u);
  EXPECT_TRUE(s.paging_switches[0].to_shadow);
  EXPECT_FALSE(s.paging_switches[1].to_shadow);
  EXPECT_NE(s.paging_switches[1].reason.find("cheaper by more than 25%"), std::string::npos)
      << s.paging_switches[1].reason;
  EXPECT_GE(s.total.checked_translations, s.total.accesses);  // faulting attempts are checked too
  EXPECT_EQ(s.total.mismatches, 0u);
  expect_same_translation_counts(golden.total, s.total);
  expect_same_switches(golden, s);
}

TEST(DynamicRun, ProcessesOnSeveralCoresWithContextSwitches) {
  RunConfig c = dynamic_run(WalkerKind::kGolden, 60'000);
  two_cores_four_processes(c, 4'000);
  const auto [golden, s] = golden_then(c, WalkerKind::kTlm, true);
  EXPECT_GT(s.total.context_switches, 10u);
  EXPECT_GE(s.paging_switches.size(), 4u);  // each process moves to shadow
  EXPECT_EQ(s.total.mismatches, 0u);
  EXPECT_EQ(s.total.checked_translations, s.total.accesses);
  for (unsigned i = 0; i < 2; ++i) expect_same_translation_counts(golden.per_core[i], s.per_core[i]);
  expect_same_switches(golden, s);
}

}  // namespace
}  // namespace mmuvp::tb
