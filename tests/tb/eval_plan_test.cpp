// The evaluation plan (tb/eval/eval_plan.h): configurations x workloads in the plot's order, the
// selections by name and their errors, trace names, the escape and waveform runs, and the exact
// `mmuvp run` command line of a run.
#include "tb/eval/eval_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace mmuvp::tb::eval {
namespace {

std::vector<std::string> names(const std::vector<EvalConfig>& cs) {
  std::vector<std::string> v;
  for (const EvalConfig& c : cs) v.push_back(c.name);
  return v;
}

TEST(EvalPlan, StandardConfigurations) {
  const std::vector<EvalConfig>& cs = standard_configs();
  EXPECT_EQ(names(cs), (std::vector<std::string>{
                           "native-4k", "native-2m", "native-1g", "nested-4k", "nested-2m",
                           "nested-1g", "nested-thp", "native-ds", "dual-direct", "vmm-direct",
                           "guest-direct"}));
  std::set<std::string> labels;
  for (const EvalConfig& c : cs) labels.insert(c.label);
  EXPECT_EQ(labels.size(), cs.size()) << "legend labels must be distinct";
  EXPECT_EQ(cs[4].mode, arch::Mode::kNested);
  EXPECT_EQ(cs[4].guest_pages, stub::PagePolicy::k2M);
  EXPECT_EQ(cs[4].host_pages, arch::PageSize::k2M);
  EXPECT_EQ(cs[6].guest_pages, stub::PagePolicy::kThp);
  EXPECT_EQ(cs[9].mode, arch::Mode::kVmmDirect);
}

TEST(EvalPlan, SelectConfigsKeepsTheStandardOrder) {
  EXPECT_EQ(select_configs("all").size(), standard_configs().size());
  EXPECT_EQ(names(select_configs("vmm-direct, native-4k,nested-4k,native-4k")),
            (std::vector<std::string>{"native-4k", "nested-4k", "vmm-direct"}));
  try {
    select_configs("native-4k,native-8k");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).rfind("unknown configuration 'native-8k' (valid: all, "
                                          "native-4k, native-2m",
                                          0),
              0u)
        << e.what();
  }
  EXPECT_THROW(select_configs(","), std::invalid_argument);
}

TEST(EvalPlan, ShadowAndDynamicAreExtrasChosenByName) {
  for (const EvalConfig& c : select_configs("all")) EXPECT_FALSE(c.shadow_paging || c.dynamic_paging);
  const std::vector<EvalConfig> cs = select_configs("dynamic-4k,shadow-4k,nested-4k");
  EXPECT_EQ(names(cs), (std::vector<std::string>{"nested-4k", "shadow-4k", "dynamic-4k"}));
  EXPECT_EQ(run_mode_name(cs[0]), "nested");
  EXPECT_EQ(run_mode_name(cs[1]), "shadow");
  EXPECT_EQ(run_mode_name(cs[2]), "dynamic");
  EvalOptions opt;
  const EvalRun r = expand_plan(select_workloads("gups"), {cs[1]})[0];
  const std::vector<std::string> a = run_arguments(r, opt, "j");
  ASSERT_GE(a.size(), 3u);
  EXPECT_EQ(a[1], "--mode");
  EXPECT_EQ(a[2], "shadow");
  std::set<std::string> labels;
  for (const EvalConfig& c : select_configs("all")) labels.insert(c.label);
  for (const EvalConfig& c : extra_configs()) EXPECT_TRUE(labels.insert(c.label).second) << c.label;
}

TEST(EvalPlan, SelectWorkloadsAndTraceNames) {
  const std::vector<EvalWorkload> all = select_workloads("all");
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].name, "gups");
  EXPECT_EQ(all[4].name, "stream");
  EXPECT_TRUE(all[2].trace.empty());

  const std::vector<EvalWorkload> w =
      select_workloads("kv,gups", {"a/gups.trace", "b/app.txt", "c/app.out"});
  ASSERT_EQ(w.size(), 5u);
  EXPECT_EQ(w[0].name, "kv");
  EXPECT_EQ(w[1].name, "gups");
  EXPECT_EQ(w[2].name, "gups-2");  // a trace named like a generator
  EXPECT_EQ(w[2].trace, "a/gups.trace");
  EXPECT_EQ(w[3].name, "app");
  EXPECT_EQ(w[4].name, "app-2");
  EXPECT_EQ(select_workloads("none", {"x.trace"}).size(), 1u);
  EXPECT_THROW(select_workloads("none"), std::invalid_argument);
  EXPECT_THROW(select_workloads("gups,memcached"), std::invalid_argument);
}

