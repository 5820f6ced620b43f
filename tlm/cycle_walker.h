// The cycle-level clocked page walker: the state machine of docs/walker-fsm.md, cycle for cycle
// (the RTL walker implements the same machine and co-simulation compares them). W walk slots, one
// memory port behind a round-robin arbiter, one paging-structure cache and one nested TLB shared by
// the slots (tlm::PagingStructureCache and tlm::NestedTlb: true LRU), the segment compares and the
// escape filter (read live). What a walk reads, writes and returns is the golden model's
// (arch::GoldenTranslator with the walk-cache hook); this module decides when.
//
// Structure: one SC_METHOD on the rising edge of `clk` updates every slot (the _d/_q discipline:
// it reads the signals as they were in the cycle the edge ends and writes the outputs of the next
// cycle). Per edge, in this order: lookups of all slots (slot order), fills of all slots (slot
// order), the invalidation on inv_*; then the request, response and memory handshakes and the
// Moore outputs (req_ready, resp_*, the arbiter's mem_req_*) for the next cycle.
//
// The MMU side is a transaction-level front end inside the module: submit() queues requests that
// it drives onto req_* (one per cycle at most), and responses come back through walk() (blocking),
// a callback, or pop_response(). The memory side is a port (bind it with MemPortSignals to a
// MemPortBridge, tlm/mem_port_bridge.h). All wires are sc_signals, traced by trace().
//
// Front-end timing: a request submitted (or an invalidation issued) at simulation time T is
// driven from the first clock edge strictly after T, i.e. like a registered output of an MMU that
// decided in the cycle containing T; it is accepted at the edge ending that cycle at the earliest.
// WalkResponse::cycles counts edges from the accepting edge to the edge at which the response is
// taken (resp_valid && resp_ready).
#pragma once
#include <systemc>

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "arch/escape_filter.h"
#include "arch/fault.h"
#include "arch/register_block.h"
#include "arch/translation.h"
#include "tlm/nested_tlb.h"
#include "tlm/paging_structure_cache.h"
#include "tlm/walk_fsm.h"
#include "tlm/walk_types.h"

namespace mmuvp::tlm {

struct CycleWalkerConfig {
  unsigned slots = 2;  // W, 1..kMaxWalkSlots
  PwcConfig pwc;
  NestedTlbConfig ntlb;
  // The escape filter the HSEG compare reads (live, in the cycle of the compare); nullptr: the
  // filter named by each request's context.
  const arch::EscapeFilter* filter = nullptr;
  // Front-end stress: resp_ready is low in a cycle with this probability (seeded).
  unsigned resp_stall_percent = 0;
  std::uint64_t seed = 1;

  // Throws std::invalid_argument("CycleWalkerConfig.<field>: <reason>").
  void validate() const;
};

constexpr unsigned kMaxWalkSlots = 16;
constexpr std::size_t kFaultKindCount = 6;  // arch::FaultKind values 0..5

class CycleWalker : public sc_core::sc_module {
 public:
  sc_core::sc_in<bool> clk;

  // ---- memory port (docs/walker-fsm.md, "Memory request" / "Memory response") ----
  sc_core::sc_out<bool> mem_req_valid;
  sc_core::sc_in<bool> mem_req_ready;
  sc_core::sc_out<std::uint32_t> mem_req_tag;   // slot index
  sc_core::sc_out<std::uint64_t> mem_req_addr;  // hPA, 8-byte aligned
  sc_core::sc_out<std::uint32_t> mem_req_op;    // MemOp
  sc_core::sc_out<std::uint64_t> mem_req_data;  // SET_BITS: the bits to OR in
  sc_core::sc_in<bool> mem_resp_valid;
  sc_core::sc_in<std::uint32_t> mem_resp_tag;
  sc_core::sc_in<std::uint64_t> mem_resp_data;
  sc_core::sc_in<bool> mem_resp_err;
  // For tracing and checking: arch::RefTarget, entry level, for_level of the driven request.
  sc_core::sc_signal<std::uint32_t> mem_req_target;
  sc_core::sc_signal<std::uint32_t> mem_req_level;
  sc_core::sc_signal<std::uint32_t> mem_req_for_level;

  // Active-low synchronous reset: 0 at an edge puts every slot in W_IDLE, the arbiter back to
  // slot 0, and empties the PWC and the nested TLB. Requests in flight are lost.
  sc_core::sc_signal<bool> rst_ni;

  // ---- request (MMU -> walker), driven by the front end ----
  sc_core::sc_signal<bool> req_valid;
  sc_core::sc_signal<bool> req_ready;
  sc_core::sc_signal<std::uint32_t> req_id;  // low 16 bits of WalkRequest::id
  sc_core::sc_signal<std::uint64_t> req_va;
  sc_core::sc_signal<std::uint32_t> req_type;  // arch::AccessType
  sc_core::sc_signal<bool> req_user;

