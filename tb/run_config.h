// One simulation, as `mmuvp run` (SPEC §9) describes it and as it reports it: RunConfig is what the
// command line and --config FILE.json build; RunStats is what the run counted (every number is
// counted by the model; the paper's linear model is a separate output of `mmuvp eval`).
// tb/simulation.h runs a RunConfig; tb/run_json.h converts both to and from JSON.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "arch/address.h"
#include "arch/mode.h"
#include "arch/register_block.h"
#include "sw-stub/guest_os.h"
#include "sw-stub/paging_policy.h"
#include "tlm/cache_hierarchy.h"
#include "tlm/nested_tlb.h"
#include "tlm/paging_structure_cache.h"
#include "tlm/tlb.h"

namespace mmuvp::tb {

// Which walker serves the TLB misses.
//   golden: the same access stream through the functional model alone (plain C++ TLB, walk caches
//           and the golden translator; untimed, no SystemC): the speed and correctness reference.
//   tlm:    the SystemC platform with the loosely-timed walker (quantum keeper).
//   cycle:  the SystemC platform with the cycle-level clocked walker (docs/walker-fsm.md).
//   rtl:    the platform with the Verilated RTL walker.
//   cosim:  cycle-level and RTL walkers in lockstep, compared on every request: the platform runs
//           with the cycle-level walker (every statistic is that of `cycle`) and the RTL follows it
//           (tb/lockstep_walker_port.h); the first mismatch stops the run.
enum class WalkerKind : std::uint8_t { kGolden, kTlm, kCycle, kRtl, kCosim };

struct RunConfig {
  arch::Mode mode = arch::Mode::kNative;
  // Shadow paging (SPEC §6, sw-stub/shadow_pager.h): the VM of `mode` nested runs its guest on
  // VMM-built shadow tables, the hardware in native mode. `mmuvp run --mode shadow`.
  bool shadow_paging = false;
  // Dynamic switching between shadow and nested paging (SPEC §6, sw-stub/paging_policy.h): the
  // nested-mode VM's processes start on nested paging and the VMM's policy moves each between the
  // two. `mmuvp run --mode dynamic`; the switches and their reasons are in RunStats.
  bool dynamic_paging = false;
  stub::PagingPolicyConfig paging_policy;  // its exit_cycles is vm_exit_cycles
  // Cycles one VM exit costs the core that took it: every exit the firmware handles (EPT
  // violations of demand paging, and shadow paging's page-table stores, CR3 writes, hidden faults
  // and paging switches). SPEC §6: default 1,500.
  std::uint64_t vm_exit_cycles = 1500;
  std::string workload = "gups";  // generator name; ignored when `trace` is set
  std::string trace;              // Valgrind lackey trace file
  std::uint64_t accesses = 1'000'000;
  std::uint64_t footprint = 1ull << 30;  // bytes of heap the generator spans
  stub::PagePolicy guest_pages = stub::PagePolicy::k4K;
  arch::PageSize host_pages = arch::PageSize::k4K;
  unsigned cores = 1;
  unsigned processes = 0;          // guest processes (0: one per core); >cores: context switches
  std::uint64_t switch_interval = 0;  // accesses per core between context switches (0: none)
  WalkerKind walker = WalkerKind::kTlm;
  bool pwc = true;                 // paging-structure caches and nested TLB (--no-pwc: off)
  std::uint64_t seed = 1;
  std::string wave;                // waveform file ("" none)
  bool check = false;              // cross-check every translation against the golden model
  bool ad_updates = true;          // CONFIG.AD_ENABLE: the walker sets A/D bits it finds clear
  // The stub writes paging entries with A set (and D on leaves), as Linux and KVM create them for
  // memory a program writes: then walks make no A/D writes. false: entries start clear and the
  // walker sets them as the run first touches each page (A/D write references appear).
  bool preset_ad = true;
  // The guest OS maps the regions outside the primary region on first touch (4 KiB pages, from its
  // page-fault handler), and, in the modes without the VMM segment, the VMM backs guest memory on
  // EPT violations: the run then takes guest #PFs and VM exits that the firmware handles.
  bool demand_paging = false;
  // The workload allocates its thread stacks and per-thread buffers in the heap (the primary
  // region), so the direct segments cover every access (workloads::WorkloadConfig).
  bool private_in_heap = false;
  unsigned escaped_frames = 0;     // bad host frames inside the VMM segment (filter experiment)

