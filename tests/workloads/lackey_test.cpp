// Lackey traces: the committed real sample against an independent line parser, every malformed
// case with its file:line message, instruction-fetch modes, modify splitting across batches, the
// region scan, and a multi-million-line trace read in bounded memory.
#include "workloads/lackey.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/workloads/test_util.h"
#include "workloads/factory.h"

#ifndef MMUVP_WORKLOADS_TEST_DATA
#error "MMUVP_WORKLOADS_TEST_DATA must name tests/workloads/data"
#endif

namespace mmuvp::workloads {
namespace {

using arch::AccessType;
using testing::collect;

const std::string kSample = std::string(MMUVP_WORKLOADS_TEST_DATA) + "/lackey_sample.trace";

std::string temp_path(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string test = info->name();
  std::replace(test.begin(), test.end(), '/', '_');  // parameterised names hold a '/'
  return ::testing::TempDir() + "mmuvp_" + test + "_" + name;
}

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = temp_path(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// The test's own reading of the format: sscanf per line.
struct RefRecord {
  char op;
  std::uint64_t addr;
  std::uint32_t size;
};
std::vector<RefRecord> reference_parse(const std::string& path) {
  std::ifstream in(path);
  std::vector<RefRecord> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("==", 0) == 0 || line.empty()) continue;
    char op = 0;
    std::uint64_t addr = 0;
    unsigned size = 0;
    if (std::sscanf(line.c_str(), " %c %" SCNx64 ",%u", &op, &addr, &size) == 3) {
      out.push_back({op, addr, size});
    }
  }
  return out;
}

std::vector<MemAccess> expected_stream(const std::vector<RefRecord>& recs, IFetchMode mode,
                                       std::uint64_t* trailing = nullptr) {
  std::vector<MemAccess> out;
  std::uint64_t insns = 0;
  for (const RefRecord& r : recs) {
    switch (r.op) {
      case 'I':
        if (mode == IFetchMode::kEmit) out.push_back({r.addr, r.size, AccessType::kExecute, 0, 1});
        if (mode == IFetchMode::kCount) ++insns;
        break;
      case 'L':
      case 'S':
      case 'M': {
        const auto n = static_cast<std::uint16_t>(insns);
        insns = 0;
        out.push_back({r.addr, r.size, r.op == 'S' ? AccessType::kWrite : AccessType::kRead, 0, n});
        if (r.op == 'M') out.push_back({r.addr, r.size, AccessType::kWrite, 0, 0});
        break;
      }
    }
  }
  if (trailing) *trailing = insns;
  return out;
}

TEST(Lackey, RealSampleMatchesAnIndependentParse) {
  const auto recs = reference_parse(kSample);
  std::map<char, std::uint64_t> ops;
  for (const auto& r : recs) ++ops[r.op];
  ASSERT_GT(recs.size(), 300u);
  ASSERT_GT(ops['M'], 0u) << "the sample has modify records";
  for (IFetchMode mode : {IFetchMode::kIgnore, IFetchMode::kCount, IFetchMode::kEmit}) {
    TraceWorkload w(kSample, TraceOptions{mode});
    std::uint64_t trailing = 0;
    const auto expect = expected_stream(recs, mode, &trailing);
    const auto got = collect(w, 1'000'000, 64);
    ASSERT_EQ(got.size(), expect.size()) << to_string(mode);
    EXPECT_TRUE(got == expect) << to_string(mode);
    EXPECT_EQ(w.stats().instructions, ops['I']);
    EXPECT_EQ(w.stats().loads, ops['L']);
    EXPECT_EQ(w.stats().stores, ops['S']);
    EXPECT_EQ(w.stats().modifies, ops['M']);
    EXPECT_EQ(w.stats().accesses, got.size());
    EXPECT_EQ(w.trailing_instructions(), mode == IFetchMode::kCount ? trailing : 0u);
  }
  // The sample's first data access: lines 7-9 are "I  0401ab70,3", "I  0401ab73,5",
  // " S 1fff000708,8", so two instructions precede the store.
  TraceWorkload w(kSample);
  MemAccess first;
  ASSERT_EQ(w.next(&first, 1), 1u);
  EXPECT_EQ(first, (MemAccess{0x1fff000708ull, 8, AccessType::kWrite, 0, 2}));
  EXPECT_EQ(w.name(), "trace:lackey_sample.trace");
}

TEST(Lackey, ModifySplitsAcrossBatchesAndResetRestarts) {
  const std::string path = write_file("m.trace", "I  1000,4\n M 7ff000,8\n L 7ff010,4\n");
  TraceWorkload w(path);
  MemAccess a;
  ASSERT_EQ(w.next(&a, 1), 1u);
  EXPECT_EQ(a, (MemAccess{0x7ff000, 8, AccessType::kRead, 0, 1}));
  ASSERT_EQ(w.next(&a, 1), 1u);
  EXPECT_EQ(a, (MemAccess{0x7ff000, 8, AccessType::kWrite, 0, 0}));
  ASSERT_EQ(w.next(&a, 1), 1u);
  EXPECT_EQ(a, (MemAccess{0x7ff010, 4, AccessType::kRead, 0, 0}));
  EXPECT_EQ(w.next(&a, 1), 0u);
  w.reset();
  const auto again = collect(w, 100);
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[0].insns, 1u);
}

