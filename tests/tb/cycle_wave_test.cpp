// The waveform of the cycle-level SystemC walker: `mmuvp run --walker cycle --wave FILE.vcd` on a
// nested run writes a VCD in which every signal waves/cycle_walker.gtkw names exists, the slot state
// goes through the nested walk's states (EPT and guest requests, done), and the translate filter of
// waves/ names every state exactly as the C++ enum (and hence the RTL's walk_state_e) does.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/tb/run_mmuvp.h"
#include "tests/tb/table_builder.h"
#include "tlm/walk_fsm.h"

namespace mmuvp::test {
namespace {

// Full hierarchical names ("SystemC.platform.walker_0.req_va[63:0]") -> VCD identifier.
std::map<std::string, std::string> vcd_signals(const std::string& vcd, std::size_t& header_end) {
  std::map<std::string, std::string> names;
  std::vector<std::string> scope;
  std::istringstream in(vcd);
  std::string tok;
  header_end = std::string::npos;
  while (in >> tok) {
    if (tok == "$scope") {
      std::string kind, name;
      in >> kind >> name;
      scope.push_back(name);
    } else if (tok == "$upscope") {
      if (!scope.empty()) scope.pop_back();
    } else if (tok == "$var") {
      std::string type, width, id, name, next;
      in >> type >> width >> id >> name >> next;
      std::string full;
      for (const std::string& s : scope) full += s + ".";
      full += name;
      if (next != "$end") full += next;  // "[31:0]"
      names[full] = id;
    } else if (tok == "$enddefinitions") {
      header_end = static_cast<std::size_t>(in.tellg());
      break;
    }
  }
  return names;
}

TEST(CycleWave, SaveFileSignalsExistAndStatesShowTheNestedWalk) {
  TempDir dir;
  const std::string vcd = dir.file("walk.vcd");
  const Output r = run_mmuvp(dir, "run --mode nested --walker cycle --workload gups --accesses 1000 "
                                  "--footprint 64m --wave '" + vcd + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string text = slurp(vcd);
  ASSERT_FALSE(text.empty());
  std::size_t header_end = 0;
  const auto names = vcd_signals(text, header_end);
  ASSERT_NE(header_end, std::string::npos);

  // Every signal of the save file exists in the VCD.
  std::ifstream gtkw(std::string(MMUVP_SOURCE_DIR) + "/waves/cycle_walker.gtkw");
  ASSERT_TRUE(gtkw.good());
  unsigned listed = 0;
  for (std::string line; std::getline(gtkw, line);) {
    if (line.rfind("SystemC.", 0) != 0) continue;
    ++listed;
    EXPECT_TRUE(names.count(line)) << "the save file names " << line << ", not in the VCD";
  }
  EXPECT_GE(listed, 30u);

  // Slot 0's state takes the values of a nested walk.
  const auto it = names.find("SystemC.platform.walker_0.slot0_state[31:0]");
  ASSERT_NE(it, names.end());
  const std::string id = it->second;
  std::set<unsigned> seen;
  std::istringstream body(text.substr(header_end));
  for (std::string tok; body >> tok;) {
    if (tok.size() < 2 || tok[0] != 'b') continue;
    std::string who;
    body >> who;
    if (who == id) seen.insert(static_cast<unsigned>(std::stoul(tok.substr(1), nullptr, 2)));
  }
  using tlm::WState;
  for (WState s : {WState::W_SEG, WState::W_PWC, WState::W_HSEG, WState::W_NTLB, WState::W_EREQ,
                   WState::W_EWAIT, WState::W_ECHK, WState::W_GREQ, WState::W_GWAIT,
                   WState::W_GCHK, WState::W_DONE})
    EXPECT_TRUE(seen.count(static_cast<unsigned>(s))) << tlm::to_string(s) << " never shown";
}

TEST(CycleWave, StateFilterNamesEveryStateAsTheModelDoes) {
  // The save files show states in decimal through this filter ("<value> <name>" per line).
  std::ifstream f(std::string(MMUVP_SOURCE_DIR) + "/waves/walk_state.filter");
  ASSERT_TRUE(f.good());
  unsigned n = 0;
  for (unsigned value; f >> value;) {
    std::string name;
    f >> name;
    ASSERT_LT(value, tlm::kWStateCount);
    EXPECT_EQ(name, tlm::to_string(static_cast<tlm::WState>(value)));
    ++n;
  }
  EXPECT_EQ(n, tlm::kWStateCount);
}

}  // namespace
}  // namespace mmuvp::test
