// RunConfig / RunStats JSON (tb/run_json.h): every RunConfig field survives a round trip and
// changes the JSON when changed, unknown keys and ill-typed values are errors naming the key, the
// stats JSON holds every SPEC §9 field with the counted values, sizes parse as the CLI reads them.
#include "tb/run_json.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace mmuvp::tb {
namespace {

using Mutation = std::pair<std::string, std::function<void(RunConfig&)>>;

// One change per RunConfig field (and per member of its nested structures), each to a value that
// is not the default.
std::vector<Mutation> every_field() {
  using arch::Mode;
  using arch::PageSize;
  return {
      {"mode", [](RunConfig& c) { c.mode = Mode::kDualDirect; }},
      {"workload", [](RunConfig& c) { c.workload = "kv"; }},
      {"trace", [](RunConfig& c) { c.trace = "some/trace.txt"; }},
      {"accesses", [](RunConfig& c) { c.accesses = 12345; }},
      {"footprint", [](RunConfig& c) { c.footprint = 3ull << 29; }},
      {"guest_pages", [](RunConfig& c) { c.guest_pages = stub::PagePolicy::kThp; }},
      {"host_pages", [](RunConfig& c) { c.host_pages = PageSize::k1G; }},
      {"cores", [](RunConfig& c) { c.cores = 8; }},
      {"processes", [](RunConfig& c) { c.processes = 3; }},
      {"switch_interval", [](RunConfig& c) { c.switch_interval = 777; }},
      {"walker", [](RunConfig& c) { c.walker = WalkerKind::kCycle; }},
      {"pwc", [](RunConfig& c) { c.pwc = false; }},
      {"seed", [](RunConfig& c) { c.seed = 0xdeadbeefcafef00dull; }},
      {"wave", [](RunConfig& c) { c.wave = "w.vcd"; }},
      {"check", [](RunConfig& c) { c.check = true; }},
      {"ad_updates", [](RunConfig& c) { c.ad_updates = false; }},
      {"preset_ad", [](RunConfig& c) { c.preset_ad = false; }},
      {"demand_paging", [](RunConfig& c) { c.demand_paging = true; }},
      {"private_in_heap", [](RunConfig& c) { c.private_in_heap = true; }},
      {"escaped_frames", [](RunConfig& c) { c.escaped_frames = 16; }},
      {"walk_slots", [](RunConfig& c) { c.walk_slots = 4; }},
      {"l2_tlb_latency", [](RunConfig& c) { c.l2_tlb_latency = 9; }},
      {"tlb.l1_4k", [](RunConfig& c) { c.tlb.l1_4k = {128, 8}; }},
      {"tlb.l1_2m", [](RunConfig& c) { c.tlb.l1_2m = {16, 2}; }},
      {"tlb.l1_1g", [](RunConfig& c) { c.tlb.l1_1g = {8, 8}; }},
      {"tlb.l2", [](RunConfig& c) { c.tlb.l2 = {1024, 8}; }},
      {"tlb.l2_sizes", [](RunConfig& c) { c.tlb.l2_sizes = {PageSize::k4K, PageSize::k2M}; }},
      {"pwc_config.pml4", [](RunConfig& c) { c.pwc_config.pml4 = {4, 4}; }},
      {"pwc_config.pdpt", [](RunConfig& c) { c.pwc_config.pdpt = {8, 8}; }},
      {"pwc_config.pd", [](RunConfig& c) { c.pwc_config.pd = {64, 4}; }},
      {"ntlb_config.geometry", [](RunConfig& c) { c.ntlb_config.geometry = {64, 8}; }},
      {"ntlb_config.sizes", [](RunConfig& c) { c.ntlb_config.sizes = {PageSize::k2M}; }},
      {"cache.line_bytes", [](RunConfig& c) { c.cache.line_bytes = 128; }},
      {"cache.l1d", [](RunConfig& c) { c.cache.l1d = {64 * 1024, 16, 5}; }},
      {"cache.l2", [](RunConfig& c) { c.cache.l2 = {512 * 1024, 16, 14}; }},
      {"cache.llc", [](RunConfig& c) { c.cache.llc = {0, 0, 0}; }},
      {"cache.dram_latency", [](RunConfig& c) { c.cache.dram_latency = 300; }},
      {"mmu.maxphyaddr", [](RunConfig& c) { c.mmu.maxphyaddr = 46; }},
      {"mmu.filter_bits", [](RunConfig& c) { c.mmu.filter_bits = 1024; }},
      {"mmu.filter_hashes", [](RunConfig& c) { c.mmu.filter_hashes = 2; }},
      {"quantum_cycles", [](RunConfig& c) { c.quantum_cycles = 500; }},
      {"clock_ghz", [](RunConfig& c) { c.clock_ghz = 2.2; }},
  };
}

void expect_same(const tlm::Geometry& a, const tlm::Geometry& b, const std::string& what) {
  EXPECT_EQ(a.entries, b.entries) << what;
  EXPECT_EQ(a.ways, b.ways) << what;
}
void expect_same(const tlm::CacheLevelConfig& a, const tlm::CacheLevelConfig& b,
                 const std::string& what) {
  EXPECT_EQ(a.size_bytes, b.size_bytes) << what;
  EXPECT_EQ(a.ways, b.ways) << what;
  EXPECT_EQ(a.latency, b.latency) << what;
}

// Field by field, independently of the JSON code.
void expect_same(const RunConfig& a, const RunConfig& b) {
  EXPECT_EQ(a.mode, b.mode);
  EXPECT_EQ(a.workload, b.workload);
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_EQ(a.accesses, b.accesses);
  EXPECT_EQ(a.footprint, b.footprint);
  EXPECT_EQ(a.guest_pages, b.guest_pages);
  EXPECT_EQ(a.host_pages, b.host_pages);
  EXPECT_EQ(a.cores, b.cores);
  EXPECT_EQ(a.processes, b.processes);
  EXPECT_EQ(a.switch_interval, b.switch_interval);
  EXPECT_EQ(a.walker, b.walker);
  EXPECT_EQ(a.pwc, b.pwc);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.wave, b.wave);
  EXPECT_EQ(a.check, b.check);
  EXPECT_EQ(a.ad_updates, b.ad_updates);
  EXPECT_EQ(a.preset_ad, b.preset_ad);
  EXPECT_EQ(a.demand_paging, b.demand_paging);
  EXPECT_EQ(a.private_in_heap, b.private_in_heap);
  EXPECT_EQ(a.escaped_frames, b.escaped_frames);
  EXPECT_EQ(a.walk_slots, b.walk_slots);
  EXPECT_EQ(a.l2_tlb_latency, b.l2_tlb_latency);
  expect_same(a.tlb.l1_4k, b.tlb.l1_4k, "tlb.l1_4k");
  expect_same(a.tlb.l1_2m, b.tlb.l1_2m, "tlb.l1_2m");
  expect_same(a.tlb.l1_1g, b.tlb.l1_1g, "tlb.l1_1g");
  expect_same(a.tlb.l2, b.tlb.l2, "tlb.l2");
  EXPECT_EQ(a.tlb.l2_sizes, b.tlb.l2_sizes);
  expect_same(a.pwc_config.pml4, b.pwc_config.pml4, "pml4");
  expect_same(a.pwc_config.pdpt, b.pwc_config.pdpt, "pdpt");
  expect_same(a.pwc_config.pd, b.pwc_config.pd, "pd");
  expect_same(a.ntlb_config.geometry, b.ntlb_config.geometry, "ntlb");
  EXPECT_EQ(a.ntlb_config.sizes, b.ntlb_config.sizes);
  EXPECT_EQ(a.cache.line_bytes, b.cache.line_bytes);
  expect_same(a.cache.l1d, b.cache.l1d, "l1d");
  expect_same(a.cache.l2, b.cache.l2, "l2");
  expect_same(a.cache.llc, b.cache.llc, "llc");
  EXPECT_EQ(a.cache.dram_latency, b.cache.dram_latency);
  EXPECT_EQ(a.mmu.maxphyaddr, b.mmu.maxphyaddr);
  EXPECT_EQ(a.mmu.filter_bits, b.mmu.filter_bits);
  EXPECT_EQ(a.mmu.filter_hashes, b.mmu.filter_hashes);
  EXPECT_EQ(a.quantum_cycles, b.quantum_cycles);
  EXPECT_DOUBLE_EQ(a.clock_ghz, b.clock_ghz);
}

