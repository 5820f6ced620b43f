// `mmuvp demo` end to end: the built binary (MMUVP_EXE) prints one row per mode and page-size
// configuration; every row's cost per translation must be the one the architecture dictates for
// the page sizes the row reports its walks ended on (a native walk reads one entry per level, a
// nested walk (g+1)(h+1)-1 entries, a segment replaces a walk by one addition), and bad options
// are one-line errors with exit status 2.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "arch/mode.h"
#include "tests/tb/run_mmuvp.h"

#ifndef MMUVP_EXE
#error "MMUVP_EXE must name the mmuvp executable"
#endif

namespace mmuvp::test {
namespace {

constexpr std::uint64_t kAccesses = 2000;
constexpr unsigned kFootprintMib = 16;
constexpr unsigned kColumns = 11;  // before the note

// One row of the table: mode, guest page, host page, accesses, faults, refs/xlat, min-max,
// adds/xlat, gseg, vseg, filter, note.
struct Row {
  std::string mode, guest, host;
  std::uint64_t accesses = 0, faults = 0;
  std::string refs, min_max, adds;
  std::uint64_t gseg = 0, vseg = 0, filter = 0;
  std::string note;
};

Row parse_row(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> f;
  for (std::string w; in >> w;) f.push_back(w);
  if (f.size() < kColumns) throw std::runtime_error("short row: " + line);
  Row r;
  r.mode = f[0];
  r.guest = f[1];
  r.host = f[2];
  r.accesses = std::stoull(f[3]);
  r.faults = std::stoull(f[4]);
  r.refs = f[5];
  r.min_max = f[6];
  r.adds = f[7];
  r.gseg = std::stoull(f[8]);
  r.vseg = std::stoull(f[9]);
  r.filter = std::stoull(f[10]);
  for (std::size_t i = kColumns; i < f.size(); ++i) r.note += (r.note.empty() ? "" : " ") + f[i];
  return r;
}

// Entries a walk reads for a translation ending on a page of `size`: 4, 3 or 2 levels.
unsigned levels(const std::string& size) {
  if (size == "4K") return 4;
  if (size == "2M") return 3;
  if (size == "1G") return 2;
  ADD_FAILURE() << "not one page size: '" << size << "'";
  return 0;
}

std::string per_translation(double total) {
  return fmt::format("{:.2f}", total / static_cast<double>(kAccesses));
}

// refs/xlat and min-max of a row whose every translation reads exactly `reads` entries.
void expect_reads(const Row& r, unsigned reads) {
  EXPECT_EQ(r.refs, per_translation(static_cast<double>(reads) * kAccesses)) << r.mode;
  EXPECT_EQ(r.min_max, fmt::format("{}-{}", reads, reads)) << r.mode;
}

class DemoCli : public ::testing::Test {
 protected:
  Output demo(const std::string& args) { return run_mmuvp(dir_, "demo " + args); }
  void expect_error(const std::string& args, const std::string& message) {
    const Output r = demo(args);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_EQ(r.err, "mmuvp demo: error: " + message + "\n") << args;
  }
  TempDir dir_;
};

TEST_F(DemoCli, EveryModeCostsWhatItsPageSizesDictate) {
  const Output r = demo(fmt::format("--accesses {} --footprint-mib {}", kAccesses, kFootprintMib));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::vector<std::string> lines = lines_of(r.out);
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(lines[1].rfind(fmt::format("footprint {} MiB per address space, {} random 8-byte "
                                       "accesses per row",
                                       kFootprintMib, kAccesses),
                           0),
            0u)
      << lines[1];

  // The rows: between the second header line ("page page") and the blank line after them.
  std::size_t first = 0;
  while (first < lines.size() && lines[first].rfind("mode ", 0) != 0) ++first;
  ASSERT_LT(first + 2, lines.size()) << r.out;
  std::vector<Row> rows;
  for (std::size_t i = first + 2; i < lines.size() && !lines[i].empty(); ++i)
    rows.push_back(parse_row(lines[i]));

  std::map<std::string, std::vector<Row>> by_mode;
  for (const Row& row : rows) {
    SCOPED_TRACE(row.mode + " " + row.guest + " " + row.host);
    EXPECT_EQ(row.accesses, kAccesses);
    EXPECT_EQ(row.faults, 0u);
    by_mode[row.mode].push_back(row);
  }
  for (unsigned m = 0; m < arch::kModeCount; ++m) {
    EXPECT_EQ(by_mode.count(std::string(arch::to_string(static_cast<arch::Mode>(m)))), 1u)
        << "no row for mode " << arch::to_string(static_cast<arch::Mode>(m));
  }
  EXPECT_EQ(rows.size(), 19u);

  // Native: one entry per level, every guest page size once, no EPT.
  std::set<std::string> native_sizes;
  for (const Row& row : by_mode["native"]) {
    native_sizes.insert(row.guest);
    EXPECT_EQ(row.host, "-");
    expect_reads(row, levels(row.guest));
    EXPECT_EQ(row.adds, "0.00");
    EXPECT_EQ(row.gseg + row.vseg + row.filter, 0u);
  }
  EXPECT_EQ(native_sizes, (std::set<std::string>{"4K", "2M", "1G"}));

  // Nested: (g+1)(h+1)-1 for a guest walk of g levels over EPT walks of h levels, all nine pairs.
  std::set<std::pair<std::string, std::string>> nested_pairs;
  for (const Row& row : by_mode["nested"]) {
    nested_pairs.insert({row.guest, row.host});
    const unsigned g = levels(row.guest), h = levels(row.host);
    expect_reads(row, (g + 1) * (h + 1) - 1);
    EXPECT_EQ(row.adds, "0.00");
    EXPECT_EQ(row.gseg + row.vseg + row.filter, 0u);
  }
  EXPECT_EQ(nested_pairs.size(), 9u);
  EXPECT_EQ(by_mode["nested"].size(), 9u);
  for (const char* g : {"4K", "2M", "1G"})
    for (const char* h : {"4K", "2M", "1G"})
      EXPECT_EQ(nested_pairs.count({g, h}), 1u)
          << "no nested row for guest " << g << ", host " << h;
  const auto nested_cost = [&](const char* g, const char* h) {
    for (const Row& row : by_mode["nested"])
      if (row.guest == g && row.host == h) return row.refs;
    return std::string("missing");
  };
  EXPECT_EQ(nested_cost("4K", "4K"), "24.00");
  EXPECT_EQ(nested_cost("1G", "1G"), "8.00");

  // Flat-nested: the flat EPT reads 2 entries per gPA (levels 3 and 1), 1 for a 1G leaf:
  // (4+1)(2+1)-1 = 14 and (4+1)(1+1)-1 = 9.
  ASSERT_EQ(by_mode["flat-nested"].size(), 2u);
  for (const Row& row : by_mode["flat-nested"]) {
    EXPECT_EQ(row.guest, "4K");
    expect_reads(row, row.host == "4K" ? 14 : 9);
    EXPECT_EQ(row.gseg + row.vseg + row.filter, 0u);
  }

  // native-ds: the guest segment replaces the walk by one addition.
  ASSERT_EQ(by_mode["native-ds"].size(), 1u);
  const Row& ds = by_mode["native-ds"][0];
  expect_reads(ds, 0);
  EXPECT_EQ(ds.adds, "1.00");
  EXPECT_EQ(ds.gseg, kAccesses);
  EXPECT_EQ(ds.vseg + ds.filter, 0u);

  // dual-direct: both segments, two additions, no reference.
  ASSERT_EQ(by_mode["dual-direct"].size(), 1u);
  const Row& dual = by_mode["dual-direct"][0];
  expect_reads(dual, 0);
  EXPECT_EQ(dual.refs, "0.00");
  EXPECT_EQ(dual.adds, "2.00");
  EXPECT_EQ(dual.gseg, kAccesses);
  EXPECT_EQ(dual.vseg, kAccesses);
  EXPECT_EQ(dual.filter, 0u);

  // guest-direct: the guest segment gives the gPA, one EPT walk of the host page's levels.
  ASSERT_EQ(by_mode["guest-direct"].size(), 1u);
  const Row& gd = by_mode["guest-direct"][0];
  expect_reads(gd, levels(gd.host));
  EXPECT_EQ(gd.refs, "4.00");
  EXPECT_EQ(gd.adds, "1.00");
  EXPECT_EQ(gd.gseg, kAccesses);
  EXPECT_EQ(gd.vseg + gd.filter, 0u);

  // vmm-direct: the guest walk (g levels) with every one of its g + 1 gPAs added by the VMM
  // segment; with escaped frames each filter hit trades that addition for a 4-level EPT walk.
  ASSERT_EQ(by_mode["vmm-direct"].size(), 2u);
  for (const Row& row : by_mode["vmm-direct"]) {
    SCOPED_TRACE("vmm-direct " + row.note);
    const unsigned g = levels(row.guest);
    EXPECT_EQ(row.gseg, 0u);
    if (row.note.empty()) {
      expect_reads(row, g);
      EXPECT_EQ(row.refs, "4.00");
      EXPECT_EQ(row.adds, "5.00");
      EXPECT_EQ(row.vseg, kAccesses);
      EXPECT_EQ(row.filter, 0u);
      continue;
    }
    EXPECT_EQ(row.note, "16 escaped frames");
    EXPECT_EQ(row.host, "4K");  // the EPT leaves escaped gPAs are walked to
    const unsigned h = levels(row.host);
    EXPECT_EQ(row.refs, per_translation(static_cast<double>(g * kAccesses + h * row.filter)));
    EXPECT_EQ(row.adds, per_translation(static_cast<double>((g + 1) * kAccesses - row.filter)));
    EXPECT_LE(row.vseg, kAccesses);
    EXPECT_LE(kAccesses - row.vseg, row.filter);  // final gPAs that escaped
    unsigned lo = 0, hi = 0;
    ASSERT_EQ(std::sscanf(row.min_max.c_str(), "%u-%u", &lo, &hi), 2) << row.min_max;
    EXPECT_EQ(lo, g);  // most translations escape nothing
    EXPECT_EQ((hi - g) % h, 0u);
    EXPECT_LE(hi, g + (g + 1) * h);
    EXPECT_EQ(hi == g, row.filter == 0);
  }
}

TEST_F(DemoCli, BadOptionsAreOneLineErrors) {
  expect_error("--accesses 0", "--accesses must be in [1, 100000000]");
  expect_error("--accesses 100000001", "--accesses must be in [1, 100000000]");
  expect_error("--accesses -3", "--accesses: '-3' is not a number (hex 0x... or decimal)");
  expect_error("--seed -1", "--seed: '-1' is not a number (hex 0x... or decimal)");
  expect_error("--footprint-mib x", "--footprint-mib: 'x' is not a number (hex 0x... or decimal)");
  expect_error("--footprint-mib 0", "--footprint-mib must be in [1, 1048576]");
  expect_error("--footprint-mib 1048577", "--footprint-mib must be in [1, 1048576]");
  expect_error("--accesses x", "--accesses: 'x' is not a number (hex 0x... or decimal)");
  expect_error("--bogus", "The following argument was not expected: --bogus");
}

}  // namespace
}  // namespace mmuvp::test
