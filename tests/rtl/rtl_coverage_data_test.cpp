// Verilator coverage data (tb/coverage_data.h) and the reach report over it (tb/rtl_reach.h):
// fields of a key, merging (counts of the same key added, new keys appended), the write/read
// round trip, malformed input, and the reach of states, fault kinds and other cover points,
// including a missing cover point and an unreached one.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "tb/coverage_data.h"
#include "tb/rtl_reach.h"
#include "tlm/walk_fsm.h"

namespace mmuvp::tb {
namespace {

// One point line as VerilatedCovContext::write prints it.
std::string point(const std::string& page, const std::string& comment, unsigned line,
                  std::uint64_t count) {
  return "C '\001t\002user\001page\002" + page + "\001f\002rtl/walker_top.sv\001l\002" +
         std::to_string(line) + "\001o\002" + comment + "\001h\002TOP.walker_top' " +
         std::to_string(count) + "\n";
}

// Every state and fault cover point with count `n`, plus one toggle point.
std::string full(std::uint64_t n) {
  std::string s = "# SystemC::Coverage-3\n";
  unsigned line = 100;
  for (const std::string_view st : tlm::kWStateNames)
    s += point("v_user/walker_top", state_cover_name(st), line++, n);
  for (const char* f : {"CovFltNonCanonical", "CovFltGuestPf", "CovFltEptViolation",
                        "CovFltEptMisconfig", "CovFltMemoryError"})
    s += point("v_user/walker_top", f, line++, n);
  s += point("v_toggle/walker_top", "mem_req_addr[3]", 7, n);
  return s;
}

// The line of `table` that starts with `name` ("" if none; the tables start with a header).
std::string line_of(const std::string& table, const std::string& name) {
  const std::size_t at = table.find('\n' + name);
  if (at == std::string::npos) return "";
  return table.substr(at + 1, table.find('\n', at + 1) - at - 1);
}

constexpr std::array<std::uint64_t, 6> kSomeOfEach = {0, 1, 2, 3, 4, 5};

TEST(CoverageData, FieldsOfAKey) {
  CoverageData d;
  d.merge(point("v_line/walk_slot", "block", 42, 9), "t");
  ASSERT_EQ(d.points().size(), 1u);
  const CoveragePoint& p = d.points()[0];
  EXPECT_EQ(p.count, 9u);
  EXPECT_EQ(p.field("page"), "v_line/walk_slot");
  EXPECT_EQ(p.field("l"), "42");
  EXPECT_EQ(p.field("o"), "block");
  EXPECT_EQ(p.field("h"), "TOP.walker_top");
  EXPECT_EQ(p.field("x"), "");
  EXPECT_EQ(p.kind(), "v_line");
}

TEST(CoverageData, MergeAddsCountsOfTheSameKey) {
  CoverageData d;
  d.merge(point("v_user/walker_top", "CovIdle", 1, 3) + point("v_line/a", "x", 2, 0), "a");
  d.merge(point("v_user/walker_top", "CovIdle", 1, 4) + point("v_line/a", "y", 3, 5), "b");
  ASSERT_EQ(d.points().size(), 3u);
  EXPECT_EQ(d.points()[0].count, 7u);
  EXPECT_EQ(d.points()[1].count, 0u);
  EXPECT_EQ(d.points()[2].field("o"), "y");
  EXPECT_EQ(d.cover_count("CovIdle"), std::optional<std::uint64_t>(7));
  EXPECT_EQ(d.cover_count("x"), std::optional<std::uint64_t>(0));
  EXPECT_EQ(d.cover_count("CovSeg"), std::nullopt);
}

TEST(CoverageData, WriteReadRoundTrip) {
  CoverageData d;
  d.merge(full(2), "full");
  const std::string path =
      (std::filesystem::temp_directory_path() / "mmuvp_coverage_data_test.dat").string();
  d.write(path);
  CoverageData back;
  back.merge_file(path);
  back.merge_file(path);
  std::remove(path.c_str());
  ASSERT_EQ(back.points().size(), d.points().size());
  for (std::size_t i = 0; i < d.points().size(); ++i) {
    EXPECT_EQ(back.points()[i].key, d.points()[i].key);
    EXPECT_EQ(back.points()[i].count, 4u);
  }
}

TEST(CoverageData, MalformedInputIsRefusedWithItsLine) {
  CoverageData d;
  try {
    d.merge("# SystemC::Coverage-3\n\nC 'x' 12z\n", "f.dat");
    FAIL() << "a bad count was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "f.dat: line 3: bad count '12z'");
  }
  EXPECT_THROW(d.merge("X 'x' 1\n", "g"), std::runtime_error);
  EXPECT_THROW(d.merge("C 'x 1\n", "g"), std::runtime_error);
  EXPECT_THROW(d.merge_file("/nonexistent/coverage.dat"), std::runtime_error);
  EXPECT_TRUE(d.points().empty());
}

TEST(RtlReach, StateCoverNames) {
  EXPECT_EQ(state_cover_name("W_IDLE"), "CovIdle");
  EXPECT_EQ(state_cover_name("W_EAD_REQ"), "CovEadReq");
  EXPECT_EQ(state_cover_name("W_GAD_WAIT"), "CovGadWait");
  EXPECT_EQ(state_cover_name("W_HSEG"), "CovHseg");
}

TEST(RtlReach, EverythingReached) {
  CoverageData d;
  d.merge(full(5), "full");
  const RtlReach r = rtl_reach(d, kSomeOfEach);
  ASSERT_EQ(r.states.size(), tlm::kWStateCount);
  ASSERT_EQ(r.faults.size(), 5u);
  EXPECT_TRUE(r.others.empty());
  EXPECT_EQ(r.states[8].name, "W_EAD_REQ");
  EXPECT_EQ(r.states[8].count, 5u);
  EXPECT_EQ(r.faults[3].name, "ept-misconfig");
  EXPECT_EQ(r.faults[3].responses, 4u);
  EXPECT_TRUE(r.all_reached());
  EXPECT_EQ(r.table().find("NOT REACHED"), std::string::npos);
}

TEST(RtlReach, UnreachedStateOrOtherCoverPoint) {
  CoverageData d;
  d.merge(full(1), "full");
  d.merge(point("v_user/walker_top", "CovNewFsmState", 300, 0), "a cover point of new RTL");
  RtlReach r = rtl_reach(d, kSomeOfEach);
  ASSERT_EQ(r.others.size(), 1u);
  EXPECT_EQ(r.others[0].cover, "CovNewFsmState");
  EXPECT_FALSE(r.others[0].reached());
  EXPECT_FALSE(r.all_reached());
  EXPECT_NE(line_of(r.table(), "CovNewFsmState").find("NOT REACHED"), std::string::npos)
      << r.table();

  CoverageData f;
  std::string text = full(1);
  const std::string gchk = point("v_user/walker_top", "CovGchk", 112, 1);
  text.replace(text.find(gchk), gchk.size(), point("v_user/walker_top", "CovGchk", 112, 0));
  f.merge(text, "");
  r = rtl_reach(f, kSomeOfEach);
  EXPECT_FALSE(r.states[12].reached());
  EXPECT_FALSE(r.all_reached());
  EXPECT_NE(line_of(r.table(), "W_GCHK").find("NOT REACHED"), std::string::npos) << r.table();
  EXPECT_EQ(line_of(r.table(), "W_GREQ").find("NOT REACHED"), std::string::npos) << r.table();
}

TEST(RtlReach, FaultKindNeedsPointAndResponses) {
  std::string text = full(1);
  const std::string mem = point("v_user/walker_top", "CovFltMemoryError", 121, 1);
  ASSERT_NE(text.find(mem), std::string::npos);
  text.erase(text.find(mem), mem.size());
  CoverageData d;
  d.merge(text, "");
  RtlReach r = rtl_reach(d, kSomeOfEach);
  EXPECT_FALSE(r.faults[4].present);
  EXPECT_FALSE(r.all_reached());
  EXPECT_NE(line_of(r.table(), "memory-error").find("NO COVER POINT"), std::string::npos)
      << r.table();

  CoverageData all;
  all.merge(full(1), "");
  r = rtl_reach(all, {0, 1, 1, 1, 0, 1});  // no EPT misconfiguration response seen
  EXPECT_TRUE(r.faults[3].present);
  EXPECT_FALSE(r.faults[3].reached());
  EXPECT_FALSE(r.all_reached());
}

}  // namespace
}  // namespace mmuvp::tb
