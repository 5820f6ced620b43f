// The co-simulation's command line (cosim_cli.h).
#include "tb/cosim_cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdint>
#include <stdexcept>

#include "arch/fault.h"
#include "arch/mode.h"
#include "tb/commands.h"

namespace mmuvp::tb {

namespace {

constexpr std::uint64_t kMaxStallPercent = 90;
constexpr std::uint64_t kMaxExtraLatency = 1000;

}  // namespace

void add_cosim_options(CLI::App& cmd, CosimOptions& o) {
  cmd.add_option("--mode", o.mode, "native|native-ds|nested|dual-direct|vmm-direct|"
                                   "guest-direct|flat-nested|all")
      ->capture_default_str();
  cmd.add_option("--translations", o.translations, "Translations per mode")
      ->capture_default_str();
  cmd.add_option("--seed", o.seed, "Random seed")->capture_default_str();
  cmd.add_option("--wave", o.wave, "Write the RTL's waveform (FST; one file per mode with all)");
  cmd.add_option("--stall-percent", o.stall, "Memory and response back-pressure, percent")
      ->capture_default_str();
  cmd.add_option("--extra-latency", o.latency, "Random extra memory latency, 0..N cycles")
      ->capture_default_str();
}

CosimConfig cosim_config(const CosimOptions& o) {
  CosimConfig c;
  if (o.mode == "all") {
    for (unsigned m = 0; m < arch::kModeCount; ++m) c.modes.push_back(static_cast<arch::Mode>(m));
  } else if (const auto m = arch::parse_mode(o.mode)) {
    c.modes = {*m};
  } else {
    throw CommandError(fmt::format("--mode: '{}' is not native, native-ds, nested, dual-direct, "
                                   "vmm-direct, guest-direct or all",
                                   o.mode));
  }
  c.translations = parse_u64(o.translations, "--translations");
  c.seed = parse_u64(o.seed, "--seed");
  c.wave = o.wave;
  const std::uint64_t stall = parse_u64(o.stall, "--stall-percent");
  const std::uint64_t latency = parse_u64(o.latency, "--extra-latency");
  if (stall > kMaxStallPercent)
    throw CommandError(fmt::format("--stall-percent: at most {}", kMaxStallPercent));
  if (latency > kMaxExtraLatency)
    throw CommandError(fmt::format("--extra-latency: at most {}", kMaxExtraLatency));
  c.mem_stall_percent = c.resp_stall_percent = static_cast<unsigned>(stall);
  c.extra_latency_max = static_cast<unsigned>(latency);
  return c;
}

CosimResult run_and_print_cosim(const CosimConfig& config) {
  CosimResult r;
  try {
    r = run_cosim(config);
  } catch (const std::invalid_argument& e) {
    throw CommandError(e.what());
  } catch (const std::runtime_error& e) {
    throw CommandError(e.what());
  }
  fmt::print("{:<13} {:>10} {:>10} {:>9} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7} {:>7}  "
             "{}\n",
             "mode", "compared", "refs", "cyc/walk", "faults", "ctxsw", "inval", "escaped",
             "+escaped", "root>end", "trap", "probes", "mism.", "machine");
  for (const CosimLane& l : r.lanes) {
    std::uint64_t faults = 0;
    for (std::size_t k = 1; k < l.faults.size(); ++k) faults += l.faults[k];
    fmt::print("{:<13} {:>10} {:>10} {:>9.1f} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7} "
               "{:>7}  {}\n",
               arch::to_string(l.mode), l.compared, l.mem_refs,
               l.compared ? static_cast<double>(l.walk_cycles) / l.compared : 0.0, faults,
               l.context_switches, l.invalidations, l.escaped_frames, l.added_escapes,
               l.beyond_memory_roots, l.trap_roots, l.register_probes, l.mismatches, l.space);
  }
  fmt::print("{} translations compared, {} cycles of {} walker pair(s) in {:.2f} s ({:.0f} "
             "walker-pair cycles/s)\n",
             r.compared, r.cycles, r.lanes.size(), r.seconds,
             r.seconds > 0 ? static_cast<double>(r.cycles * r.lanes.size()) / r.seconds : 0.0);
  for (const CosimLane& l : r.lanes)
    if (!l.wave.empty()) fmt::print("waveform ({}): {}\n", arch::to_string(l.mode), l.wave);
  fmt::print("mismatches: {}\n", r.mismatches);
  if (r.mismatches != 0) fmt::print("\n{}", r.report);
  return r;
}

}  // namespace mmuvp::tb