TEST(EvalPlan, ExpandIsWorkloadMajor) {
  const std::vector<EvalConfig> cs = select_configs("native-4k,nested-4k,dual-direct");
  const std::vector<EvalRun> runs = expand_plan(select_workloads("gups,cg"), cs);
  ASSERT_EQ(runs.size(), 6u);
  const std::vector<std::string> ids{"gups.native-4k", "gups.nested-4k", "gups.dual-direct",
                                     "cg.native-4k",   "cg.nested-4k",   "cg.dual-direct"};
  for (std::size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(runs[i].id, ids[i]);
    EXPECT_EQ(runs[i].config.name, cs[i % 3].name);
    EXPECT_EQ(runs[i].workload.name, i < 3 ? "gups" : "cg");
    EXPECT_EQ(runs[i].escaped_frames, 0u);
  }
  EXPECT_EQ(expand_plan(select_workloads("all"), standard_configs()).size(), 55u);
}

TEST(EvalPlan, RunArgumentsOfAGeneratorRun) {
  EvalOptions opt;
  opt.accesses = 2000;
  opt.footprint = 64ull << 20;
  opt.seed = 7;
  opt.walker = WalkerKind::kGolden;
  opt.cores = 2;
  const EvalRun r = expand_plan(select_workloads("graph"), select_configs("nested-2m"))[0];
  EXPECT_EQ(run_arguments(r, opt, "out/graph.nested-2m.json"),
            (std::vector<std::string>{"run", "--mode", "nested", "--workload", "graph",
                                      "--accesses", "2000", "--footprint", "64m", "--guest-pages",
                                      "2m", "--host-pages", "2m", "--cores", "2", "--seed", "7",
                                      "--walker", "golden", "--json",
                                      "out/graph.nested-2m.json"}));
}

TEST(EvalPlan, RunArgumentsOfTraceEscapeAndWaveRuns) {
  EvalOptions opt;  // defaults: seed 1, tlm walker, 1 core
  EXPECT_EQ(opt.accesses, kDefaultAccesses);
  EXPECT_EQ(opt.footprint, kDefaultFootprint);
  opt.accesses = 500'000;
  opt.footprint = 1ull << 30;
  const EvalRun t = expand_plan(select_workloads("none", {"t/app.lackey"}),
                                select_configs("guest-direct"))[0];
  EXPECT_EQ(run_arguments(t, opt, "j"),
            (std::vector<std::string>{"run", "--mode", "guest-direct", "--trace", "t/app.lackey",
                                      "--accesses", "500000", "--footprint", "1g",
                                      "--guest-pages", "4k", "--host-pages", "4k", "--cores", "1",
                                      "--seed", "1", "--walker", "tlm", "--json", "j"}));

  const std::vector<EvalRun> esc = escape_plan(arch::Mode::kDualDirect, default_escape_frames());
  ASSERT_EQ(esc.size(), 4u);
  EXPECT_EQ(esc[2].id, "escape.dual-direct.16");
  const std::vector<std::string> a = run_arguments(esc[2], opt, "j");
  const std::vector<std::string> tail(a.end() - 4, a.end());
  EXPECT_EQ(tail, (std::vector<std::string>{"--escaped-frames", "16", "--json", "j"}));
  EXPECT_EQ(run_arguments(esc[0], opt, "j").size(), a.size() - 2);  // 0 frames: no flag
  EXPECT_THROW(escape_plan(arch::Mode::kNested, {1}), std::invalid_argument);

  const EvalRun w = wave_run("o/nested.vcd", 300);
  const std::vector<std::string> wa = run_arguments(w, opt, "j");
  EXPECT_EQ(wa[2], "nested");
  EXPECT_EQ(wa[6], "300");
  const std::vector<std::string> wtail(wa.end() - 6, wa.end());
  EXPECT_EQ(wtail, (std::vector<std::string>{"--walker", "cycle", "--wave", "o/nested.vcd",
                                             "--json", "j"}));
}

TEST(EvalPlan, CachelessRunsTurnTheWalkCachesOff) {
  const std::vector<EvalRun> runs = cacheless_plan(1234);
  std::vector<std::string> ids;
  for (const EvalRun& r : runs) ids.push_back(r.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"nocache.native-4k", "nocache.nested-4k",
                                           "nocache.native-ds", "nocache.dual-direct",
                                           "nocache.vmm-direct", "nocache.guest-direct"}));
  EvalOptions opt;
  for (const EvalRun& r : runs) {
    EXPECT_TRUE(r.no_pwc);
    EXPECT_EQ(r.workload.name, "gups");
    EXPECT_EQ(r.config.guest_pages, stub::PagePolicy::k4K);
    EXPECT_EQ(r.config.host_pages, arch::PageSize::k4K);
    const std::vector<std::string> a = run_arguments(r, opt, "j");
    EXPECT_EQ(a[2], std::string(arch::to_string(r.config.mode)));
    EXPECT_EQ(a[6], "1234");
    const std::vector<std::string> tail(a.end() - 3, a.end());
    EXPECT_EQ(tail, (std::vector<std::string>{"--no-pwc", "--json", "j"}));
  }
  // The plan's runs keep the caches on.
  const EvalRun plain = expand_plan(select_workloads("gups"), select_configs("nested-4k"))[0];
  const std::vector<std::string> a = run_arguments(plain, opt, "j");
  EXPECT_EQ(std::count(a.begin(), a.end(), "--no-pwc"), 0);
}

}  // namespace
}  // namespace mmuvp::tb::eval
