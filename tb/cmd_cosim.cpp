// `mmuvp cosim`: the cycle-level SystemC walker and the Verilated RTL walker in lockstep on
// stub-built address spaces (tb/cosim.h). Prints one line per mode and the mismatch count; exit 0
// only with zero mismatches (SPEC §9). The first mismatch stops the run with its report.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include "arch/fault.h"
#include "arch/mode.h"
#include "tb/commands.h"
#include "tb/cosim.h"

namespace mmuvp::tb {

namespace {

struct CosimOptions {
  std::string mode = "all";
  std::string translations = "10000";
  std::string seed = "1";
  std::string wave;
  std::string stall = "15";
  std::string latency = "8";
};

void run_cosim_command(const CosimOptions& o) {
  CosimConfig c;
  if (o.mode == "all") {
    c.modes = {arch::Mode::kNative,     arch::Mode::kNativeDs,  arch::Mode::kNested,
               arch::Mode::kDualDirect, arch::Mode::kVmmDirect, arch::Mode::kGuestDirect};
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
  if (stall > 90) throw CommandError("--stall-percent: at most 90");
  if (latency > 1000) throw CommandError("--extra-latency: at most 1000");
  c.mem_stall_percent = c.resp_stall_percent = static_cast<unsigned>(stall);
  c.extra_latency_max = static_cast<unsigned>(latency);
  CosimResult r;
  try {
    r = run_cosim(c);
  } catch (const std::invalid_argument& e) {
    throw CommandError(e.what());
  } catch (const std::runtime_error& e) {
    throw CommandError(e.what());
  }
  fmt::print("{:<13} {:>10} {:>10} {:>9} {:>8} {:>7} {:>8} {:>8} {:>7}  {}\n", "mode", "compared",
             "refs", "cyc/walk", "faults", "ctxsw", "inval", "escaped", "mism.", "machine");
  for (const CosimLane& l : r.lanes) {
    std::uint64_t faults = 0;
    for (std::size_t k = 1; k < l.faults.size(); ++k) faults += l.faults[k];
    fmt::print("{:<13} {:>10} {:>10} {:>9.1f} {:>8} {:>7} {:>8} {:>8} {:>7}  {}\n",
               arch::to_string(l.mode), l.compared, l.mem_refs,
               l.compared ? static_cast<double>(l.walk_cycles) / l.compared : 0.0, faults,
               l.context_switches, l.invalidations, l.escaped_frames, l.mismatches, l.space);
  }
  fmt::print("{} translations compared, {} cycles of {} walker pair(s) in {:.2f} s ({:.0f} "
             "walker-pair cycles/s)\n",
             r.compared, r.cycles, r.lanes.size(), r.seconds,
             r.seconds > 0 ? static_cast<double>(r.cycles * r.lanes.size()) / r.seconds : 0.0);
  for (const CosimLane& l : r.lanes)
    if (!l.wave.empty()) fmt::print("waveform ({}): {}\n", arch::to_string(l.mode), l.wave);
  fmt::print("mismatches: {}\n", r.mismatches);
  if (r.mismatches != 0) {
    fmt::print("\n{}", r.report);
    throw CLI::RuntimeError(kExitFailure);
  }
}

}  // namespace

void register_cosim(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "cosim", "Run the cycle-level SystemC walker and the RTL walker in lockstep on stub-built "
               "address spaces and compare every response, reference and response cycle");
  auto o = std::make_shared<CosimOptions>();
  cmd->add_option("--mode", o->mode, "native|native-ds|nested|dual-direct|vmm-direct|"
                                     "guest-direct|all")
      ->capture_default_str();
  cmd->add_option("--translations", o->translations, "Translations per mode")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Random seed")->capture_default_str();
  cmd->add_option("--wave", o->wave, "Write the RTL's waveform (FST; one file per mode with all)");
  cmd->add_option("--stall-percent", o->stall, "Memory and response back-pressure, percent")
      ->capture_default_str();
  cmd->add_option("--extra-latency", o->latency, "Random extra memory latency, 0..N cycles")
      ->capture_default_str();
  cmd->callback([o] {
    setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
    run_cosim_command(*o);
  });
}

}  // namespace mmuvp::tb
