// What an MMU hands its page walker on a TLB miss and what it gets back: the same types for the
// loosely-timed walker (tlm/lt_walker.h), the cycle-level walker (tlm/cycle_walker.h, the state
// machine of docs/walker-fsm.md) and the RTL behind its co-simulation wrapper, and what the
// translation checker (tlm/translation_checker.h) compares with the golden model.
#pragma once
#include <cstdint>

#include "arch/translation.h"
#include "arch/walk_caches.h"

namespace mmuvp::tlm {

struct WalkRequest {
  std::uint64_t id = 0;         // unique per MMU, echoed in the response
  arch::TranslationContext ctx;  // the register block's context when the walk was issued
  arch::Access access;
};

struct WalkResponse {
  std::uint64_t id = 0;
  arch::TranslationResult result;  // translation or fault, the ordered references and additions
  // The 8-byte value each reference of result.refs saw, in the same order: the entry as read (a
  // read), or the entry before the OR (an A/D update). The checker replays these into the golden
  // model, so that walks interleaved with other walks' A/D updates are checked exactly.
  arch::FixedList<std::uint64_t, arch::kMaxRefs> values;
  arch::WalkCacheUse caches;       // the PWC start and every nested-TLB lookup the walk made
  std::uint64_t cycles = 0;        // walker cycles from acceptance to the response
  std::uint8_t slot = 0;           // walk slot that served it (0 for the LT walker)
};

// Statistics every walker keeps (docs/walker-fsm.md, "Counted events").
struct WalkerStats {
  std::uint64_t requests = 0;
  std::uint64_t walks = 0;                 // requests that read at least one page-table entry
  std::uint64_t segment_translations = 0;  // requests answered by the segments alone
  std::uint64_t walk_mem_refs = 0;         // references, A/D writes included
  std::uint64_t walk_cycles = 0;     // sum over the walks of accept-to-response cycles
  std::uint64_t segment_cycles = 0;  // the same over the other requests (segments, early faults)
  std::uint64_t pwc_lookups = 0, pwc_hits = 0;
  std::uint64_t ntlb_lookups = 0, ntlb_hits = 0;
  std::uint64_t guest_segment_hits = 0;
  std::uint64_t vmm_segment_hits = 0;
  std::uint64_t escape_filter_hits = 0;
  std::uint64_t faults = 0;
  std::uint64_t port_wait_cycles = 0;   // cycle-level only: a slot waiting for a grant
  std::uint64_t slots_busy_cycles = 0;  // cycle-level only: sum over cycles of non-idle slots

  // Counts one finished request from its response (the parts every walker counts alike).
  void count(const WalkResponse& r) {
    ++requests;
    const arch::TranslationResult& t = r.result;
    const bool walked = !t.refs.empty();
    walks += walked ? 1 : 0;
    segment_translations += (!walked && t.ok()) ? 1 : 0;
    walk_mem_refs += t.refs.size();
    (walked ? walk_cycles : segment_cycles) += r.cycles;
    guest_segment_hits += t.guest_seg_hit ? 1 : 0;
    vmm_segment_hits += t.vmm_seg_hit ? 1 : 0;
    escape_filter_hits += t.filter_hits;
    faults += t.ok() ? 0 : 1;
  }
};

}  // namespace mmuvp::tlm
