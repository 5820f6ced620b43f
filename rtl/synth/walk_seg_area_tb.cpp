// Clock of the area cross-check walk_seg_area_tb.sv (scripts/rtl-area.sh): toggles clk until the
// testbench calls $finish; $fatal (a netlist differing from the RTL) ends the run with an error.
#include <memory>

#include "Vwalk_seg_area_tb.h"
#include "verilated.h"

int main(int argc, char** argv) {
  const auto context = std::make_unique<VerilatedContext>();
  context->commandArgs(argc, argv);
  const auto tb = std::make_unique<Vwalk_seg_area_tb>(context.get());
  constexpr unsigned kHalfPeriod = 5;
  tb->clk = 0;
  tb->eval();
  while (!context->gotFinish()) {
    context->timeInc(kHalfPeriod);
    tb->clk = !tb->clk;
    tb->eval();
  }
  tb->final();
  return 0;
}
