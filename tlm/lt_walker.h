// The loosely-timed page walker of one core: the golden translator (arch/golden_translator.h) with
// this walker's paging-structure cache and nested TLB (tlm/walk_cache_set.h), over a physical
// memory whose every 8-byte reference goes through the walker's TLM socket to the memory system
// (and so through the cache model, shared with the cores' data). Functionally it is the golden
// model by construction; what it adds is the memory path, the cost of each walk and its counters.
//
// Memory path: a golden read is a READ of the entry; a golden write is an A/D update, sent as a
// set_bits WRITE of the bits that change (new & ~old, old = the value this walk just read there),
// whose response is the entry before the OR. Each reference's value goes into
// WalkResponse::values in reference order (0 for a reference that failed with an address error).
//
// Timing: the cycles the state machine of docs/walker-fsm.md spends on the same walk when it has
// the memory port to itself (one walk in flight, immediate grants), in walker clock cycles:
//     cycles = 1                                 SEG: canonical check and guest-segment compare
//            + pwc lookups                        PWC (also when the cache is disabled)
//            + gPAs compared (virtualized modes)  HSEG: VMM-segment compare / 48-bit check, one per
//                                                 nested-TLB lookup or VMM-segment addition
//            + nested-TLB lookups                 NTLB
//            + sum over entry reads (L_i + 2)     *REQ + *WAIT (L_i: the cache model's latency) + *CHK
//            + sum over A/D updates (L_i + 1)     *AD_REQ + *AD_WAIT
//            + 1                                  DONE or FAULT (the response is taken at once)
// e.g. native 4K with caches off: 4L + 11; nested 4K+4K: 24L + 61 (the cycle-level walker's
// figures). Not modelled: contention between walks (the LT walker serves one walk at a time) and
// the HSEG cycle of a gPA that faults the 48-bit check. The walk's time is annotated into the
// caller's delay (no wait()), except when tracing (trace()): then the walker syncs to the
// caller's time and waits out each reference, so a waveform shows every walk
// and reference at its own time (slower; for small runs).
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>

#include "arch/golden_translator.h"
#include "arch/phys_mem.h"
#include "tlm/mem_attr.h"
#include "tlm/walk_cache_set.h"
#include "tlm/walker_port.h"

namespace mmuvp::tlm {

class LtWalker final : public sc_core::sc_module, public WalkerPort {
 public:
  tlm_utils::simple_initiator_socket<LtWalker> mem_socket;

  LtWalker(sc_core::sc_module_name name, const WalkerSetup& setup);

  const WalkResponse& walk(const WalkRequest& request, sc_core::sc_time& delay) override;
  void invalidate(const arch::Invalidation& inv) override { caches_.invalidate(inv); }
  ::tlm::tlm_initiator_socket<>& memory_socket() override { return mem_socket; }
  const WalkerStats& stats() const override { return stats_; }
  const PwcCounters& pwc_counters() const override { return caches_.pwc().counters(); }
  const NestedTlbCounters& ntlb_counters() const override { return caches_.ntlb().counters(); }
  void trace(sc_core::sc_trace_file* tf) override;

  WalkCacheSet& caches() { return caches_; }

 private:
  // The golden model's memory: every reference is a transaction on mem_socket.
  class SocketMemory final : public arch::PhysMem {
   public:
    explicit SocketMemory(LtWalker& w) : w_(w) {}
    bool read64(std::uint64_t pa, std::uint64_t& value) override { return w_.read(pa, value); }
    bool write64(std::uint64_t pa, std::uint64_t value) override { return w_.set(pa, value); }

   private:
    LtWalker& w_;
  };

  bool read(std::uint64_t pa, std::uint64_t& value);
  bool set(std::uint64_t pa, std::uint64_t value);
  // One transaction; returns false on an error response. Adds the reference's cycles.
  bool transact(::tlm::tlm_command cmd, std::uint64_t pa, bool set_bits);

  WalkerSetup setup_;
  std::uint64_t period_ps_;  // clock period in sc_time resolution units
  double inv_period_;        // 1 / period_ps_ (a multiply per reference, not a division)
  WalkCacheSet caches_;
  SocketMemory memory_;
  arch::GoldenTranslator golden_;
  WalkResponse resp_;
  WalkerStats stats_;

  // The payload every reference reuses (its MemAttr is owned by it).
  ::tlm::tlm_generic_payload trans_;
  MemAttr* attr_ = nullptr;
  std::uint64_t buf_ = 0;
  std::uint64_t last_pa_ = ~0ull, last_value_ = 0;  // the entry this walk read last
  std::uint64_t ref_cycles_ = 0;                    // sum over this walk's references

  // Tracing (written only when enabled).
  bool tracing_ = false;
  std::uint64_t traced_cycles_ = 0;  // cycles of this walk already waited out
  sc_core::sc_signal<bool> sig_busy_;
  sc_core::sc_signal<std::uint64_t> sig_va_;
  sc_core::sc_signal<std::uint64_t> sig_hpa_;
  sc_core::sc_signal<std::uint64_t> sig_ref_addr_;
  sc_core::sc_signal<std::uint32_t> sig_refs_;
  sc_core::sc_signal<std::uint32_t> sig_fault_;
  sc_core::sc_signal<std::uint64_t> sig_id_;
};

// The WalkerFactory of the LT walker.
std::unique_ptr<WalkerPort> make_lt_walker(const WalkerSetup& setup);

}  // namespace mmuvp::tlm
