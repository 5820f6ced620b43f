// The register map is one source: the map in arch/mmu_regs.h is well-formed, the committed
// rtl/mmu_regs_pkg.sv and docs/register-map.md equal a fresh generation byte for byte, the package
// states what the header says and lints clean, and the generator's command line works.
// regmap_gen.cpp is compiled into this test without its main (MMUVP_REGMAP_GEN_NO_MAIN).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/command_output.h"
#include "arch/fault.h"
#include "arch/mmu_regs.h"
#include "arch/mode.h"

#ifndef MMUVP_SOURCE_DIR
#error "MMUVP_SOURCE_DIR must name the source tree (tests/arch/CMakeLists.txt sets it)"
#endif

namespace mmuvp::arch::regmap {
std::string generate_sv();
std::string generate_markdown();
int run(int argc, const char* const* argv);
}  // namespace mmuvp::arch::regmap

namespace {

using namespace mmuvp::arch;
namespace fs = std::filesystem;

constexpr const char* kHowToRegenerate =
    "Regenerate from the repository root with `<build>/arch/mmuvp_regmap_gen --sv "
    "rtl/mmu_regs_pkg.sv --md docs/register-map.md` (or `cmake --build <build> --target regmap`) "
    "and commit the result.";

bool read_file(const fs::path& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return true;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// "line N: committed '...' vs generated '...'" for the first line that differs.
std::string first_difference(const std::string& committed, const std::string& generated) {
  const auto a = lines_of(committed), b = lines_of(generated);
  for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const std::string x = i < a.size() ? a[i] : "<end of file>";
    const std::string y = i < b.size() ? b[i] : "<end of file>";
    if (x != y)
      return "line " + std::to_string(i + 1) + ": committed '" + x + "' vs generated '" + y + "'";
  }
  return "the files differ in their line endings or final newline";
}

void expect_up_to_date(const char* relative, const std::string& generated) {
  const fs::path path = fs::path(MMUVP_SOURCE_DIR) / relative;
  std::string committed;
  ASSERT_TRUE(read_file(path, committed)) << relative << " is missing. " << kHowToRegenerate;
  EXPECT_TRUE(committed == generated)
      << relative << " is stale: it no longer matches arch/mmu_regs.h ("
      << first_difference(committed, generated) << "). " << kHowToRegenerate;
}

// A fresh directory for this test's files.
fs::path scratch_dir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) /
                       ("mmuvp_regmap_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string camel(const std::string& upper_snake) {
  std::string out;
  bool start = true;
  for (char c : upper_snake) {
    if (c == '_') {
      start = true;
      continue;
    }
    out += start ? c : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    start = false;
  }
  return out;
}

// ---- the map itself ------------------------------------------------------------------------------

TEST(RegMap, OffsetsAreUniqueAlignedAndInsideTheWindow) {
  std::set<std::uint32_t> offsets;
  std::set<std::string> names;
  for (const regs::RegDesc& r : regs::kRegisters) {
    EXPECT_EQ(r.offset % regs::kRegBytes, 0u) << r.name;
    EXPECT_LT(r.offset, regs::kWindowBytes) << r.name;
    EXPECT_TRUE(offsets.insert(r.offset).second) << r.name << " shares its offset";
    EXPECT_TRUE(names.insert(std::string(r.name)).second) << r.name << " is listed twice";
  }
  for (std::uint32_t off = 0; off < regs::kWindowBytes + 16; ++off) {
    const regs::RegDesc* r = regs::find_register(off);
    EXPECT_EQ(r != nullptr, offsets.count(off) == 1) << off;
    if (r != nullptr) {
      EXPECT_EQ(r->offset, off);
    }
  }
}

TEST(RegMap, FieldsFitTheirRegisterAndDoNotOverlap) {
  std::map<std::uint32_t, std::uint64_t> read_bits, write_bits;
  for (const regs::RegField& f : regs::kFields) {
    SCOPED_TRACE(std::string(f.name));
    ASSERT_GE(f.width, 1u);
    ASSERT_LE(f.lsb + f.width, 64u) << "field beyond bit 63";
    const regs::RegDesc* r = regs::find_register(f.reg);
    ASSERT_NE(r, nullptr) << "field of no register";
    if (r->access != regs::RegAccess::kRW) {
      EXPECT_EQ(f.access, r->access) << r->name;
    }
    const std::uint64_t mask = regs::field_mask(f);
    EXPECT_EQ(regs::get(mask, f), (f.width == 64 ? ~0ull : (1ull << f.width) - 1));
    // Fields of one view (what a read returns, what a write means) do not overlap.
    if (f.access != regs::RegAccess::kWO) {
      EXPECT_EQ(read_bits[f.reg] & mask, 0u) << r->name;
      read_bits[f.reg] |= mask;
    }
    if (f.access != regs::RegAccess::kRO) {
      EXPECT_EQ(write_bits[f.reg] & mask, 0u) << r->name;
      write_bits[f.reg] |= mask;
    }
  }
  // A reset value sets no bit outside the register's read fields.
  for (const auto& [offset, bits] : read_bits)
    EXPECT_EQ(regs::find_register(offset)->reset & ~bits, 0u) << regs::find_register(offset)->name;
}