TEST(Lackey, ToleratesValgrindNoiseAndLineEndings) {
  const std::string path = write_file(
      "ok.trace",
      "==12== Lackey\r\n--12-- debug line\n\n  \nI  0401AB70,3\r\n S 10,8   \n\tL\t20,1\n M 30,2");
  const auto s = collect(*make_trace_workload(path, TraceOptions{IFetchMode::kEmit}), 100);
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[0], (MemAccess{0x401ab70, 3, AccessType::kExecute, 0, 1}));
  EXPECT_EQ(s[1], (MemAccess{0x10, 8, AccessType::kWrite, 0, 0}));
  EXPECT_EQ(s[2], (MemAccess{0x20, 1, AccessType::kRead, 0, 0}));
  EXPECT_EQ(s[4], (MemAccess{0x30, 2, AccessType::kWrite, 0, 0}));  // last line, no newline
}

struct BadLine {
  const char* name;
  const char* line;
  const char* message;
};

void PrintTo(const BadLine& bad, std::ostream* os) { *os << bad.name; }

class LackeyMalformed : public ::testing::TestWithParam<BadLine> {};

TEST_P(LackeyMalformed, ErrorNamesFileLineAndProblem) {
  const BadLine& bad = GetParam();
  // The bad line is line 4, after a valgrind message, a valid record and a blank line.
  const std::string path =
      write_file(std::string(bad.name) + ".trace",
                 std::string("==1== hi\nI  1000,4\n\n") + bad.line + "\n L 2000,8\n");
  TraceWorkload w(path);
  try {
    collect(w, 100);
    FAIL() << "expected TraceError";
  } catch (const TraceError& e) {
    EXPECT_EQ(std::string(e.what()), path + ":4: " + bad.message);
  }
  // The region scan reports the same error.
  try {
    scan_regions(path);
    FAIL() << "expected TraceError";
  } catch (const TraceError& e) {
    EXPECT_EQ(std::string(e.what()), path + ":4: " + bad.message);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, LackeyMalformed,
    ::testing::Values(
        BadLine{"BadHexDigit", "I  04g1ab70,3", "bad hex digit 'g' in address"},
        BadLine{"MissingComma", " L 1fff000708 8", "missing ',' after the address (found ' ')"},
        BadLine{"MissingCommaAndSize", " L 1000", "missing ',' and size after the address"},
        BadLine{"UnknownOp", " X 1000,8", "unknown operation 'X' (expected I, L, S or M)"},
        BadLine{"Garbage", "\x01\x02", "unknown operation '\\x01' (expected I, L, S or M)"},
        BadLine{"NoSpaceAfterOp", "L1000,8", "expected a space after operation 'L'"},
        BadLine{"NoAddress", " L ,8", "bad hex address: unexpected ','"},
        BadLine{"OnlyOp", " L ", "expected a space after operation 'L'"},
        BadLine{"AddressTooLong", " L 11112222333344445,8",
                "address has 17 hex digits (at most 16)"},
        BadLine{"MissingSize", " L 1000,", "missing size after ','"},
        BadLine{"BadSize", " L 1000,x", "bad size: unexpected 'x'"},
        BadLine{"TrailingJunk", " L 1000,8x", "trailing characters after the size: 'x'"},
        BadLine{"SizeZero", " S 1000,0", "size 0"},
        BadLine{"SizeTooBig", " S 1000,4097", "size 4097 above 4096"},
        BadLine{"SizeHuge", " S 1000,99999999999999999999", "size 99999999999999999999 above 4096"},
        BadLine{"NonCanonical", " L 800000000000,8", "address 0x800000000000 is not canonical"},
        BadLine{"Wraps", " L ffffffffffffffff,8", "access at 0xffffffffffffffff wraps around"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Lackey, LineLongerThanTheBufferIsAnError) {
  const std::string path =
      write_file("long.trace", "I  1000,4\n L " + std::string(1000, '1') + ",8\n");
  TraceWorkload w(path, TraceOptions{IFetchMode::kCount, 256});
  try {
    collect(w, 100);
    FAIL() << "expected TraceError";
  } catch (const TraceError& e) {
    EXPECT_EQ(std::string(e.what()), path + ":2: line longer than 256 bytes (not a lackey trace?)");
  }
}

TEST(Lackey, MissingFileIsAnError) {
  const std::string path = temp_path("does_not_exist.trace");
  try {
    make_trace_workload(path);
    FAIL() << "expected TraceError";
  } catch (const TraceError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": cannot open: No such file or directory");
  }
}

TEST(Lackey, ScanRegionsCoversEveryAccessWithExactPages) {
  for (IFetchMode mode : {IFetchMode::kCount, IFetchMode::kEmit}) {
    const TraceScan scan = scan_regions(kSample, TraceOptions{mode});
    const auto recs = reference_parse(kSample);
    std::set<std::uint64_t> pages, written;
    for (const RefRecord& r : recs) {
      if (r.op == 'I' && mode != IFetchMode::kEmit) continue;
      for (std::uint64_t p = r.addr >> 12; p <= (r.addr + r.size - 1) >> 12; ++p) {
        pages.insert(p);
        if (r.op == 'S' || r.op == 'M') written.insert(p);
      }
    }
    EXPECT_EQ(scan.pages, pages.size());
    EXPECT_EQ(total_bytes(scan.regions), 4096 * pages.size());
    TraceWorkload w(kSample, TraceOptions{mode});
    const auto regions = w.regions();
    ASSERT_EQ(regions.size(), scan.regions.size());
    EXPECT_EQ(w.length(), scan.stats.accesses);
    unsigned primaries = 0;
    for (const Region& r : regions) {
      primaries += r.primary;
      bool any_written = false;
      for (std::uint64_t p = r.va >> 12; p < r.end() >> 12; ++p)
        any_written |= written.count(p) > 0;
      EXPECT_EQ(r.writable, any_written) << r.label;
    }
    EXPECT_EQ(primaries, 1u);
    for (const MemAccess& a : collect(w, 1'000'000)) {
      const Region* r = find_region(regions, a.va, a.size);
      if (r == nullptr) {  // a page-crossing access spans two adjacent regions
        ASSERT_NE(find_region(regions, a.va), nullptr);
        ASSERT_NE(find_region(regions, a.va + a.size - 1), nullptr);
        continue;
      }
      if (a.ifetch()) {
        EXPECT_TRUE(r->executable);
      }
      if (a.write()) {
        EXPECT_TRUE(r->writable);
      }
    }
  }
}

TEST(Lackey, ScanRefusesAbsurdTraces) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += fmt::format(" L {:x},8\n", 0x10000000ull + 0x1000ull * i);
  const std::string path = write_file("many_pages.trace", text);
  EXPECT_EQ(scan_regions(path).regions.size(), 1u);
  try {
    scan_regions(path, {}, ScanLimits{50, 1000});
    FAIL() << "expected TraceError";
  } catch (const TraceError& e) {
    EXPECT_EQ(std::string(e.what()), path +
                                         ": trace touches more than 50 pages (200 KiB); raise "
                                         "ScanLimits::max_pages to accept it");
  }
  std::string sparse;
  for (int i = 0; i < 10; ++i) sparse += fmt::format(" L {:x},8\n", 0x40000000ull * (i + 1));
  const std::string sparse_path = write_file("sparse.trace", sparse);
  EXPECT_THROW(scan_regions(sparse_path, {}, ScanLimits{1000, 5}), TraceError);
}

long max_rss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

TEST(Lackey, MillionsOfLinesInBoundedMemory) {
  const std::string path = temp_path("big.trace");
  const std::uint64_t lines = 2'500'000;
  std::uint64_t expect_sum = 0, expect_accesses = 0;
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fprintf(f, "==1== big\n");
    std::uint64_t x = 12345;
    for (std::uint64_t i = 0; i < lines; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      const std::uint64_t addr = 0x7f0000000000ull + ((x >> 20) & 0xfffffff8ull);
      static const char* kOps[] = {"I ", " L", " S", " M"};
      const unsigned op = (x >> 60) & 3;
      std::fprintf(f, "%s %" PRIx64 ",8\n", kOps[op], addr);
      if (op == 0) continue;
      const std::uint64_t n = op == 3 ? 2 : 1;
      expect_accesses += n;
      expect_sum += n * addr;
    }
    std::fclose(f);
  }
  const long before = max_rss_kib();
  TraceWorkload w(path, TraceOptions{IFetchMode::kCount, 64 * 1024});
  std::vector<MemAccess> buf(4096);
  std::uint64_t sum = 0, count = 0, insns = 0;
  for (std::size_t n; (n = w.next(buf.data(), buf.size())) > 0;) {
    for (std::size_t i = 0; i < n; ++i) {
      sum += buf[i].va;
      insns += buf[i].insns;
    }
    count += n;
  }
  const long grown = max_rss_kib() - before;
  EXPECT_EQ(count, expect_accesses);
  EXPECT_EQ(sum, expect_sum);
  EXPECT_EQ(w.stats().lines, lines + 1);
  EXPECT_EQ(insns + w.trailing_instructions(), w.stats().instructions);
  EXPECT_LT(grown, 4 * 1024) << "KiB of resident memory grown while reading a " << lines
                             << "-line trace";
  std::remove(path.c_str());
}

TEST(Lackey, IFetchModeNames) {
  EXPECT_EQ(parse_ifetch_mode("emit"), IFetchMode::kEmit);
  EXPECT_EQ(parse_ifetch_mode("count"), IFetchMode::kCount);
  EXPECT_EQ(parse_ifetch_mode("ignore"), IFetchMode::kIgnore);
  EXPECT_FALSE(parse_ifetch_mode("Emit").has_value());
}

}  // namespace
}  // namespace mmuvp::workloads
