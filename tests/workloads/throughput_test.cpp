// Generator throughput (accesses per second), DISABLED_ by default: run with
//   workload_tests --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'
// Each generator runs at its default 4 GiB footprint; the lackey reader reads a generated trace.
#include <gtest/gtest.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <ctime>

#include "workloads/factory.h"

namespace mmuvp::workloads {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

struct Rate {
  double wall = 0, cpu = 0;  // accesses per second of wall-clock and of process CPU time
};

// Drains the workload in batches of 4096. CPU time is the fairer figure on a shared machine.
Rate drain_rate(Workload& w, std::uint64_t* total) {
  std::vector<MemAccess> buf(4096);
  std::uint64_t n = 0, sink = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  for (std::size_t got; (got = w.next(buf.data(), buf.size())) > 0;) {
    n += got;
    sink += buf[got - 1].va;
  }
  const double cpu = cpu_seconds() - c0, wall = seconds_since(t0);
  *total = n + (sink == 1);  // keeps the loop's results alive
  return Rate{static_cast<double>(n) / wall, static_cast<double>(n) / cpu};
}

TEST(WorkloadsThroughput, DISABLED_workloads_throughput) {
  for (const std::string& name : workload_names()) {
    WorkloadConfig cfg;  // 4 GiB footprint
    cfg.accesses = 100'000'000;
    const auto t0 = std::chrono::steady_clock::now();
    auto w = make_workload(name, cfg);
    const double setup = seconds_since(t0);
    std::uint64_t total = 0;
    const Rate rate = drain_rate(*w, &total);
    std::printf("%-8s %7.1f M accesses/s CPU, %7.1f wall  (setup %.2f s)  %s\n", name.c_str(),
                rate.cpu / 1e6, rate.wall / 1e6, setup, w->describe().c_str());
    EXPECT_GE(total, cfg.accesses);
  }
  const std::string path = ::testing::TempDir() + "mmuvp_throughput.trace";
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::uint64_t x = 1;
  for (int i = 0; i < 5'000'000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    std::fprintf(f, "%s %" PRIx64 ",8\n", (x >> 63) ? "I " : " L",
                 static_cast<std::uint64_t>((x >> 16) & 0xffffffffffull));
  }
  std::fclose(f);
  for (IFetchMode mode : {IFetchMode::kCount, IFetchMode::kEmit}) {
    auto w = make_trace_workload(path, TraceOptions{mode});
    std::uint64_t total = 0;
    const Rate rate = drain_rate(*w, &total);
    std::printf("lackey   %7.1f M accesses/s CPU, %7.1f wall  (ifetch %s, %" PRIu64
                " accesses from 5 M lines)\n",
                rate.cpu / 1e6, rate.wall / 1e6, std::string(to_string(mode)).c_str(), total);
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace mmuvp::workloads