// ---- the generated files -------------------------------------------------------------------------

TEST(RegMap, CommittedSvPackageIsUpToDate) {
  expect_up_to_date("rtl/mmu_regs_pkg.sv", regmap::generate_sv());
}

TEST(RegMap, CommittedDocumentIsUpToDate) {
  expect_up_to_date("docs/register-map.md", regmap::generate_markdown());
}

TEST(RegMap, GenerationIsDeterministic) {
  EXPECT_EQ(regmap::generate_sv(), regmap::generate_sv());
  EXPECT_EQ(regmap::generate_markdown(), regmap::generate_markdown());
}

TEST(RegMap, SvPackageStatesEveryOffsetAndResetValue) {
  const std::string sv = regmap::generate_sv();
  EXPECT_EQ(sv.rfind("// generated by mmuvp_regmap_gen from arch/mmu_regs.h — do not edit\n", 0),
            0u);
  const std::regex offset_re(R"(localparam logic \[7:0\] Reg(\w+)Offset\s+= 8'h([0-9a-f]{2});)");
  const std::regex reset_re(R"(localparam logic \[63:0\] Reg(\w+)Reset\s+= 64'h([0-9a-f_]{19});)");
  std::map<std::string, std::uint64_t> offsets, resets;
  for (std::sregex_iterator it(sv.begin(), sv.end(), offset_re), end; it != end; ++it)
    offsets[(*it)[1]] = std::stoull((*it)[2], nullptr, 16);
  for (std::sregex_iterator it(sv.begin(), sv.end(), reset_re), end; it != end; ++it) {
    std::string hex = (*it)[2];
    hex.erase(std::remove(hex.begin(), hex.end(), '_'), hex.end());
    resets[(*it)[1]] = std::stoull(hex, nullptr, 16);
  }
  EXPECT_EQ(offsets.size(), regs::kRegisters.size());
  EXPECT_EQ(resets.size(), regs::kRegisters.size());
  for (const regs::RegDesc& r : regs::kRegisters) {
    const std::string name = camel(std::string(r.name));
    ASSERT_EQ(offsets.count(name), 1u) << name;
    EXPECT_EQ(offsets[name], r.offset) << name;
    ASSERT_EQ(resets.count(name), 1u) << name;
    EXPECT_EQ(resets[name], r.reset) << name;
  }
  // Every field's position, e.g. "StatusCountLsb = 32".
  for (const regs::RegField& f : regs::kFields) {
    const std::string stem =
        camel(std::string(regs::find_register(f.reg)->name)) + camel(std::string(f.name));
    const std::regex lsb_re("localparam int unsigned " + stem + "Lsb\\s+= (\\d+);");
    const std::regex width_re("localparam int unsigned " + stem + "Width\\s+= (\\d+);");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(sv, m, lsb_re)) << stem;
    EXPECT_EQ(std::stoul(m[1]), f.lsb) << stem;
    ASSERT_TRUE(std::regex_search(sv, m, width_re)) << stem;
    EXPECT_EQ(std::stoul(m[1]), f.width) << stem;
  }
}

// The values of one SV enum typedef, in order: "Name = W'dV".
std::vector<std::pair<std::string, unsigned>> sv_enum(const std::string& sv,
                                                      const std::string& type) {
  std::vector<std::pair<std::string, unsigned>> values;
  const std::size_t end = sv.find("} " + type + ";");
  if (end == std::string::npos) return values;
  const std::size_t begin = sv.rfind("typedef enum", end);
  const std::string body = sv.substr(begin, end - begin);
  const std::regex value_re(R"((\w+)\s+= \d+'d(\d+))");
  for (std::sregex_iterator it(body.begin(), body.end(), value_re), e; it != e; ++it)
    values.emplace_back((*it)[1], static_cast<unsigned>(std::stoul((*it)[2])));
  return values;
}

template <typename E, typename Named>
void expect_enum_complete(const std::string& sv, const std::string& type, Named named) {
  std::vector<unsigned> expected;
  for (unsigned v = 0; v <= 0xff; ++v)
    if (named(static_cast<E>(v))) expected.push_back(v);
  const auto values = sv_enum(sv, type);
  ASSERT_EQ(values.size(), expected.size()) << type;
  std::set<std::string> names;
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(values[i].second, expected[i]) << type;
    EXPECT_TRUE(names.insert(values[i].first).second) << values[i].first;
  }
}

