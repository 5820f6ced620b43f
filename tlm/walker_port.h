// What an MMU (tlm/mmu.h) needs from its page walker, whatever its fidelity: the loosely-timed
// walker (tlm/lt_walker.h), the cycle-level walker of docs/walker-fsm.md (tlm/cycle_walker.h) or
// the RTL behind its wrapper. The platform builds one walker per core through a WalkerFactory,
// binds memory_socket() to the memory system's walker socket of that core, and hands the walker
// to the core's MMU.
//
// Calling convention (loosely timed): walk() is called from the core's SC_THREAD inside the MMU's
// b_transport, with `delay` the core's local time offset (tlm_quantumkeeper) at which the request
// is issued. The walker returns the response with `delay` advanced to the time the response is
// taken. A walker that keeps its own clock (cycle level) may sync first (wait(delay), delay =
// SC_ZERO_TIME), run its state machine and wait for the response; the LT walker only annotates.
// Only one walk per core is in flight (the cores are in order); response.cycles are walker cycles
// from acceptance to response, as WalkerStats::walk_cycles counts them.
//
// Invalidations (INV_CMD, segment/filter/mode changes) are forwarded by the MMU with invalidate()
// at the time the register write happens, under the rules of docs/walker-fsm.md ("It does not
// touch walks in flight").
#pragma once
#include <systemc>
#include <tlm>

#include <cstdint>
#include <functional>
#include <memory>

#include "arch/register_block.h"
#include "tlm/nested_tlb.h"
#include "tlm/paging_structure_cache.h"
#include "tlm/walk_types.h"

namespace mmuvp::tlm {

class WalkerPort {
 public:
  virtual ~WalkerPort() = default;

  // Serves one TLB miss (see the calling convention above). Never throws for architectural
  // problems: faults are in response.result.fault. The response stays valid until the next
  // walk() call on this walker (no copy, no allocation per walk).
  virtual const WalkResponse& walk(const WalkRequest& request, sc_core::sc_time& delay) = 0;
  // Applies an invalidation to the walker's paging-structure cache and nested TLB.
  virtual void invalidate(const arch::Invalidation& inv) = 0;

  // The initiator socket the walker's memory references leave through (protocol:
  // tlm/mem_attr.h, Initiator::kWalker, 8-byte READ and set_bits WRITE).
  virtual ::tlm::tlm_initiator_socket<>& memory_socket() = 0;

  virtual const WalkerStats& stats() const = 0;
  virtual const PwcCounters& pwc_counters() const = 0;
  virtual const NestedTlbCounters& ntlb_counters() const = 0;

  // Adds the walker's signals (state, current request, memory port) to `tf`; before sc_start.
  virtual void trace(sc_core::sc_trace_file* tf) = 0;
};

// Everything a walker of core `core` is built from.
struct WalkerSetup {
  const char* name = "walker";   // sc_module name
  unsigned core = 0;
  PwcConfig pwc;
  NestedTlbConfig ntlb;
  unsigned walk_slots = 2;       // cycle-level walkers
  sc_core::sc_time clock_period = sc_core::sc_time(1, sc_core::SC_NS);
  const arch::RegisterBlock* registers = nullptr;  // the MMU's (live escape-filter reads)
};

// Builds a walker during elaboration (the platform calls it once per core).
using WalkerFactory = std::function<std::unique_ptr<WalkerPort>(const WalkerSetup&)>;

}  // namespace mmuvp::tlm
