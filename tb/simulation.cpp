// simulate(): validation, the workload streams (one per core), and the dispatch to the golden run
// (tb/golden_run.h) or the SystemC platform with the firmware (tb/firmware.h) and its walker
// (tlm, cycle, the RTL of tb/rtl_walker_port.h, or the lockstep pair of tb/lockstep_walker_port.h),
// the golden cross-check (--check), the waveform (--wave) and progress; then RunStats from the
// counters.
#include "tb/simulation.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tb/golden_run.h"
#include "workloads/factory.h"

#include <systemc>

#include "tb/firmware.h"
#include "tb/lockstep_walker_port.h"
#include "tb/rtl_walker_port.h"
#include "tlm/mmu.h"
#include "tlm/platform.h"
#include "tlm/translation_checker.h"

namespace mmuvp::tb {

namespace {

constexpr unsigned kMaxCores = 64;
constexpr unsigned kMaxProcesses = 4095;  // one 12-bit PCID each, PCID 0 left to the kernel

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The RTL's FST of core `core` (--walker rtl or cosim): the --wave file itself with one core, else
// NAME.core<N>.fst.
std::string rtl_wave_of(const RunConfig& c, unsigned core) {
  if (c.wave.empty() || c.cores == 1) return c.wave;
  return fmt::format("{}.core{}.fst", c.wave.substr(0, c.wave.size() - 4), core);
}

void validate(const RunConfig& c) {
  if (c.cores < 1 || c.cores > kMaxCores)
    throw SimulationError(fmt::format("--cores {}: must be in 1..{}", c.cores, kMaxCores));
  if (c.processes > kMaxProcesses)
    throw SimulationError(
        fmt::format("{} processes: at most {} (one PCID each)", c.processes, kMaxProcesses));
  if (c.accesses == 0) throw SimulationError("--accesses must be at least 1");
  if (c.trace.empty()) {
    bool known = false;
    for (const std::string& n : workloads::workload_names()) known |= n == c.workload;
    if (!known)
      throw SimulationError(fmt::format("unknown workload '{}' (valid: gups, graph, kv, cg, "
                                        "stream; or --trace FILE)",
                                        c.workload));
  }
  const bool rtl = c.walker == WalkerKind::kRtl || c.walker == WalkerKind::kCosim;
  if (rtl && !c.wave.empty() && !ends_with(c.wave, ".fst"))
    throw SimulationError(fmt::format("--wave {}: with --walker {} the waveform is the RTL's "
                                      "FST; name a .fst file", c.wave,
                                      c.walker == WalkerKind::kRtl ? "rtl" : "cosim"));
  if (c.walker == WalkerKind::kGolden && c.check)
    throw SimulationError(
        "--check compares a platform walker with the golden model: not with --walker golden");
  if (c.walker == WalkerKind::kGolden && !c.wave.empty())
    throw SimulationError("--wave needs a SystemC walker (tlm, cycle or rtl), not --walker golden");
  if (c.clock_ghz <= 0) throw SimulationError("the clock must be positive");
  try {
    c.tlb.validate();
    if (c.pwc) {
      c.pwc_config.validate();
      c.ntlb_config.validate();
    }
  } catch (const std::invalid_argument& e) {
    throw SimulationError(e.what());
  }
}

}  // namespace

workloads::WorkloadConfig workload_config(const RunConfig& c, unsigned core) {
  workloads::WorkloadConfig wc;
  wc.footprint = c.footprint;
  wc.accesses = c.accesses;
  wc.seed = c.seed;
  wc.thread = core;
  wc.threads = c.cores;
  wc.private_in_heap = c.private_in_heap;
  return wc;
}

namespace {

// One stream per core: thread `core` of `cores` of the workload, or the trace.
std::vector<std::unique_ptr<workloads::Workload>> make_streams(const RunConfig& c) {
  std::vector<std::unique_ptr<workloads::Workload>> out;
  try {
    for (unsigned core = 0; core < c.cores; ++core) {
      if (!c.trace.empty()) {
        out.push_back(workloads::make_trace_workload(c.trace));
      } else {
        out.push_back(workloads::make_workload(c.workload, workload_config(c, core)));
      }
    }
  } catch (const workloads::TraceError& e) {
    throw SimulationError(e.what());
  } catch (const std::invalid_argument& e) {
    throw SimulationError(e.what());
  }
  return out;
}

std::vector<workloads::Region> regions_of(workloads::Workload& w) {
  try {
    return w.regions();
  } catch (const workloads::TraceError& e) {
    throw SimulationError(e.what());
  } catch (const std::invalid_argument& e) {
    throw SimulationError(e.what());
  }
}

void add_level(CacheLevelStats& s, const tlm::CacheLevelCounters& c) {
  const auto& data = c.by_requester[static_cast<unsigned>(tlm::Requester::kData)];
  const auto& walker = c.by_requester[static_cast<unsigned>(tlm::Requester::kWalker)];
  s.data_accesses += data.accesses;
  s.data_hits += data.hits;
  s.walker_accesses += walker.accesses;
  s.walker_hits += walker.hits;
  s.fills += c.fills;
  s.evictions += c.evictions;
  s.writebacks += c.writebacks;
}

CacheStats cache_stats(const tlm::CacheSystem& caches) {
  CacheStats s;
  s.present = true;
  for (unsigned c = 0; c < caches.cores(); ++c) {
    const tlm::CacheHierarchy& h = caches.core(c);
    add_level(s.l1d, h.l1d().counters());
    add_level(s.l2, h.l2().counters());
    s.data_cycles += h.counters().cycles[static_cast<unsigned>(tlm::Requester::kData)];
    s.walker_cycles += h.counters().cycles[static_cast<unsigned>(tlm::Requester::kWalker)];
  }
  add_level(s.llc, caches.shared().llc().counters());
  const tlm::DramCounters& d = caches.shared().dram_counters();
  s.dram_data_accesses = d.accesses[static_cast<unsigned>(tlm::Requester::kData)];
  s.dram_walker_accesses = d.accesses[static_cast<unsigned>(tlm::Requester::kWalker)];
  s.dram_writebacks = d.writebacks;
  return s;
}

void sum_into(CoreStats& t, const CoreStats& s) {
  t.accesses += s.accesses;
  t.instructions += s.instructions;
  t.l1_tlb_misses += s.l1_tlb_misses;
  t.l2_tlb_misses += s.l2_tlb_misses;
  t.walks += s.walks;
  t.walk_mem_refs += s.walk_mem_refs;
  t.walk_cycles += s.walk_cycles;
  t.translation_cycles += s.translation_cycles;
  t.total_cycles += s.total_cycles;
  t.segment_hits += s.segment_hits;
  t.escape_filter_hits += s.escape_filter_hits;
  t.walk_requests += s.walk_requests;
  t.segment_translations += s.segment_translations;
  t.guest_segment_hits += s.guest_segment_hits;
  t.vmm_segment_hits += s.vmm_segment_hits;
  t.escape_filter_lookups += s.escape_filter_lookups;
  t.escape_filter_false_positives += s.escape_filter_false_positives;
  t.pwc_hits += s.pwc_hits;
  t.pwc_lookups += s.pwc_lookups;
  t.ntlb_hits += s.ntlb_hits;
  t.ntlb_lookups += s.ntlb_lookups;
  t.faults += s.faults;
  t.vm_exits += s.vm_exits;
  t.vm_exit_cycles += s.vm_exit_cycles;
  t.context_switches += s.context_switches;
  t.paging_switches += s.paging_switches;
  t.direct_accesses += s.direct_accesses;
  t.checked_translations += s.checked_translations;
  t.mismatches += s.mismatches;
  t.cosim_compared += s.cosim_compared;
  t.cosim_mismatches += s.cosim_mismatches;
}

double ratio(std::uint64_t a, std::uint64_t b) {
  return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
}

tlm::PlatformConfig platform_config(const RunConfig& c) {
  tlm::PlatformConfig p;
  p.cores = c.cores;
  // cosim: the cycle-level walker is the platform's (the RTL follows it: the factory below).
  p.walker = c.walker == WalkerKind::kCycle || c.walker == WalkerKind::kCosim
                 ? tlm::WalkerFidelity::kCycle
                 : tlm::WalkerFidelity::kLooselyTimed;
  p.walk_slots = c.walk_slots;
  p.l2_tlb_latency = c.l2_tlb_latency;
  p.tlb = c.tlb;
  p.pwc = effective_pwc(c);
  p.ntlb = effective_ntlb(c);
  p.cache = c.cache;
  p.mmu = c.mmu;
  p.clock_period = sc_core::sc_time(1.0 / c.clock_ghz, sc_core::SC_NS);
  p.quantum_cycles = c.quantum_cycles;
  p.dmi = c.dmi;
  return p;
}

// The host-time slice of simulated time between progress reports.
constexpr std::uint64_t kProgressSliceCycles = 1'000'000;

// sc_start to the end, in slices with progress reports when `progress` is set.
void run_to_end(const RunConfig& config, tlm::Platform& platform, const ProgressFn& progress) {
  if (!progress) {
    sc_core::sc_start();
    return;
  }
  const sc_core::sc_time slice = platform.config().clock_period * kProgressSliceCycles;
  auto last = std::chrono::steady_clock::now();
  const std::uint64_t total = config.accesses * config.cores;
  do {
    sc_core::sc_start(slice);
    const auto now = std::chrono::steady_clock::now();
    if (now - last >= std::chrono::milliseconds(100)) {
      last = now;
      std::uint64_t done = 0;
      for (unsigned c = 0; c < config.cores; ++c) done += platform.core_counters(c).accesses;
      progress(done, total);
    }
  } while (sc_core::sc_get_status() != sc_core::SC_STOPPED && sc_core::sc_pending_activity());
}

std::vector<CoreStats> run_platform(const RunConfig& config,
                                    std::vector<std::unique_ptr<workloads::Workload>>& streams,
                                    const std::vector<workloads::Region>& regions,
                                    const ProgressFn& progress, std::string* first_mismatch,
                                    double& sim_seconds, CacheStats& caches,
                                    std::vector<PagingSwitch>& paging_switches) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
  // --walker cosim: what the lockstep ports share (outlives the platform, which owns them).
  LockstepMonitor lockstep;
  std::unique_ptr<tlm::Platform> platform;
  // The RTL walker's escape filter is reloaded from the VM's escaped frames (rtl_walker_port.h);
  // the firmware that knows them is built after the platform.
  Firmware* firmware_of_run = nullptr;
  const auto escaped_frames = [&firmware_of_run] {
    std::vector<std::uint64_t> frames;
    if (firmware_of_run != nullptr && firmware_of_run->setup() != nullptr &&
        firmware_of_run->setup()->vm())
      for (const std::uint64_t f : firmware_of_run->setup()->vm()->escaped_frames())
        frames.push_back(f);
    return frames;
  };
  tlm::PlatformConfig pc = platform_config(config);
  if (config.walker == WalkerKind::kRtl) {
    pc.walker_factory = [&config, escaped_frames](const tlm::WalkerSetup& setup) {
      RtlWalkerPortOptions o;
      o.fst_path = rtl_wave_of(config, setup.core);
      o.escaped_frames = escaped_frames;
      return make_rtl_walker(setup, o);
    };
  } else if (config.walker == WalkerKind::kCosim) {
    const std::string where =
        fmt::format("{}, {}", run_mode_name(config),
                    config.trace.empty() ? config.workload : "trace " + config.trace);
    pc.walker_factory = [&config, &lockstep, escaped_frames,
                         where](const tlm::WalkerSetup& setup) {
      LockstepWalkerOptions o;
      o.fst_path = rtl_wave_of(config, setup.core);
      o.escaped_frames = escaped_frames;
      o.where = where;
      return make_lockstep_walker(setup, o, lockstep);
    };
  }
  try {
    platform = std::make_unique<tlm::Platform>("platform", pc);
  } catch (const std::invalid_argument& e) {
    throw SimulationError(e.what());
  } catch (const std::runtime_error& e) {
    throw SimulationError(e.what());
  }
  Firmware firmware("firmware", *platform, config, regions);
  firmware_of_run = &firmware;
  for (unsigned c = 0; c < config.cores; ++c)
    platform->set_workload(c, streams[c].get(), config.accesses);

