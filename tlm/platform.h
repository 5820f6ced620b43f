// The SystemC/TLM-2.0 platform (SPEC §4): N cores, each with its MMU (register block, L1/L2 TLBs,
// a page walker with its paging-structure caches and nested TLB), a memory system (the cache model
// in front of the sparse physical memory) shared by the cores' data accesses and the walkers, and
// a TLM bus through which the firmware stub reaches memory and every MMU's registers.
//
//   Core[i] --(tlm socket: translate+access)--> Mmu[i] --(data)-------> MemorySystem --> memory
//                                                 |  \--(walker refs)-->      ^
//   firmware (stub over TlmMachineBus) --(MMIO)---+                           |
//                                      \--(memory, untimed for firmware)------+
//
// The direct path (PlatformConfig::dmi, on by default): an access that hits the L1 TLB through a
// live page hint skips the core's and the MMU's data sockets (Mmu::direct_access,
// MemorySystem::direct_data) with the same counts, cache-model state and time; every other
// access (L1 hits without a live hint, L2 hits, walks, faults) is transported.
//
// Construction elaborates the modules; the caller (tb/simulation.cpp) then sets the cores'
// workloads and hooks and calls sc_start(). Nothing in this header needs the caller to know the
// walker's fidelity: the LT walker and the cycle-level walker plug in behind tlm/walk_types.h.
#pragma once
#include <systemc>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "arch/fault.h"
#include "arch/register_block.h"
#include "arch/sparse_memory.h"
#include "sw-stub/machine_bus.h"
#include "tlm/cache_hierarchy.h"
#include "tlm/nested_tlb.h"
#include "tlm/paging_structure_cache.h"
#include "tlm/tlb.h"
#include "tlm/walk_types.h"
#include "tlm/walker_port.h"
#include "workloads/access.h"

namespace mmuvp::tlm {

class MemorySystem;
struct MmuCounters;

enum class WalkerFidelity : std::uint8_t { kLooselyTimed, kCycle };

struct PlatformConfig {
  unsigned cores = 1;
  WalkerFidelity walker = WalkerFidelity::kLooselyTimed;
  unsigned walk_slots = 2;       // cycle-level walker
  unsigned l2_tlb_latency = 7;   // cycles
  TlbConfig tlb;
  PwcConfig pwc;                 // PwcConfig::disabled_all() for --no-pwc
  NestedTlbConfig ntlb;          // geometry {0,0}-style disabled for --no-pwc
  CacheConfig cache;
  arch::MmuParams mmu;
  sc_core::sc_time clock_period = sc_core::sc_time(1, sc_core::SC_NS);
  std::uint64_t quantum_cycles = 10'000;
  // The direct hit path (tlm/mmu.h Mmu::direct_access, the platform's DMI): accesses that hit
  // the L1 TLB and the L1D through their hints skip the two sockets, with the same counts and
  // timing. false: every access is a b_transport.
  bool dmi = true;
  // Builds each core's walker (tlm/walker_port.h). Empty: the walker `walker` names
  // (tlm/lt_walker.h or tlm/cycle_walker_port.h).
  WalkerFactory walker_factory;
};

// What the firmware does when a core's access faults (called in the core's thread, which waits
// until it returns; the handler may use the bus and wait). kRetry: the access is translated again;
// kSkip: the access is dropped (counted as a fault, the core moves on).
enum class FaultAction : std::uint8_t { kRetry, kSkip };

// Counters of one core's run (the MMU's TLB/walker counters are read from the MMU).
struct CoreCounters {
  std::uint64_t accesses = 0;       // completed accesses
  std::uint64_t instructions = 0;   // MemAccess::insns summed (an access with 0 counts as 1)
  std::uint64_t total_cycles = 0;   // the core's local time at the end, in cycles
  std::uint64_t translation_cycles = 0;  // cycles accesses waited for translation beyond L1 TLB
  std::uint64_t data_cycles = 0;    // cycles of the data accesses (cache model latency)
  std::uint64_t faults = 0;
  std::uint64_t retries = 0;
};

class Platform {
 public:
  // Elaborates every module under `name` (an sc_module hierarchy). Throws std::invalid_argument
  // for a bad configuration (validated structure configs, cores in 1..64, walk_slots in 1..16).
  Platform(const char* name, const PlatformConfig& config);
  ~Platform();
  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;

  const PlatformConfig& config() const;
  unsigned cores() const;

  // The firmware's view of the machine over TLM (b_transport with annotated delay on memory and
  // MMIO; the stub's own time is not modelled). Call it only from a SystemC thread process.
  stub::MachineBus& bus();
  // The physical memory behind the memory system, for the checker and for debug reads (no
  // simulated time, no cache effects). Do not write it while the simulation runs.
  arch::SparseMemory& memory();
  // Core i's MMU register block (read-only use: the context its walker sees).
  const arch::RegisterBlock& registers(unsigned core) const;

  // Before sc_start(): the stream core i runs (not owned). A core without one stays idle.
  void set_workload(unsigned core, workloads::Workload* w, std::uint64_t max_accesses);
  // Before sc_start(): the cores start when `start` is notified (the firmware's setup thread
  // notifies it after programming the MMUs), and notify `done` when all have finished.
  sc_core::sc_event& start_event();
  sc_core::sc_event& done_event();
  // Called in core i's thread on a fault; default: kSkip.
  void set_fault_handler(std::function<FaultAction(unsigned core, const arch::Fault&)> h);
  // Called in core i's thread every `interval` completed accesses (e.g. a context switch by the
  // firmware over the bus). 0 disables.
  void set_periodic_hook(std::uint64_t interval, std::function<void(unsigned core)> h);
  // Called for every translation a core completes: `walk` is non-null when the walker served it
  // (a TLB miss), `hit` non-null when a TLB entry did. For the golden cross-check. With
  // `tlb_hits` false it is called for the walks only (statistics of walks: the per-access path
  // then makes no call).
  using TranslationObserver =
      std::function<void(unsigned core, const arch::TranslationContext& ctx,
                         const arch::Access& access, const WalkRequest* req,
                         const WalkResponse* walk, const TlbEntry* hit)>;
  void set_translation_observer(TranslationObserver o, bool tlb_hits = true);

  // After the run.
  const CoreCounters& core_counters(unsigned core) const;
  const Tlb& tlb(unsigned core) const;
  const WalkerStats& walker_stats(unsigned core) const;
  const PwcCounters& pwc_counters(unsigned core) const;
  const NestedTlbCounters& ntlb_counters(unsigned core) const;
  const CacheSystem& caches() const;
  // The MMU's own counters (L1/L2 hits, walks, translation and data cycles, MMIO) and the memory
  // system's per-port counters (tlm/mmu.h, tlm/memory_system.h).
  const MmuCounters& mmu_counters(unsigned core) const;
  const MemorySystem& memory_system() const;

  // Traces the walker's state, slots and memory port of every core into `vcd` (call before
  // sc_start). LT walker: one transaction per walk (request, response, references).
  void trace(sc_core::sc_trace_file* vcd);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mmuvp::tlm
