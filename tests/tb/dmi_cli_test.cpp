// The platform's direct path (tlm/mmu.h Mmu::direct_access, RunConfig::dmi) changes nothing but
// speed: `mmuvp run` with and without --no-dmi gives the same JSON (every counter of every core,
// the cache model's counts by level and requester, the cycles) on configurations that exercise
// what could go wrong: every translation mode, large pages, writes and A/D updates, faults with
// demand paging, context switches between PCIDs on several cores, the cycle-level walker, and the
// golden cross-check of every translation. Each run must also have used the path it claims: the
// direct run serves some accesses directly, the --no-dmi run none.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "tests/tb/run_mmuvp.h"

#ifndef MMUVP_EXE
#error "MMUVP_EXE must name the mmuvp executable"
#endif

namespace mmuvp::test {
namespace {

using Json = nlohmann::json;

struct DmiCase {
  const char* name;
  const char* args;
};

Json run_json(const std::string& args) {
  TempDir dir;
  const Output r = run_mmuvp(dir, "run " + args + " --json " + dir.file("out.json"));
  EXPECT_EQ(r.code, 0) << args << "\n" << r.err;
  return Json::parse(slurp(dir.file("out.json")));
}

// What may differ: host time, the flag itself and the count of directly served accesses.
Json comparable(Json j) {
  j.erase("sim_seconds");
  j.erase("accesses_per_second");
  j.erase("direct_accesses");
  j["config"].erase("dmi");
  for (Json& core : j["per_core"]) core.erase("direct_accesses");
  return j;
}

// ctest lists the case by name, not by bytes.
void PrintTo(const DmiCase& c, std::ostream* os) { *os << c.name; }

class DmiEquivalence : public ::testing::TestWithParam<DmiCase> {};

TEST_P(DmiEquivalence, SameCountsWithAndWithoutTheDirectPath) {
  const std::string args = GetParam().args;
  const Json direct = run_json(args);
  const Json transported = run_json(args + " --no-dmi");
  ASSERT_TRUE(direct.contains("caches") && direct["caches"].is_object()) << direct.dump();
  EXPECT_EQ(comparable(direct), comparable(transported)) << args;
  EXPECT_EQ(transported["direct_accesses"], 0u);
  const std::uint64_t accesses = direct["accesses"];
  const std::uint64_t served = direct["direct_accesses"];
  EXPECT_GT(served, 0u) << args;  // the direct path was really taken
  EXPECT_LE(served, accesses);
}

const DmiCase kCases[] = {
    {"NativeGups", "--mode native --workload gups --accesses 20000 --footprint 64m"},
    {"NativeStreamNoPwc",
     "--mode native --workload stream --accesses 20000 --footprint 64m --no-pwc"},
    {"NestedGraph", "--mode nested --workload graph --accesses 20000 --footprint 64m"},
    {"NestedKvThp2m",
     "--mode nested --workload kv --accesses 20000 --footprint 256m --guest-pages thp "
     "--host-pages 2m"},
    {"NestedCg1g",
     "--mode nested --workload cg --accesses 20000 --footprint 1g --guest-pages 1g "
     "--host-pages 1g"},
    {"VmmDirectStreamAdUpdates",
     "--mode vmm-direct --workload stream --accesses 20000 --footprint 64m --no-preset-ad"},
    {"GuestDirectGups", "--mode guest-direct --workload gups --accesses 20000 --footprint 64m"},
    {"DualDirectStream",
     "--mode dual-direct --workload stream --accesses 20000 --footprint 64m --private-in-heap"},
    {"NativeDsKvDemandPaging",
     "--mode native-ds --workload kv --accesses 20000 --footprint 64m --demand-paging"},
    {"NestedGupsDemandPaging",
     "--mode nested --workload gups --accesses 20000 --footprint 64m --demand-paging"},
    {"NestedFourCoresSwitching",
     "--mode nested --workload gups --accesses 10000 --footprint 64m --cores 4 --processes 6 "
     "--switch-interval 1500"},
    {"CycleWalkerNested",
     "--mode nested --workload graph --accesses 10000 --footprint 64m --walker cycle"},
    {"CheckedNative", "--mode native --workload stream --accesses 20000 --footprint 64m --check"},
};

INSTANTIATE_TEST_SUITE_P(Runs, DmiEquivalence, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<DmiCase>& i) {
                           return std::string(i.param.name);
                         });

}  // namespace
}  // namespace mmuvp::test