  // The translation observer tallies the walks (segment translations, escape filter) in the
  // segment modes, and with --check compares every walk and TLB hit with the golden model.
  std::vector<CoreStats> tally(config.cores);
  std::unique_ptr<tlm::TranslationChecker> checker;
  if (config.check) checker = std::make_unique<tlm::TranslationChecker>(platform->memory());
  const std::set<std::uint64_t>* escaped = nullptr;
  const bool segments = arch::uses_guest_segment(config.mode) || arch::uses_vmm_segment(config.mode);
  if (segments || checker) platform->set_translation_observer(
      [&](unsigned core, const arch::TranslationContext& ctx, const arch::Access& access,
          const tlm::WalkRequest* req, const tlm::WalkResponse* walk, const tlm::TlbEntry* hit) {
        CoreStats& t = tally[core];
        if (walk != nullptr) {
          if (escaped == nullptr && firmware.setup() != nullptr && firmware.setup()->vm())
            escaped = &firmware.setup()->vm()->escaped_frames();
          tally_walk(ctx, *walk, escaped, t);
        }
        if (!checker) return;
        tlm::CheckOutcome o;
        if (walk != nullptr && req != nullptr) {
          o = checker->check_walk(*req, *walk);
        } else if (hit != nullptr) {
          o = checker->check_hit(ctx, access, *hit);
        } else {
          return;
        }
        ++t.checked_translations;
        t.mismatches += o.ok ? 0 : 1;
      },
      /*tlb_hits=*/checker != nullptr);
  sc_core::sc_trace_file* vcd = nullptr;
  const bool rtl_wave = config.walker == WalkerKind::kRtl || config.walker == WalkerKind::kCosim;
  if (!config.wave.empty() && !rtl_wave) {  // rtl, cosim: the RTL's own FST
    std::string base = config.wave;
    if (base.size() > 4 && base.compare(base.size() - 4, 4, ".vcd") == 0)
      base.resize(base.size() - 4);
    vcd = sc_core::sc_create_vcd_trace_file(base.c_str());
    if (vcd == nullptr) throw SimulationError(fmt::format("cannot create {}", config.wave));
    vcd->set_time_unit(platform->config().clock_period.to_seconds(), sc_core::SC_SEC);
    platform->trace(vcd);
  }