  // Hardware (SPEC §4 defaults).
  unsigned walk_slots = 2;
  unsigned l2_tlb_latency = 7;     // cycles; the segment compare and filter overlap with it
  tlm::TlbConfig tlb;
  tlm::PwcConfig pwc_config;
  tlm::NestedTlbConfig ntlb_config;
  tlm::CacheConfig cache;
  arch::MmuParams mmu;
  std::uint64_t quantum_cycles = 10'000;  // LT: tlm_quantumkeeper global quantum
  // The platform's direct path (tlm/mmu.h Mmu::direct_access, its DMI): accesses that hit the L1
  // TLB through a live hint skip the sockets, with the same counts and timing. --no-dmi: off,
  // every access a b_transport.
  bool dmi = true;
  double clock_ghz = 1.0;                 // walker/core clock (cycles are what is reported)
};

// Counted by one core (and summed over cores in RunStats).
struct CoreStats {
  std::uint64_t accesses = 0;
  std::uint64_t instructions = 0;
  std::uint64_t l1_tlb_misses = 0;
  std::uint64_t l2_tlb_misses = 0;
  std::uint64_t walks = 0;
  std::uint64_t walk_mem_refs = 0;
  std::uint64_t walk_cycles = 0;
  std::uint64_t translation_cycles = 0;  // cycles the core stalled on translation (L2 TLB + walk)
  std::uint64_t total_cycles = 0;
  std::uint64_t segment_hits = 0;        // translations by a segment (guest or VMM, final gPA)
  std::uint64_t escape_filter_hits = 0;
  // The walker's requests by path (tlm::WalkerStats), the inputs of the paper's linear model
  // (tb/eval/linear_model.h): every request the walker served, those the segments answered alone
  // (no entry read), and those whose gVA -> gPA (guest) or final gPA -> hPA (VMM) went by a segment.
  std::uint64_t walk_requests = 0;         // WalkerStats::requests
  std::uint64_t segment_translations = 0;  // WalkerStats::segment_translations
  std::uint64_t guest_segment_hits = 0;    // WalkerStats::guest_segment_hits
  std::uint64_t vmm_segment_hits = 0;      // WalkerStats::vmm_segment_hits
  // The escape filter as measured: gPAs inside the VMM segment that were checked against the filter
  // (each is either added by the VMM segment or sent to the EPT by a filter hit), and the filter
  // hits on frames the VMM did not escape (Bloom false positives).
  std::uint64_t escape_filter_lookups = 0;
  std::uint64_t escape_filter_false_positives = 0;
  std::uint64_t pwc_hits = 0, pwc_lookups = 0;
  std::uint64_t ntlb_hits = 0, ntlb_lookups = 0;
  std::uint64_t faults = 0;
  std::uint64_t vm_exits = 0;
  std::uint64_t vm_exit_cycles = 0;  // cycles charged for the VM exits (vm_exits x the exit cost)
  std::uint64_t context_switches = 0;
  std::uint64_t paging_switches = 0;  // processes switched nested <-> shadow here (dynamic paging)
  // Of the accesses, those the platform served on its direct path (RunConfig::dmi); 0 for golden.
  std::uint64_t direct_accesses = 0;
  std::uint64_t checked_translations = 0;  // compared with the golden model (--check)
  std::uint64_t mismatches = 0;
  // --walker cosim: walks whose RTL response equalled the cycle-level walker's (every field, the
  // references and the response edge), and lockstep mismatches (0, or 1: the run stops there).
  std::uint64_t cosim_compared = 0;
  std::uint64_t cosim_mismatches = 0;
};

// The cache model's counts over the run (the platform's walkers; the golden model has no caches):
// each level summed over the cores (L1D and L2 are private, the LLC is shared), by requester.
struct CacheLevelStats {
  std::uint64_t data_accesses = 0, data_hits = 0;
  std::uint64_t walker_accesses = 0, walker_hits = 0;
  std::uint64_t fills = 0, evictions = 0, writebacks = 0;
};
struct CacheStats {
  bool present = false;  // false: golden (the JSON has null)
  CacheLevelStats l1d, l2, llc;
  std::uint64_t dram_data_accesses = 0, dram_walker_accesses = 0, dram_writebacks = 0;
  std::uint64_t data_cycles = 0, walker_cycles = 0;  // latency the cache model charged
};

// One switch of a process between nested and shadow paging (RunConfig::dynamic_paging).
struct PagingSwitch {
  unsigned core = 0;            // where the policy measured the process
  std::uint16_t pcid = 0;       // the process
  std::uint64_t at_access = 0;  // the core's completed accesses then
  bool to_shadow = false;
  double cost = 0;              // cycles per access of the mode left, as the policy measured it
  std::string reason;
};

struct RunStats {
  RunConfig config;
  std::string workload_name;     // Workload::name()
  std::string workload_describe; // Workload::describe()
  CoreStats total;               // summed over cores
  std::vector<CoreStats> per_core;
  CacheStats caches;
  double mem_refs_per_walk = 0;  // walk_mem_refs / walks
  double cycles_per_walk = 0;    // walk_cycles / walks
  double translation_overhead = 0;  // translation_cycles / total_cycles (max over cores' sums)
  double sim_seconds = 0;        // host wall time of the simulation proper (setup excluded)
  double accesses_per_second = 0;
  std::vector<PagingSwitch> paging_switches;  // in the order they were made
};

// The run's mode as users name it (`--mode`, the JSON's "mode"): a hardware mode (arch::Mode),
// "shadow": the nested-mode VM run on shadow tables (RunConfig::shadow_paging), or "dynamic": the
// VMM switching each process between the two (RunConfig::dynamic_paging).
inline std::string run_mode_name(arch::Mode mode, bool shadow_paging, bool dynamic_paging) {
  if (shadow_paging) return "shadow";
  if (dynamic_paging) return "dynamic";
  return std::string(arch::to_string(mode));
}
inline std::string run_mode_name(const RunConfig& c) {
  return run_mode_name(c.mode, c.shadow_paging, c.dynamic_paging);
}
// Sets mode and shadow_paging from a run mode name; false when the name is unknown.
inline bool set_run_mode(RunConfig& c, std::string_view name) {
  if (name == "shadow" || name == "dynamic") {
    c.mode = arch::Mode::kNested;
    c.shadow_paging = name == "shadow";
    c.dynamic_paging = name == "dynamic";
    return true;
  }
  const auto m = arch::parse_mode(name);
  if (!m) return false;
  c.mode = *m;
  c.shadow_paging = false;
  c.dynamic_paging = false;
  return true;
}
constexpr const char* kRunModeNames =
    "native, native-ds, nested, dual-direct, vmm-direct, guest-direct, flat-nested, shadow, "
    "dynamic";

}  // namespace mmuvp::tb
