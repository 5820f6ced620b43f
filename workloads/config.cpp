// WorkloadConfig validation and byte formatting.
#include "workloads/config.h"

#include <fmt/format.h>

#include <iterator>
#include <stdexcept>

namespace mmuvp::workloads {

void validate(const WorkloadConfig& cfg) {
  auto fail = [](const std::string& msg) {
    throw std::invalid_argument("workload config: " + msg);
  };
  if (cfg.footprint < kMinFootprint) {
    fail(fmt::format("footprint {} below the minimum {}", format_bytes(cfg.footprint),
                     format_bytes(kMinFootprint)));
  }
  if (cfg.footprint > kMaxFootprint) {
    fail(fmt::format("footprint {} exceeds the {} the virtual layout allows",
                     format_bytes(cfg.footprint), format_bytes(kMaxFootprint)));
  }
  if (cfg.threads == 0 || cfg.threads > kMaxThreads) {
    fail(fmt::format("threads must be in 1..{}, got {}", kMaxThreads, cfg.threads));
  }
  if (cfg.thread >= cfg.threads) {
    fail(fmt::format("thread {} out of range for {} threads", cfg.thread, cfg.threads));
  }
  if (cfg.heap_base % kRegionAlign != 0) fail("heap_base must be 2 MiB aligned");
  if (cfg.heap_base < kRegionAlign || cfg.heap_base > kMiscBase - cfg.footprint) {
    fail(fmt::format("heap_base {:#x} leaves no room for a {} heap below {:#x}", cfg.heap_base,
                     format_bytes(cfg.footprint), kMiscBase));
  }
}

std::string format_bytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  unsigned unit = 0;
  std::uint64_t whole = bytes;
  while (unit + 1 < std::size(kUnits) && whole >= 1024 && whole % 1024 == 0) {
    whole /= 1024;
    ++unit;
  }
  if (whole < 10 * 1024 || unit + 1 == std::size(kUnits)) {
    return fmt::format("{} {}", whole, kUnits[unit]);
  }
  // Not a whole multiple: one decimal in the largest unit below 1024.
  double v = static_cast<double>(bytes);
  unit = 0;
  while (unit + 1 < std::size(kUnits) && v >= 1024) {
    v /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", v, kUnits[unit]);
}

}  // namespace mmuvp::workloads
