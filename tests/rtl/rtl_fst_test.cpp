// Waveforms of the RTL walker: an FST traced by the harness over a stub-built nested space is read
// back with GTKWave's fst2vcd, and the test finds in it each slot's state signal declared with the
// walk_state_e enum (all 17 names, W_IDLE..W_FAULT, with the encodings of tlm/walk_fsm.h), the
// states a nested walk goes through among its value changes, and every signal the GTKWave save
// files of waves/ name (so the save files open on a real trace).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <unistd.h>
#include <sstream>
#include <string>
#include <vector>

#include "tests/command_output.h"
#include "tests/rtl/rtl_stub_bench.h"
#include "tlm/walk_fsm.h"

namespace mmuvp::rtltest {
namespace {

namespace fs = std::filesystem;

// The parts of a VCD the test looks at.
struct Vcd {
  std::map<std::string, std::string> code_of;   // full dotted name -> identifier code
  std::map<std::string, int> width_of;          // full dotted name -> width
  std::map<std::string, std::string> enum_tables;  // table id -> "$attrbegin misc 07 NAME ..."
  std::map<std::string, std::string> enum_of;      // full dotted name -> table id
  std::map<std::string, std::set<std::string>> values;  // code -> binary values seen
};

Vcd parse_vcd(const std::string& text) {
  Vcd v;
  std::istringstream in(text);
  std::vector<std::string> scope;
  std::string tok, pending_enum;
  bool body = false;
  while (in >> tok) {
    if (!body) {
      if (tok == "$scope") {
        std::string kind, name;
        in >> kind >> name;
        scope.push_back(name);
      } else if (tok == "$upscope") {
        if (!scope.empty()) scope.pop_back();
      } else if (tok == "$var") {
        std::string type, code, name, t;
        int width = 0;
        in >> type >> width >> code >> name;
        while (in >> t && t != "$end") {
          if (t[0] != '[') name += t;  // a bit range is not part of the name
        }
        std::string full;
        for (const std::string& s : scope) full += s + ".";
        v.code_of[full + name] = code;
        v.width_of[full + name] = width;
        if (!pending_enum.empty()) v.enum_of[full + name] = pending_enum;
        pending_enum.clear();
      } else if (tok == "$attrbegin") {
        // fst2vcd -e: `misc 07 NAME N names... values... ID` declares enum table ID;
        // `misc 07 "" ID` right before a $var gives that variable's table.
        std::vector<std::string> f;
        std::string t;
        while (in >> t && t != "$end") f.push_back(t);
        if (f.size() == 4 && f[0] == "misc" && f[1] == "07" && f[2] == "\"\"") {
          pending_enum = f[3];
        } else if (f.size() > 4 && f[0] == "misc" && f[1] == "07") {
          std::string line;
          for (const std::string& x : f) line += " " + x;
          v.enum_tables[f.back()] = line + " ";
        }
      } else if (tok == "$enddefinitions") {
        body = true;
      }
      continue;
    }
    if (tok[0] == 'b') {  // bVALUE CODE
      std::string code;
      in >> code;
      v.values[code].insert(tok.substr(1));
    }
  }
  return v;
}

std::string bits5(unsigned value) {
  std::string s;
  for (int b = 4; b >= 0; --b) s += ((value >> b) & 1u) ? '1' : '0';
  return s;
}

class RtlFst : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("mmuvp_rtl_fst_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + std::to_string(static_cast<long>(getpid())));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    if (std::getenv("MMUVP_KEEP_WAVES") == nullptr) fs::remove_all(dir_, ec);
  }