TEST(RunConfigJson, EveryFieldChangesTheJsonAndSurvivesTheRoundTrip) {
  const Json defaults = config_to_json(RunConfig{});
  for (const auto& [name, mutate] : every_field()) {
    RunConfig c;
    mutate(c);
    const Json j = config_to_json(c);
    EXPECT_NE(j, defaults) << name << " is not written";
    // Through text, as a file would carry it.
    const RunConfig back = config_from_json(Json::parse(j.dump()));
    SCOPED_TRACE(name);
    expect_same(back, c);
    EXPECT_EQ(config_to_json(back), j);
  }
}

TEST(RunConfigJson, AllFieldsAtOnceRoundTrip) {
  RunConfig c;
  for (const auto& m : every_field()) m.second(c);
  const RunConfig back = config_from_json(Json::parse(config_to_json(c).dump(2)));
  expect_same(back, c);
}

TEST(RunConfigJson, AbsentKeysKeepTheirValueAndSizesMayBeStrings) {
  RunConfig c;
  c.cores = 4;
  apply_config_json(Json::parse(R"({"footprint": "512m", "tlb": {"l2": {"ways": 8}},
                                    "cache": {"llc": {"size_bytes": "30MiB"}},
                                    "host_pages": "2M", "guest_pages": "THP"})"),
                    c);
  EXPECT_EQ(c.cores, 4u);
  EXPECT_EQ(c.footprint, 512ull << 20);
  EXPECT_EQ(c.tlb.l2.ways, 8u);
  EXPECT_EQ(c.tlb.l2.entries, 512u);
  EXPECT_EQ(c.cache.llc.size_bytes, 30ull << 20);
  EXPECT_EQ(c.cache.llc.ways, 20u);
  EXPECT_EQ(c.host_pages, arch::PageSize::k2M);
  EXPECT_EQ(c.guest_pages, stub::PagePolicy::kThp);
}

