// The coverage regression of the RTL walker (scripts/rtl-coverage.sh, docs/rtl-coverage.md): the
// coverage-instrumented Verilated walker (library mmuvp_rtl_walker_cov) driven over stub-built
// address spaces in every mode (rtl_stub_bench.h), every response checked against the golden model.
// Writes one Verilator coverage file per configuration into OUT_DIR, then reads them back and
// prints, per state of walk_state_e and per fault kind, the count of its cover point (cycles a
// slot spent in the state, responses with the fault) next to the testbench's own count of fault
// responses. Exit 0 only if every response matched and every state and fault kind was reached.
//
// Usage: rtl_coverage_run OUT_DIR [--accesses N] [--seed S]
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "verilated.h"
#include "verilated_cov.h"
#pragma GCC diagnostic pop

#include "arch/fault.h"
#include "tests/rtl/rtl_stub_bench.h"
#include "tlm/walk_fsm.h"

namespace {

using mmuvp::rtltest::StubBench;
using mmuvp::rtltest::StubCase;

constexpr const char* kUsage = "usage: rtl_coverage_run OUT_DIR [--accesses N] [--seed S]";

bool parse_u64(const char* s, std::uint64_t& out) {
  char* end = nullptr;
  if (s == nullptr || *s == '\0' || *s == '-') return false;
  out = std::strtoull(s, &end, 0);
  return *end == '\0';
}

// Sums the counts of the cover points named `name` (the 'o' field of a coverage record) over
// every file and every slot instance.
std::map<std::string, std::uint64_t> cover_counts(const std::vector<std::string>& files) {
  std::map<std::string, std::uint64_t> out;
  for (const std::string& f : files) {
    std::ifstream in(f);
    std::string line;
    while (std::getline(in, line)) {
      // C '<\001key\002value>...' count
      if (line.size() < 4 || line[0] != 'C') continue;
      const std::size_t o = line.find("\001o\002");
      const std::size_t q = line.rfind('\'');
      if (o == std::string::npos || q == std::string::npos || q < o) continue;
      std::size_t e = line.find('\001', o + 3);
      if (e == std::string::npos || e > q) e = q;
      const std::string name = line.substr(o + 3, e - o - 3);
      out[name] += std::strtoull(line.c_str() + q + 1, nullptr, 10);
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "%s\n", kUsage);
    return 2;
  }
  const std::filesystem::path out_dir = argv[1];
  std::uint64_t accesses = 1500, seed = 1;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--accesses" && i + 1 < argc && parse_u64(argv[i + 1], accesses) && accesses > 0 &&
        accesses <= 10'000'000) {
      ++i;
    } else if (a == "--seed" && i + 1 < argc && parse_u64(argv[i + 1], seed)) {
      ++i;
    } else {
      std::fprintf(stderr, "rtl_coverage_run: bad argument '%s'\n%s\n", a.c_str(), kUsage);
      return 2;
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    std::fprintf(stderr, "rtl_coverage_run: cannot create %s: %s\n", out_dir.c_str(),
                 ec.message().c_str());
    return 1;
  }

  std::vector<std::string> files;
  std::array<std::uint64_t, 6> faults{};
  std::uint64_t checked = 0;
  bool ok = true;
  unsigned index = 0;
  for (const StubCase& c : mmuvp::rtltest::stub_cases(static_cast<unsigned>(accesses), seed)) {
    StubBench bench(c);
    std::string report;
    if (!bench.run(report)) {
      std::fprintf(stderr, "MISMATCH %s\n", report.c_str());
      ok = false;
    }
    if (bench.register_disagreements() != 0) {
      std::fprintf(stderr, "%s: %llu register writes answered differently\n", c.name().c_str(),
                   static_cast<unsigned long long>(bench.register_disagreements()));
      ok = false;
    }
    for (std::size_t k = 0; k < faults.size(); ++k) faults[k] += bench.fault_kinds()[k];
    checked += bench.checked();
    // The harness's model was the last context constructed: its coverage is this run's.
    const std::string file = (out_dir / ("cov_" + std::to_string(index++) + ".dat")).string();
    Verilated::threadContextp()->coveragep()->write(file.c_str());
    files.push_back(file);
    std::printf("%-28s %6llu walks checked%s\n", c.name().c_str(),
                static_cast<unsigned long long>(bench.checked()), report.empty() ? "" : "  FAIL");
    if (!ok) break;
  }

  const auto counts = cover_counts(files);
  auto count_of = [&](const std::string& name) {
    const auto it = counts.find(name);
    return it == counts.end() ? std::uint64_t{0} : it->second;
  };
  // Cover point names of walker_top.sv, in walk_state_e order.
  static const char* const kStateCover[mmuvp::tlm::kWStateCount] = {
      "CovIdle",  "CovSeg",    "CovPwc",   "CovHseg",   "CovNtlb",    "CovEreq",
      "CovEwait", "CovEchk",   "CovEadReq", "CovEadWait", "CovGreq",   "CovGwait",
      "CovGchk",  "CovGadReq", "CovGadWait", "CovDone",  "CovFault"};
  static const char* const kFaultCover[6] = {nullptr,           "CovFltNonCanonical",
                                             "CovFltGuestPf",   "CovFltEptViolation",
                                             "CovFltEptMisconfig", "CovFltMemoryError"};
  bool reached = true;
  std::printf("\n%-12s %-12s %14s\n", "state", "cover point", "slot-cycles");
  for (unsigned s = 0; s < mmuvp::tlm::kWStateCount; ++s) {
    const std::uint64_t n = count_of(kStateCover[s]);
    reached = reached && n > 0;
    std::printf("%-12s %-12s %14llu%s\n",
                std::string(mmuvp::tlm::kWStateNames[s]).c_str(), kStateCover[s],
                static_cast<unsigned long long>(n), n == 0 ? "  NOT REACHED" : "");
  }
  std::printf("\n%-16s %-20s %12s %12s\n", "fault kind", "cover point", "cover count",
              "responses");
  for (unsigned k = 1; k < 6; ++k) {
    const std::uint64_t n = count_of(kFaultCover[k]);
    reached = reached && n > 0 && faults[k] > 0;
    std::printf("%-16s %-20s %12llu %12llu%s\n",
                std::string(mmuvp::arch::to_string(static_cast<mmuvp::arch::FaultKind>(k)))
                    .c_str(),
                kFaultCover[k], static_cast<unsigned long long>(n),
                static_cast<unsigned long long>(faults[k]), n == 0 ? "  NOT REACHED" : "");
  }
  std::printf("\n%llu walks checked against the golden model, %zu coverage files in %s\n",
              static_cast<unsigned long long>(checked), files.size(), out_dir.c_str());
  if (!ok) return 1;
  if (!reached) {
    std::fprintf(stderr, "rtl_coverage_run: some state or fault kind was not reached\n");
    return 1;
  }
  return 0;
}