  const auto start = std::chrono::steady_clock::now();
  try {
    run_to_end(config, *platform, progress);
  } catch (const SimulationError&) {
    throw;
  } catch (const std::exception& e) {  // e.g. an RTL walker that cannot take the MMU's context
    throw SimulationError(e.what());
  }
  // The run proper: from the cores' release (after the firmware's setup) to the end.
  const auto end = std::chrono::steady_clock::now();
  sim_seconds = std::chrono::duration<double>(
                    end - (firmware.ready() ? firmware.started_at() : start))
                    .count();
  if (vcd != nullptr) sc_core::sc_close_vcd_trace_file(vcd);
  // A lockstep mismatch stopped the run: it is the news, whatever the firmware had reached.
  if (lockstep.failed()) {
    if (first_mismatch != nullptr) *first_mismatch = lockstep.report();
  } else if (!firmware.error().empty()) {
    throw SimulationError(firmware.error());
  }
  if (!firmware.ready()) throw SimulationError("the firmware did not finish its setup");

  std::vector<CoreStats> out;
  caches = cache_stats(platform->caches());
  paging_switches = firmware.setup()->paging_switches();
  std::uint64_t done = 0;
  for (unsigned c = 0; c < config.cores; ++c) {
    const tlm::CoreCounters& k = platform->core_counters(c);
    CoreStats s = tally[c];
    s.accesses = k.accesses;
    s.instructions = k.instructions;
    s.total_cycles = k.total_cycles;
    s.translation_cycles = k.translation_cycles;
    s.faults = k.faults;
    s.direct_accesses = platform->mmu_counters(c).direct;
    s.l1_tlb_misses = platform->tlb(c).l1().counters().misses;
    s.l2_tlb_misses = platform->tlb(c).l2().counters().misses;
    copy_walker_stats(platform->walker_stats(c), s);
    s.pwc_lookups = platform->pwc_counters(c).lookups;
    s.pwc_hits = platform->pwc_counters(c).hits;
    s.ntlb_lookups = platform->ntlb_counters(c).lookups;
    s.ntlb_hits = platform->ntlb_counters(c).hits;
    s.vm_exits = firmware.vm_exits(c);
    s.vm_exit_cycles = firmware.vm_exit_cycles(c);
    s.context_switches = firmware.context_switches(c);
    s.cosim_compared = lockstep.compared(c);
    done += s.accesses;
    out.push_back(s);
  }
  if (lockstep.failed()) {
    out.at(lockstep.failed_core()).cosim_mismatches = 1;  // the first and only: the run stopped
    return out;
  }
  if (progress) progress(done, config.accesses * config.cores);
  if (checker && first_mismatch != nullptr) *first_mismatch = checker->first_mismatch();
  return out;
}


}  // namespace