  // ---- response (walker -> MMU) ----
  sc_core::sc_signal<bool> resp_valid;
  sc_core::sc_signal<bool> resp_ready;  // driven by the front end
  sc_core::sc_signal<std::uint32_t> resp_id;  // low 16 bits
  sc_core::sc_signal<std::uint32_t> resp_slot;
  sc_core::sc_signal<std::uint64_t> resp_hpa;
  sc_core::sc_signal<std::uint64_t> resp_gpa;
  sc_core::sc_signal<std::uint32_t> resp_size;  // arch::PageSize
  sc_core::sc_signal<std::uint32_t> resp_guest_size;
  sc_core::sc_signal<std::uint32_t> resp_host_size;
  sc_core::sc_signal<std::uint32_t> resp_perms;  // kPermR | kPermW | kPermX | kPermU
  sc_core::sc_signal<bool> resp_global;
  sc_core::sc_signal<bool> resp_dirty;
  sc_core::sc_signal<bool> resp_guest_seg_hit;
  sc_core::sc_signal<bool> resp_vmm_seg_hit;
  sc_core::sc_signal<std::uint32_t> resp_filter_hits;
  sc_core::sc_signal<std::uint32_t> resp_fault_kind;  // arch::FaultKind
  sc_core::sc_signal<std::uint32_t> resp_fault_stage;
  sc_core::sc_signal<std::uint32_t> resp_fault_level;
  sc_core::sc_signal<std::uint32_t> resp_fault_code;
  sc_core::sc_signal<std::uint64_t> resp_fault_gva;
  sc_core::sc_signal<std::uint64_t> resp_fault_gpa;

  // ---- invalidation (driven by the front end) ----
  sc_core::sc_signal<bool> inv_valid;
  sc_core::sc_signal<std::uint32_t> inv_op;  // arch::regs::InvOp
  sc_core::sc_signal<std::uint64_t> inv_addr;
  sc_core::sc_signal<std::uint32_t> inv_pcid;
  sc_core::sc_signal<std::uint32_t> inv_vmid;

  // ---- observation ----
  sc_core::sc_vector<sc_core::sc_signal<std::uint32_t>> slot_state;  // WState of each slot
  sc_core::sc_signal<std::uint64_t> req_accepts;  // +1 at every request handshake
  sc_core::sc_signal<std::uint64_t> resp_taken;   // +1 at every response handshake

  SC_HAS_PROCESS(CycleWalker);
  // Throws std::invalid_argument for a bad configuration.
  CycleWalker(sc_core::sc_module_name name, const CycleWalkerConfig& config);

  // ---- transaction-level front end ----
  // Queues a request (non-blocking; callable from any process or before sc_start).
  void submit(const WalkRequest& req);
  // Submits and blocks the calling SC_THREAD until its response is taken.
  WalkResponse walk(const WalkRequest& req);
  // Responses not claimed by walk() go to the callback if one is set, else to a queue read by
  // pop_response(); response_event() is notified (delta) whenever one is taken.
  void set_response_callback(std::function<void(const WalkResponse&)> callback) {
    callback_ = std::move(callback);
  }
  bool pop_response(WalkResponse& out);
  std::size_t responses_queued() const { return responses_.size(); }
  const sc_core::sc_event& response_event() const { return response_event_; }
  // Drives inv_* for one cycle (queued behind earlier invalidations, one per cycle).
  void invalidate(const arch::Invalidation& inv);
  // Nothing queued, in flight, or being invalidated.
  bool idle() const;

  // ---- state and counters ----
  unsigned slots() const { return static_cast<unsigned>(slots_.size()); }
  WState state(unsigned slot) const { return slots_.at(slot).state; }
  std::uint64_t edges() const { return edge_; }  // rising edges seen
  const WalkerStats& stats() const { return stats_; }
  const std::array<std::uint64_t, kFaultKindCount>& faults_by_kind() const { return fault_kinds_; }
  PagingStructureCache& pwc() { return pwc_; }
  NestedTlb& ntlb() { return ntlb_; }
  const CycleWalkerConfig& config() const { return config_; }

  // Traces every wire above under `prefix` (states as integers: see gtkwave_state_filter()).
  void trace(sc_core::sc_trace_file* tf, const std::string& prefix) const;

 private:
  // The host-side result of translating one gPA (a segment, a nested-TLB hit or an EPT walk).
  struct HostStep {
    arch::hpa_t hpa = 0;
    arch::PageSize size = arch::PageSize::k1G;
    arch::Perms perms;
    std::uint64_t leaf = 0;   // EPT leaf as read (0: segment or nested-TLB hit)
    unsigned leaf_level = 0;  // EPT level of the leaf (0: segment)
    bool dirty = false;
  };

