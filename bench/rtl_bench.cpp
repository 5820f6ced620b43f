// Speed of the Verilated RTL walker (rtl/walker_top.sv): simulated walker clock cycles per host
// second, (1) alone: the model clocked by the plain C++ testbench of tests/rtl (memory port served
// from the stub's memory, latency 1..5, 10% back-pressure), on nested 4K+4K walks with the walk
// caches on, two requests in flight; and (2) in lockstep with the cycle-level SystemC walker under
// `mmuvp cosim` (tb/cosim.h: one nested lane, both walkers, two memory bridges, comparison), where
// a cycle is one clock edge of the walker pair.
//
// Rates: BM_RtlWalkerAlone's are per CPU second of the benchmark (Google Benchmark's kIsRate);
// BM_Cosim gives both per wall second (cycles/s) and per CPU second of the process (cycles/cpu-s).
// SystemC elaborates once per process: the co-simulation benchmark runs one iteration; run it on
// its own (--benchmark_filter=Cosim) for a repeatable number.
#include <benchmark/benchmark.h>

#include <systemc>

#include <cstdint>
#include <ctime>
#include <random>
#include <vector>

#include "sw-stub/machine_bus.h"
#include "sw-stub/scenario.h"
#include "tb/cosim.h"
#include "tb/direct_bus.h"
#include "tests/rtl/rtl_walker_harness.h"

int sc_main(int, char**) { return 0; }  // libsystemc needs one; Google Benchmark owns main()

namespace mmuvp::rtlbench {
namespace {

// The stub's bus, keeping its MMIO writes to core 0 to replay them into the RTL.
class RecordingBus final : public stub::MachineBus {
 public:
  explicit RecordingBus(stub::MachineBus& inner) : inner_(inner) {}
  std::uint64_t mem_read64(arch::hpa_t a) override { return inner_.mem_read64(a); }
  void mem_write64(arch::hpa_t a, std::uint64_t v) override { inner_.mem_write64(a, v); }
  std::uint64_t mmio_read(unsigned core, std::uint32_t offset) override {
    return inner_.mmio_read(core, offset);
  }
  arch::regs::RegStatus mmio_write(unsigned core, std::uint32_t offset,
                                   std::uint64_t v) override {
    if (core == 0) writes.push_back({offset, v});
    return inner_.mmio_write(core, offset, v);
  }
  unsigned cores() const override { return inner_.cores(); }
  std::vector<std::pair<std::uint32_t, std::uint64_t>> writes;

 private:
  stub::MachineBus& inner_;
};

stub::ScenarioConfig nested_config() {
  stub::ScenarioConfig c;
  c.mode = arch::Mode::kNested;
  c.guest_pages = stub::PagePolicy::k4K;
  c.host_pages = arch::PageSize::k4K;
  c.footprint = 64ull << 20;
  return c;
}

rtltest::PortTiming timing() {
  rtltest::PortTiming t;
  t.min_latency = 1;
  t.max_latency = 5;
  t.mem_stall_percent = 10;
  return t;
}

void BM_RtlWalkerAlone(benchmark::State& state) {
  tb::DirectMachine machine;
  RecordingBus bus(machine.bus);
  stub::Scenario scenario(bus, nested_config());
  arch::RegisterBlock mirror;
  rtltest::RtlWalker rtl(machine.memory, mirror, timing());
  for (const auto& [offset, value] : bus.writes) rtl.write_reg(offset, value);
  const stub::Range r = scenario.region();
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<std::uint64_t> page(0, (r.hi - r.lo) / 4096 - 1);
  std::uint64_t cycles = 0, walks = 0;
  for (auto _ : state) {
    const std::uint64_t before = rtl.cycle();
    for (unsigned i = 0; i < 64; ++i) {
      rtl.submit({r.lo + 4096 * page(rng), arch::AccessType::kRead, true});
      rtl.submit({r.lo + 4096 * page(rng), arch::AccessType::kWrite, true});
      if (!rtl.run_until_idle()) state.SkipWithError("the walker did not finish");
    }
    cycles += rtl.cycle() - before;
    walks += rtl.completed().size();
    rtl.completed().clear();
  }
  state.counters["cycles/s"] = benchmark::Counter(static_cast<double>(cycles),
                                                  benchmark::Counter::kIsRate);
  state.counters["walks/s"] = benchmark::Counter(static_cast<double>(walks),
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RtlWalkerAlone)->Unit(benchmark::kMillisecond);

void BM_Cosim(benchmark::State& state) {
  tb::CosimConfig c;
  c.modes = {arch::Mode::kNested};
  c.translations = 20000;
  c.seed = 1;
  std::uint64_t cycles = 0, compared = 0, mismatches = 0;
  double seconds = 0, cpu_seconds = 0;
  for (auto _ : state) {
    const std::clock_t cpu0 = std::clock();
    const tb::CosimResult r = tb::run_cosim(c);
    cpu_seconds += static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
    cycles += r.cycles;
    compared += r.compared;
    mismatches += r.mismatches;
    seconds += r.seconds;
    state.SetIterationTime(r.seconds);
  }
  if (mismatches != 0) state.SkipWithError("the co-simulation found a mismatch");
  // Per host second of wall time, and of this process's CPU time (the machine may be shared).
  state.counters["cycles/s"] = benchmark::Counter(static_cast<double>(cycles) / seconds);
  state.counters["cycles/cpu-s"] = benchmark::Counter(static_cast<double>(cycles) / cpu_seconds);
  state.counters["walks/s"] = benchmark::Counter(static_cast<double>(compared) / seconds);
}
BENCHMARK(BM_Cosim)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mmuvp::rtlbench