RunStats simulate(const RunConfig& config, const ProgressFn& progress,
                  std::string* first_mismatch) {
  validate(config);
  std::vector<std::unique_ptr<workloads::Workload>> streams = make_streams(config);
  const std::vector<workloads::Region> regions = regions_of(*streams.front());

  RunStats stats;
  stats.config = config;
  stats.workload_name = streams.front()->name();
  stats.workload_describe = streams.front()->describe();
  if (first_mismatch != nullptr) first_mismatch->clear();

  if (config.walker == WalkerKind::kGolden) {
    std::vector<workloads::Workload*> raw;
    for (auto& s : streams) raw.push_back(s.get());
    GoldenRunResult g = run_golden(config, raw, regions, progress);
    stats.per_core = std::move(g.per_core);
    stats.sim_seconds = g.sim_seconds;
    stats.paging_switches = std::move(g.paging_switches);
  } else {
    stats.per_core =
        run_platform(config, streams, regions, progress, first_mismatch, stats.sim_seconds,
                     stats.caches, stats.paging_switches);
  }

  for (const PagingSwitch& w : stats.paging_switches) ++stats.per_core.at(w.core).paging_switches;
  for (const CoreStats& s : stats.per_core) sum_into(stats.total, s);
  const CoreStats& t = stats.total;
  stats.mem_refs_per_walk = ratio(t.walk_mem_refs, t.walks);
  stats.cycles_per_walk = ratio(t.walk_cycles, t.walks);
  // The VM exits (EPT violations, shadow paging's traps) are memory-virtualization work: they
  // count with the translation cycles (0 without exits).
  stats.translation_overhead = ratio(t.translation_cycles + t.vm_exit_cycles, t.total_cycles);
  stats.accesses_per_second =
      stats.sim_seconds > 0 ? static_cast<double>(t.accesses) / stats.sim_seconds : 0.0;
  return stats;
}

}  // namespace mmuvp::tb
