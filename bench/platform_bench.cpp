// Speed of the loosely-timed SystemC platform (tlm/platform.h): simulated accesses per host second
// for stream (native, 4K pages: almost every access an L1 TLB hit) and gups (nested 4K+4K, walk
// caches on: almost every access an L2 TLB miss and a 2D walk), one core, default hardware.
//
// SystemC elaborates once per process, so both platforms are elaborated together at the first
// benchmark call and the firmware stub programs both at time 0. Each iteration lets one platform's
// core run `kChunk` more accesses: the periodic hook pauses the kernel (sc_pause) and blocks the
// core on its own resume event, so the other platform's core never runs meanwhile.
#include <benchmark/benchmark.h>

#include <systemc>

#include <cstdlib>
#include <memory>
#include <string>

#include "sw-stub/scenario.h"
#include "tlm/platform.h"
#include "workloads/factory.h"

int sc_main(int, char**) { return 0; }  // libsystemc needs one; Google Benchmark owns main()

namespace mmuvp::tlm {
namespace {

constexpr std::uint64_t kChunk = 1 << 16;           // accesses per benchmark iteration
constexpr std::uint64_t kEndless = 1ull << 50;      // workload length: never reached

struct Bench {
  Bench(const char* name, arch::Mode mode, const char* workload, std::uint64_t footprint)
      : mode(mode), footprint(footprint) {
    PlatformConfig pc;
    platform = std::make_unique<Platform>(name, pc);
    workloads::WorkloadConfig wc;
    wc.footprint = footprint;
    wc.accesses = kEndless;
    stream = workloads::make_workload(workload, wc);
    platform->set_workload(0, stream.get(), kEndless);
    platform->set_periodic_hook(kChunk, [this](unsigned) {
      sc_core::sc_pause();
      sc_core::wait(resume);
    });
  }

  // Firmware (in a thread at time 0): the scenario, plus every workload region outside it.
  void program() {
    const std::vector<workloads::Region> regions = stream->regions();
    const std::optional<workloads::Span> heap = workloads::primary_span(regions);
    stub::ScenarioConfig sc;
    sc.mode = mode;
    sc.region_va = heap->base;
    sc.footprint = heap->limit - heap->base;
    sc.ad_updates = true;
    sc.ept_ad = true;
    scenario = std::make_unique<stub::Scenario>(platform->bus(), sc);
    for (const workloads::Region& r : regions) {
      if (r.primary) continue;
      scenario->guest().map(scenario->process(), r.va, r.bytes, stub::PagePolicy::k4K);
    }
  }

  // One chunk of accesses.
  void run_chunk() {
    if (!started) {
      platform->start_event().notify(sc_core::SC_ZERO_TIME);
      started = true;
    } else {
      resume.notify(sc_core::SC_ZERO_TIME);
    }
    sc_core::sc_start();
  }

  arch::Mode mode;
  std::uint64_t footprint;
  std::unique_ptr<Platform> platform;
  std::unique_ptr<workloads::Workload> stream;
  std::unique_ptr<stub::Scenario> scenario;
  sc_core::sc_event resume;
  bool started = false;
};

class Firmware : public sc_core::sc_module {
 public:
  Firmware(sc_core::sc_module_name n, Bench& a, Bench& b) : sc_module(n), a_(a), b_(b) {
    SC_HAS_PROCESS(Firmware);
    SC_THREAD(run);
  }

 private:
  void run() {
    a_.program();
    b_.program();
  }
  Bench& a_;
  Bench& b_;
};

struct Benches {
  Benches()
      : stream("stream", arch::Mode::kNative, "stream", 64ull << 20),
        gups("gups", arch::Mode::kNested, "gups", 256ull << 20),
        firmware("firmware", stream, gups) {
    sc_core::sc_start(sc_core::SC_ZERO_TIME);  // elaboration and the firmware's setup
  }
  Bench stream;
  Bench gups;
  Firmware firmware;
};

Benches& benches() {
  static Benches* b = [] {
    setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
    return new Benches;  // never destroyed: SystemC modules outlive the benchmarks
  }();
  return *b;
}

void run(benchmark::State& state, Bench& b) {
  const CoreCounters& c = b.platform->core_counters(0);
  const std::uint64_t accesses0 = c.accesses, walks0 = b.platform->walker_stats(0).walks;
  for (auto _ : state) b.run_chunk();
  const std::uint64_t accesses = c.accesses - accesses0;
  if (accesses != state.iterations() * kChunk) state.SkipWithError("lost accesses");
  if (c.faults != 0) state.SkipWithError("faults: the scenario does not map the workload");
  state.SetItemsProcessed(static_cast<std::int64_t>(accesses));
  state.counters["walks_per_access"] =
      static_cast<double>(b.platform->walker_stats(0).walks - walks0) / accesses;
  state.counters["refs_per_walk"] =
      static_cast<double>(b.platform->walker_stats(0).walk_mem_refs) /
      static_cast<double>(b.platform->walker_stats(0).walks);
}

void BM_LtStreamNative4K(benchmark::State& state) { run(state, benches().stream); }
void BM_LtGupsNested4K4K(benchmark::State& state) { run(state, benches().gups); }

BENCHMARK(BM_LtStreamNative4K)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_LtGupsNested4K4K)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace
}  // namespace mmuvp::tlm
