// The Verilated RTL walker (rtl/walker_top.sv, C++ class Vwalker_top) as a SystemC module, clocked
// by the platform clock: one SC_METHOD on the rising edge of `clk` samples the module's inputs as
// they were in the cycle the edge ends, evaluates the model across the edge, and writes its
// outputs for the next cycle (the same _d/_q discipline as tlm::CycleWalker, so the two run in
// lockstep on one clock). The memory port has the port names and types of tlm::CycleWalker, so
// tlm::MemPortSignals binds it to a tlm::MemPortBridge (TLM-2.0) the same way.
//
// Front end (the MMU side), also as tlm::CycleWalker's: submit() queues a request that is driven
// on req_* from the first clock edge strictly after the submission time, one per cycle, held until
// accepted; invalidate() and write_reg() likewise drive inv_* or the register port for one cycle
// (one queued item per cycle each). resp_ready is low in a cycle with probability
// resp_stall_percent, drawn once per edge from a generator seeded as tlm::CycleWalker's. Each
// taken response becomes a tlm::WalkResponse: the result from resp_*, every memory reference the
// slot was granted (address, target, level, for_level, SET_BITS) with the value it received, and
// cycles = edges from the accepting edge to the taking edge.
//
// The request's context (WalkRequest::ctx) is not sent anywhere: the RTL latches its own register
// block at acceptance; program it with write_reg() (one clocked cycle per write) or, while the
// walker is idle, write_reg_now() (an extra clock edge outside SystemC time) so that it matches the
// context the requests describe. With a trace path, the model is traced into an FST (time in ps of
// the SystemC clock).
//
// Counters (tlm::WalkerStats, as tlm::CycleWalker counts them): per taken response its count();
// per cycle, from the slots' state registers, slots_busy_cycles, port_wait_cycles, and the PWC
// and nested-TLB lookups (a cycle in W_PWC / W_NTLB is one lookup); hits from the responses.
//
// Over the coverage build of the RTL, write_coverage() saves the model's Verilator coverage.
#pragma once
#include <systemc>

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "arch/mmu_regs.h"
#include "arch/register_block.h"
#include "arch/translation.h"
#include "tlm/nested_tlb.h"
#include "tlm/paging_structure_cache.h"
#include "tlm/walk_types.h"

class Vwalker_top;
class VerilatedContext;
class VerilatedFstC;

namespace mmuvp::tb {

struct RtlWalkerScConfig {
  unsigned resp_stall_percent = 0;  // as tlm::CycleWalkerConfig
  std::uint64_t seed = 1;           // of the resp_ready draws (as tlm::CycleWalkerConfig::seed)
  std::string fst_path;             // non-empty: trace the model into this FST file
  sc_core::sc_time clock_period = sc_core::sc_time(1, sc_core::SC_NS);  // of `clk` (for the FST)
};

class RtlWalkerSc : public sc_core::sc_module {
 public:
  sc_core::sc_in<bool> clk;
  sc_core::sc_out<bool> mem_req_valid;
  sc_core::sc_in<bool> mem_req_ready;
  sc_core::sc_out<std::uint32_t> mem_req_tag;
  sc_core::sc_out<std::uint64_t> mem_req_addr;
  sc_core::sc_out<std::uint32_t> mem_req_op;
  sc_core::sc_out<std::uint64_t> mem_req_data;
  sc_core::sc_in<bool> mem_resp_valid;
  sc_core::sc_in<std::uint32_t> mem_resp_tag;
  sc_core::sc_in<std::uint64_t> mem_resp_data;
  sc_core::sc_in<bool> mem_resp_err;

  SC_HAS_PROCESS(RtlWalkerSc);
  // Builds the model and resets it (two clock cycles outside SystemC time). Throws
  // std::invalid_argument for a bad configuration, std::runtime_error if the FST cannot be opened.
  RtlWalkerSc(sc_core::sc_module_name name, const RtlWalkerScConfig& config);
  ~RtlWalkerSc() override;

  void submit(const tlm::WalkRequest& req);
  void invalidate(const arch::Invalidation& inv);
  void write_reg(std::uint32_t offset, std::uint64_t value);
  // The write in zero simulated time: one clock edge of the model outside SystemC time (not in
  // the FST, not counted in edges()). Only while no request or register write is queued or in
  // flight; invalidations may be queued or driven (the extra edge holds inv_valid low, so each
  // still takes effect at its own clock edge). Throws std::logic_error otherwise. Returns the
  // RTL's status of the write.
  arch::regs::RegStatus write_reg_now(std::uint32_t offset, std::uint64_t value);
  bool pop_response(tlm::WalkResponse& out);
  const sc_core::sc_event& response_event() const { return response_event_; }
  // Nothing queued or in flight (requests, invalidations, register writes).
  bool idle() const;

  unsigned slots() const;
  std::uint64_t edges() const { return edge_; }
  const tlm::WalkerStats& stats() const { return stats_; }
  // Lookups, hits and misses as the responses and states show them (fills, evictions and
  // invalidated entries are internal to the RTL: 0).
  const tlm::PwcCounters& pwc_counters() const { return pwc_; }
  const tlm::NestedTlbCounters& ntlb_counters() const { return ntlb_; }
  // Register writes the RTL refused (STATUS code != OK), and the first one's offset.
  std::uint64_t refused_writes() const { return refused_; }
  std::uint32_t first_refused_offset() const { return first_refused_; }
  // The FST being written ("" if none); flushed on request (e.g. before a report).
  const std::string& fst_path() const { return config_.fst_path; }
  void flush_trace();

  // True in the build over the coverage-instrumented RTL (mmuvp_rtl_walker_cov, compiled with
  // MMUVP_RTL_COVERAGE): line, toggle and cover-point counts since construction.
  static bool coverage_build();
  // Writes the model's Verilator coverage (its own VerilatedContext's) to `path`, replacing it.
  // Throws std::logic_error outside the coverage build, std::runtime_error if `path` cannot be
  // written.
  void write_coverage(const std::string& path) const;

 private:
  struct Queued {
    tlm::WalkRequest req;
    sc_core::sc_time submitted;
  };
  struct QueuedInv {
    arch::Invalidation inv;
    sc_core::sc_time issued;
  };
  struct QueuedReg {
    std::uint32_t offset;
    std::uint64_t value;
    sc_core::sc_time issued;
  };
  struct SlotTrace {
    bool busy = false;
    tlm::WalkRequest req;
    std::uint64_t accept_edge = 0;
    tlm::WalkResponse resp;
  };

  void on_clock();
  void read_response(SlotTrace& t);
  void drive_front_end();
  void count_cycle(bool grant);
  void count_response(const tlm::WalkResponse& r);

  RtlWalkerScConfig config_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vwalker_top> top_;
  std::unique_ptr<VerilatedFstC> fst_;
  std::mt19937_64 rng_;
  std::deque<Queued> queue_;
  std::deque<QueuedInv> inv_queue_;
  std::deque<QueuedReg> reg_queue_;
  bool req_driven_ = false, inv_driven_ = false, reg_driven_ = false;
  std::vector<SlotTrace> slots_;
  std::deque<tlm::WalkResponse> responses_;
  sc_core::sc_event response_event_;
  std::uint64_t edge_ = 0;
  std::uint64_t refused_ = 0;
  std::uint32_t first_refused_ = 0;
  tlm::WalkerStats stats_;
  tlm::PwcCounters pwc_;
  tlm::NestedTlbCounters ntlb_;
};

}  // namespace mmuvp::tb