std::string error_of(const std::string& text) {
  try {
    config_from_json(Json::parse(text));
  } catch (const JsonError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(RunConfigJson, UnknownKeysAreErrorsNamingTheKey) {
  EXPECT_EQ(error_of(R"({"cores": 2, "bogus": 1})"), "unknown key 'bogus'");
  EXPECT_EQ(error_of(R"({"tlb": {"l3": {"entries": 4, "ways": 4}}})"), "unknown key 'tlb.l3'");
  EXPECT_EQ(error_of(R"({"cache": {"l1d": {"size": 1}}})"), "unknown key 'cache.l1d.size'");
  EXPECT_EQ(error_of(R"({"pwc_config": {"pd": {"entries": 4, "sets": 1}}})"),
            "unknown key 'pwc_config.pd.sets'");
}

TEST(RunConfigJson, IllTypedValuesAreErrorsNamingTheKey) {
  EXPECT_EQ(error_of(R"({"cores": "two"})"),
            "key 'cores': expected an unsigned integer, got \"two\"");
  EXPECT_EQ(error_of(R"({"accesses": -5})"), "key 'accesses': expected an unsigned integer, got -5");
  EXPECT_EQ(error_of(R"({"cores": 4294967296})"),
            "key 'cores': expected an unsigned integer <= 4294967295, got 4294967296");
  EXPECT_EQ(error_of(R"({"mode": "sideways"})").rfind("key 'mode': expected a mode", 0), 0u);
  EXPECT_EQ(error_of(R"({"pwc": 1})"), "key 'pwc': expected true or false, got 1");
  EXPECT_EQ(error_of(R"({"tlb": 3})"), "key 'tlb': expected an object, got 3");
  EXPECT_EQ(error_of(R"({"footprint": "lots"})").rfind("key 'footprint': expected a size", 0), 0u);
  EXPECT_EQ(error_of(R"({"ntlb_config": {"sizes": ["4K", "3M"]}})")
                .rfind("key 'ntlb_config.sizes': expected an array of page sizes", 0),
            0u);
  EXPECT_EQ(error_of(R"([1, 2])"), "expected a JSON object, got array");
}

TEST(RunConfigJson, ValidateNamesTheBadField) {
  auto what = [](const std::function<void(RunConfig&)>& f) -> std::string {
    RunConfig c;
    f(c);
    try {
      validate_config(c);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "(valid)";
  };
  EXPECT_EQ(what([](RunConfig&) {}), "(valid)");
  EXPECT_EQ(what([](RunConfig& c) { c.cores = 0; }), "cores must be in [1, 64]");
  EXPECT_EQ(what([](RunConfig& c) { c.accesses = 0; }), "accesses must be at least 1");
  EXPECT_EQ(what([](RunConfig& c) { c.walk_slots = 17; }), "walk_slots must be in [1, 16]");
  EXPECT_NE(what([](RunConfig& c) { c.tlb.l2 = {500, 4}; }).find("TlbConfig"), std::string::npos);
  EXPECT_NE(what([](RunConfig& c) { c.mmu.maxphyaddr = 60; }), "(valid)");
}

TEST(ParseSize, UnitsAndPlainBytes) {
  EXPECT_EQ(parse_size("4g"), 4ull << 30);
  EXPECT_EQ(parse_size("512m"), 512ull << 20);
  EXPECT_EQ(parse_size("1GiB"), 1ull << 30);
  EXPECT_EQ(parse_size("64KB"), 64ull << 10);
  EXPECT_EQ(parse_size("2T"), 2ull << 40);
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("0"), 0u);
  for (const char* bad : {"", "g", "-1", "1.5g", "4x", "4gib2", "4 g", "0x100", "16777216t",
                          "18446744073709551616"}) {
    EXPECT_FALSE(parse_size(bad).has_value()) << bad;
  }
  EXPECT_EQ(format_size(1ull << 30), "1g");
  EXPECT_EQ(format_size(3ull << 29), "1536m");
  EXPECT_EQ(format_size(1000), "1000");
  EXPECT_EQ(format_size(0), "0");
}

TEST(ParseWalker, NamesRoundTrip) {
  for (WalkerKind w : {WalkerKind::kGolden, WalkerKind::kTlm, WalkerKind::kCycle, WalkerKind::kRtl,
                       WalkerKind::kCosim}) {
    EXPECT_EQ(parse_walker(to_string(w)), w);
  }
  EXPECT_FALSE(parse_walker("fast").has_value());
  EXPECT_EQ(to_string(WalkerKind::kGolden), "golden");
}

CoreStats numbered_counters(std::uint64_t base) {
  CoreStats s;
  std::uint64_t n = base;
  for (std::uint64_t* p :
       {&s.accesses, &s.instructions, &s.l1_tlb_misses, &s.l2_tlb_misses, &s.walks,
        &s.walk_mem_refs, &s.walk_cycles, &s.translation_cycles, &s.total_cycles, &s.segment_hits,
        &s.escape_filter_hits, &s.walk_requests, &s.segment_translations, &s.guest_segment_hits,
        &s.vmm_segment_hits, &s.escape_filter_lookups, &s.escape_filter_false_positives,
        &s.pwc_hits, &s.pwc_lookups, &s.ntlb_hits, &s.ntlb_lookups, &s.faults, &s.vm_exits,
        &s.context_switches, &s.checked_translations, &s.mismatches}) {
    *p = n++;
  }
  return s;
}

RunStats sample_stats() {
  RunStats s;
  s.config.mode = arch::Mode::kVmmDirect;
  s.config.cores = 2;
  s.workload_name = "gups";
  s.workload_describe = "random 8-byte updates over 1 GiB";
  s.per_core = {numbered_counters(100), numbered_counters(200)};
  s.total = numbered_counters(300);
  s.mem_refs_per_walk = 4.25;
  s.cycles_per_walk = 61.5;
  s.translation_overhead = 0.125;
  s.sim_seconds = 1.5;
  s.accesses_per_second = 200000;
  return s;
}

TEST(RunStatsJson, HasEverySpecFieldWithTheCountedValue) {
  const RunStats s = sample_stats();
  const Json j = stats_to_json(s);
  EXPECT_EQ(j.at("mode"), "vmm-direct");
  EXPECT_EQ(j.at("accesses"), s.total.accesses);
  EXPECT_EQ(j.at("l1_tlb_misses"), s.total.l1_tlb_misses);
  EXPECT_EQ(j.at("l2_tlb_misses"), s.total.l2_tlb_misses);
  EXPECT_EQ(j.at("walks"), s.total.walks);
  EXPECT_EQ(j.at("walk_mem_refs"), s.total.walk_mem_refs);
  EXPECT_DOUBLE_EQ(j.at("mem_refs_per_walk").get<double>(), 4.25);
  EXPECT_EQ(j.at("walk_cycles"), s.total.walk_cycles);
  EXPECT_DOUBLE_EQ(j.at("cycles_per_walk").get<double>(), 61.5);
  EXPECT_EQ(j.at("total_cycles"), s.total.total_cycles);
  EXPECT_DOUBLE_EQ(j.at("translation_overhead").get<double>(), 0.125);
  EXPECT_EQ(j.at("segment_hits"), s.total.segment_hits);
  EXPECT_EQ(j.at("escape_filter_hits"), s.total.escape_filter_hits);
  EXPECT_EQ(j.at("faults"), s.total.faults);
  EXPECT_EQ(j.at("vm_exits"), s.total.vm_exits);
  EXPECT_DOUBLE_EQ(j.at("sim_seconds").get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(j.at("accesses_per_second").get<double>(), 200000);
  // And the rest the task asks for: config, per-core, PWC/nested-TLB hits, the workload.
  EXPECT_EQ(j.at("pwc_hits"), s.total.pwc_hits);
  EXPECT_EQ(j.at("ntlb_hits"), s.total.ntlb_hits);
  EXPECT_EQ(j.at("workload"), "gups");
  EXPECT_EQ(j.at("workload_description"), "random 8-byte updates over 1 GiB");
  EXPECT_EQ(j.at("config").at("cores"), 2);
  ASSERT_EQ(j.at("per_core").size(), 2u);
  EXPECT_EQ(j.at("per_core")[1].at("walks"), s.per_core[1].walks);
}

TEST(RunStatsJson, RoundTripKeepsEveryCounter) {
  const RunStats s = sample_stats();
  const RunStats back = stats_from_json(Json::parse(stats_to_json(s).dump()));
  EXPECT_EQ(core_stats_to_json(back.total), core_stats_to_json(s.total));
  ASSERT_EQ(back.per_core.size(), 2u);
  EXPECT_EQ(core_stats_to_json(back.per_core[0]), core_stats_to_json(s.per_core[0]));
  EXPECT_EQ(back.total.escape_filter_false_positives, s.total.escape_filter_false_positives);
  EXPECT_EQ(back.workload_describe, s.workload_describe);
  EXPECT_EQ(back.config.mode, arch::Mode::kVmmDirect);
  EXPECT_DOUBLE_EQ(back.cycles_per_walk, 61.5);
  EXPECT_DOUBLE_EQ(back.accesses_per_second, 200000);
}

TEST(RunStatsJson, MissingCounterIsAnError) {
  Json j = stats_to_json(sample_stats());
  j.erase("walk_cycles");
  try {
    stats_from_json(j);
    FAIL() << "no error";
  } catch (const JsonError& e) {
    EXPECT_STREQ(e.what(), "missing key 'walk_cycles'");
  }
}

}  // namespace
}  // namespace mmuvp::tb