  // One walk slot: the FSM state and its registers.
  struct Slot {
    WState state = WState::W_IDLE;
    WalkRequest req;    // id, latched context, access
    WalkResponse resp;  // built as the walk goes
    std::uint64_t accept_edge = 0;
    // guest dimension
    unsigned level = 0;          // guest level being walked
    std::uint64_t table = 0;     // guest table of `level` (gPA; PA natively)
    bool g_w = true, g_u = true, g_x = true, g_dirty = true;
    arch::gpa_t entry_gpa = 0;
    arch::hpa_t entry_hpa = 0;
    arch::Perms table_perms;     // EPT permissions on the guest table
    unsigned table_ept_level = 0;
    std::uint64_t gentry = 0;    // guest entry as read
    std::uint64_t g_want = 0;    // A/D bits being set in it
    // nested dimension
    arch::gpa_t gpa = 0;         // gPA being translated
    unsigned for_level = 0;      // 4..1: a guest table entry's gPA; 0: the final gPA
    std::uint64_t need = 0;      // EPT permission needed
    std::uint32_t qual_base = 0;
    unsigned ept_level = 0;
    std::uint64_t ept_table = 0;
    std::uint64_t rwx = 0;
    std::uint64_t eentry = 0;    // EPT entry as read
    std::uint64_t e_want = 0;    // A/D bits being set in it
    HostStep host;
    // the memory request of the current *_REQ state
    std::uint64_t mem_addr = 0;
    MemOp mem_op = MemOp::kRead;
    std::uint64_t mem_data = 0;
    arch::RefTarget mem_target = arch::RefTarget::kGuestEntry;
    unsigned mem_level = 0;
  };

  struct Queued {
    WalkRequest req;
    sc_core::sc_time submitted;
  };
  struct QueuedInv {
    arch::Invalidation inv;
    sc_core::sc_time issued;
  };
  struct Waiter {
    std::uint64_t id = 0;
    WalkResponse* out = nullptr;
    bool done = false;
  };
  struct PwcFill {
    unsigned level;
    arch::gva_t va;
    std::uint16_t vmid, pcid;
    std::uint64_t table;
    arch::Perms perms;
  };

  void on_clock();
  void do_reset();
  void step(unsigned i, bool accept, bool granted, bool responded, bool taken);
  void write_outputs();

  // FSM helpers (docs/walker-fsm.md, table of states).
  void accept(Slot& s);
  void seg(Slot& s);
  void pwc_lookup(Slot& s);
  void hseg(Slot& s);
  void ntlb_lookup(Slot& s);
  void echk(Slot& s);
  void ept_next_level(Slot& s);
  void ept_leaf_done(Slot& s);
  void gchk(Slot& s);
  void guest_continue(Slot& s);
  void guest_entry(Slot& s);      // the entry gPA of s.level -> HSEG or GREQ
  void start_gpa(Slot& s, arch::gpa_t gpa, unsigned for_level);  // -> HSEG
  void gpa_resolved(Slot& s);     // the gPA's user: GREQ or DONE
  void finish(Slot& s);           // compose the success result -> DONE
  void fault(Slot& s, arch::FaultKind kind, arch::FaultStage stage, unsigned level,
             std::uint32_t code, std::uint64_t gva, std::uint64_t gpa);
  void request(Slot& s, WState next, arch::RefTarget target, unsigned level, std::uint64_t addr,
               MemOp op, std::uint64_t data);
  void deliver(Slot& s);
  const arch::EscapeFilter* filter_of(const Slot& s) const {
    return config_.filter != nullptr ? config_.filter : s.req.ctx.filter;
  }

  CycleWalkerConfig config_;
  PagingStructureCache pwc_;
  NestedTlb ntlb_;
  std::vector<Slot> slots_;
  std::vector<PwcFill> pwc_fills_;         // of this edge, in slot order (reserved W)
  std::vector<NestedTlbEntry> ntlb_fills_;

  // arbiter and presented response (registers: valid for the current cycle)
  int driving_ = -1;  // slot driving mem_req_*, -1: none
  unsigned last_granted_ = 0;
  int presented_ = -1;  // slot whose response is on resp_*, -1: none

  // front end
  std::deque<Queued> queue_;
  std::deque<QueuedInv> inv_queue_;
  bool req_driven_ = false;
  bool inv_driven_ = false;
  std::deque<WalkResponse> responses_;
  std::vector<Waiter*> waiters_;
  std::function<void(const WalkResponse&)> callback_;
  sc_core::sc_event response_event_;
  std::mt19937_64 rng_;

  std::uint64_t edge_ = 0;
  std::uint64_t accepts_ = 0, taken_ = 0;
  WalkerStats stats_;
  std::array<std::uint64_t, kFaultKindCount> fault_kinds_{};
};

}  // namespace mmuvp::tlm