  // Traces a short nested regression (A/D on, every fault kind) and converts it to VCD.
  Vcd trace() {
    StubCase c;
    c.mode = arch::Mode::kNested;
    c.accesses = 60;
    c.timing.min_latency = 1;
    c.timing.max_latency = 3;
    c.timing.mem_stall_percent = 10;
    const fs::path fst = dir_ / "walker.fst";
    {
      StubBench b(c, fst.string());
      std::string report;
      EXPECT_TRUE(b.run(report)) << report;
    }  // the harness closes the FST
    EXPECT_TRUE(fs::exists(fst));
    EXPECT_GT(fs::file_size(fst), 0u);
    bool ok = false;
    const std::string vcd =
        mmuvp::test::command_output("fst2vcd -e -f '" + fst.string() + "' 2>/dev/null", ok);
    EXPECT_TRUE(ok) << "fst2vcd failed";
    return parse_vcd(vcd);
  }

  fs::path dir_;
};

// Each slot's state register is in the trace, 5 bits wide, declared with the walk_state_e enum
// whose names and values are tlm/walk_fsm.h's, and a nested walk's states appear in its changes.
TEST_F(RtlFst, SlotStateCarriesTheStateNames) {
  const Vcd v = trace();
  for (unsigned slot = 0; slot < 2; ++slot) {
    const std::string name =
        "TOP.walker_top.gen_slot[" + std::to_string(slot) + "].u_slot.state_q";
    ASSERT_EQ(v.code_of.count(name), 1u) << name << " not in the trace";
    EXPECT_EQ(v.width_of.at(name), 5);
    const std::set<std::string>& seen = v.values.at(v.code_of.at(name));
    for (tlm::WState s : {tlm::WState::W_IDLE, tlm::WState::W_SEG, tlm::WState::W_PWC,
                          tlm::WState::W_HSEG, tlm::WState::W_NTLB, tlm::WState::W_EREQ,
                          tlm::WState::W_EWAIT, tlm::WState::W_ECHK, tlm::WState::W_GREQ,
                          tlm::WState::W_GWAIT, tlm::WState::W_GCHK, tlm::WState::W_DONE,
                          tlm::WState::W_FAULT})
      EXPECT_EQ(seen.count(bits5(static_cast<unsigned>(s))), 1u)
          << name << " never in " << tlm::to_string(s);
  }
  // The state register refers to the walk_state_e table: every name with its 5-bit value, in
  // the order of tlm/walk_fsm.h (names first, then the values).
  const std::string q0 = "TOP.walker_top.gen_slot[0].u_slot.state_q";
  ASSERT_EQ(v.enum_of.count(q0), 1u) << "state_q has no enum table";
  ASSERT_EQ(v.enum_tables.count(v.enum_of.at(q0)), 1u);
  const std::string& table = v.enum_tables.at(v.enum_of.at(q0));
  EXPECT_NE(table.find(" walker_pkg::walk_state_e 17 "), std::string::npos) << table;
  std::string names, values;
  for (unsigned s = 0; s < tlm::kWStateCount; ++s) {
    names += " " + std::string(tlm::kWStateNames[s]);
    values += " " + bits5(s);
  }
  EXPECT_NE(table.find(names + values + " "), std::string::npos) << table;
}

// Every signal a save file of waves/ names is in the trace (GTKWave would otherwise drop it).
TEST_F(RtlFst, SaveFileSignalsExist) {
  const Vcd v = trace();
  unsigned files = 0, signals = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(MMUVP_WAVES_DIR)) {
    if (e.path().extension() != ".gtkw" || e.path().stem().string().rfind("rtl", 0) != 0)
      continue;
    ++files;
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '[' || line[0] == '@' || line[0] == '-' || line[0] == '*' ||
          line[0] == '^')
        continue;
      // A signal line: TOP.walker_top.x[63:0] (a bit range is not part of the name).
      std::string name = line.substr(0, line.find(' '));
      const std::size_t br = name.rfind('[');
      if (br != std::string::npos && name.find(':', br) != std::string::npos)
        name = name.substr(0, br);
      ++signals;
      EXPECT_EQ(v.code_of.count(name), 1u) << e.path().filename() << ": " << name;
    }
  }
  EXPECT_GE(files, 1u);
  EXPECT_GE(signals, 20u);
}

}  // namespace
}  // namespace mmuvp::rtltest