TEST(RegMap, SvEnumsCoverEveryEncodedValue) {
  const std::string sv = regmap::generate_sv();
  expect_enum_complete<regs::RegStatus>(
      sv, "reg_status_e", [](regs::RegStatus s) { return regs::to_string(s) != "?"; });
  expect_enum_complete<regs::InvOp>(sv, "inv_op_e",
                                    [](regs::InvOp op) { return regs::to_string(op) != "?"; });
  expect_enum_complete<Mode>(sv, "mode_e", [](Mode m) { return to_string(m) != "?"; });
  expect_enum_complete<FaultKind>(sv, "fault_kind_e",
                                  [](FaultKind k) { return to_string(k) != "?"; });
  EXPECT_EQ(sv_enum(sv, "inv_op_e").size(), regs::kInvOpCount);
  EXPECT_EQ(sv_enum(sv, "mode_e").size(), kModeCount);
  const auto stages = sv_enum(sv, "fault_stage_e");
  ASSERT_EQ(stages.size(), 3u);
  EXPECT_EQ(stages[2].second, static_cast<unsigned>(FaultStage::kFinal));
}

// The rows are one flat vector, row j of hash i at element i*FilterKeyBits + j: the
// concatenation lists element 0 last.
TEST(RegMap, SvPackageCarriesTheH3Rows) {
  const std::string sv = regmap::generate_sv();
  const std::size_t begin = sv.find(
      "localparam logic [FilterMaxHashes*FilterKeyBits*FilterMaxIndexBits-1:0] FilterH3Rows = {");
  ASSERT_NE(begin, std::string::npos);
  std::string body = sv.substr(begin, sv.find("};", begin) - begin);
  body = std::regex_replace(body, std::regex("//[^\n]*"), "");  // "// hash 7, rows 39..0"
  const std::regex value_re(R"(16'h([0-9a-f]{4}))");
  std::vector<unsigned> values;
  for (std::sregex_iterator it(body.begin(), body.end(), value_re), e; it != e; ++it)
    values.push_back(static_cast<unsigned>(std::stoul((*it)[1], nullptr, 16)));
  ASSERT_EQ(values.size(), std::size_t{kFilterMaxHashes} * kFilterKeyBits);
  std::reverse(values.begin(), values.end());
  for (unsigned i = 0; i < kFilterMaxHashes; ++i)
    for (unsigned j = 0; j < kFilterKeyBits; ++j)
      ASSERT_EQ(values[i * kFilterKeyBits + j], kH3Rows[i][j]) << i << "," << j;
}

TEST(RegMap, GeneratedSvLintsCleanWithVerilator) {
  if (std::system("verilator --version > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "verilator not installed";
  const fs::path dir = scratch_dir("lint");
  const fs::path file = dir / "mmu_regs_pkg.sv";  // DECLFILENAME: named after the package
  {
    std::ofstream f(file, std::ios::binary);
    f << regmap::generate_sv();
  }
  const std::string cmd = "cd '" + dir.string() + "' && verilator --lint-only -Wall " +
                          file.filename().string() + " 2>&1";
  bool ok = false;
  const std::string output = mmuvp::test::command_output(cmd, ok);
  EXPECT_TRUE(ok);
  EXPECT_EQ(output, "");
  fs::remove_all(dir);
}

// ---- the command line ----------------------------------------------------------------------------

int run_gen(std::vector<std::string> args) {
  args.insert(args.begin(), "mmuvp_regmap_gen");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  return regmap::run(static_cast<int>(argv.size()), argv.data());
}

TEST(RegMapGen, WritesBothFiles) {
  const fs::path dir = scratch_dir("cli");
  const fs::path sv = dir / "pkg.sv", md = dir / "map.md";
  ASSERT_EQ(run_gen({"--sv", sv.string(), "--md", md.string()}), 0);
  std::string text;
  ASSERT_TRUE(read_file(sv, text));
  EXPECT_TRUE(text == regmap::generate_sv());
  ASSERT_TRUE(read_file(md, text));
  EXPECT_TRUE(text == regmap::generate_markdown());
  fs::remove_all(dir);
}

TEST(RegMapGen, BadCommandLinesFailWithAStatus) {
  const fs::path dir = scratch_dir("bad");
  EXPECT_EQ(run_gen({}), 2);                       // nothing to do
  EXPECT_EQ(run_gen({"--verilog", "x.sv"}), 2);    // unknown flag
  EXPECT_EQ(run_gen({"--sv"}), 2);                 // missing file name
  EXPECT_EQ(run_gen({"--md", ""}), 2);             // empty file name
  EXPECT_EQ(run_gen({"--sv", (dir / "no-such-dir" / "x.sv").string()}), 1);  // cannot write
  EXPECT_FALSE(fs::exists(dir / "no-such-dir"));
  EXPECT_EQ(run_gen({"--help"}), 0);
  fs::remove_all(dir);
}

}  // namespace
