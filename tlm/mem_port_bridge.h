// The memory side of a walker's valid/ready memory port (docs/walker-fsm.md, "Memory request" and
// "Memory response"), bridged to TLM-2.0: each accepted request becomes one b_transport on
// `socket` carrying MemAttr{kWalker, core, set_bits} (tlm/mem_attr.h), and its response is
// presented so that the walker samples it L edges after the acceptance edge, with
// L = max(1, ceil(annotated delay / clock period)) plus an optional seeded random extra latency.
// Serves the cycle-level walker (tlm/cycle_walker.h) and, with the same port types as a Verilated
// model (bool, uint32_t, uint64_t), the RTL walker.
//
// Timing (all on the rising edge of `clk`, counted from the first edge as edge 0):
//   - A request is accepted at an edge where mem_req_valid && mem_req_ready; the b_transport runs
//     at that edge, so memory changes (SET_BITS) happen in acceptance order.
//   - Its response is due at edge t + L. In each cycle the bridge presents, among the responses
//     due by the edge that ends the cycle, the one accepted first (at most one per cycle, the
//     others wait in acceptance order); the walker samples it at that edge (no mem_resp_ready).
//   - mem_req_ready is 1 unless back-pressure (stall_percent, or a ready_pattern) lowers it for a
//     cycle.
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "tlm/mem_attr.h"
#include "tlm/walk_fsm.h"

namespace mmuvp::tlm {

struct MemPortBridgeConfig {
  sc_core::sc_time clock_period = sc_core::sc_time(1, sc_core::SC_NS);  // of `clk`
  std::uint16_t core = 0;              // MemAttr::core
  unsigned stall_percent = 0;          // per cycle: mem_req_ready low with this probability
  unsigned extra_latency_max = 0;      // per request: + uniform 0..max cycles
  std::uint64_t seed = 1;              // of the stall and extra-latency draws
  // If set, mem_req_ready in the cycle ending at edge `e` is ready_pattern(e) (replaces
  // stall_percent): deterministic back-pressure for directed tests.
  std::function<bool(std::uint64_t edge)> ready_pattern;
  bool record = false;                 // keep log() of every accepted request (tests)

  // Throws std::invalid_argument("MemPortBridgeConfig.<field>: <reason>").
  void validate() const;
};

// One accepted request as the bridge served it (recorded when config.record).
struct MemPortEvent {
  std::uint64_t accept_edge = 0;
  std::uint64_t response_edge = 0;  // the edge at which the walker samples the response
  std::uint32_t tag = 0;
  std::uint64_t addr = 0;
  MemOp op = MemOp::kRead;
  std::uint64_t data = 0;   // SET_BITS: the bits ORed in
  std::uint64_t value = 0;  // value returned (before the OR for SET_BITS)
  bool err = false;
  unsigned latency = 0;     // L: cycles from acceptance to the due edge
};

class MemPortBridge : public sc_core::sc_module {
 public:
  sc_core::sc_in<bool> clk;
  sc_core::sc_in<bool> mem_req_valid;
  sc_core::sc_out<bool> mem_req_ready;
  sc_core::sc_in<std::uint32_t> mem_req_tag;
  sc_core::sc_in<std::uint64_t> mem_req_addr;
  sc_core::sc_in<std::uint32_t> mem_req_op;
  sc_core::sc_in<std::uint64_t> mem_req_data;
  sc_core::sc_out<bool> mem_resp_valid;
  sc_core::sc_out<std::uint32_t> mem_resp_tag;
  sc_core::sc_out<std::uint64_t> mem_resp_data;
  sc_core::sc_out<bool> mem_resp_err;

  tlm_utils::simple_initiator_socket<MemPortBridge> socket;

  SC_HAS_PROCESS(MemPortBridge);
  MemPortBridge(sc_core::sc_module_name name, const MemPortBridgeConfig& config);
  ~MemPortBridge() override;

  const MemPortBridgeConfig& config() const { return config_; }
  std::uint64_t accepted() const { return accepted_; }
  std::uint64_t stall_cycles() const { return stall_cycles_; }  // cycles with ready low
  std::uint64_t errors() const { return errors_; }
  std::size_t in_flight() const { return pending_.size(); }
  const std::vector<MemPortEvent>& log() const { return log_; }

 private:
  struct Pending {
    std::uint64_t due = 0;  // edge at which the walker may sample it
    std::uint64_t seq = 0;  // acceptance order
    std::uint32_t tag = 0;
    std::uint64_t value = 0;
    bool err = false;
    std::size_t log_index = 0;
  };

  void on_clock();
  void serve(std::uint32_t tag, std::uint64_t addr, MemOp op, std::uint64_t data);
  bool ready_for(std::uint64_t edge);

  MemPortBridgeConfig config_;
  std::mt19937_64 rng_;
  ::tlm::tlm_generic_payload trans_;
  MemAttr attr_;
  std::uint8_t buffer_[8] = {};
  std::vector<Pending> pending_;  // reserved once; at most one per walk slot in flight
  std::vector<MemPortEvent> log_;
  std::uint64_t edge_ = 0;  // index of the edge being processed
  std::uint64_t seq_ = 0;
  std::uint64_t accepted_ = 0;
  std::uint64_t stall_cycles_ = 0;
  std::uint64_t errors_ = 0;
};

// The wires between a walker and its memory side, bound to both (the walker may be any module with
// the port names of docs/walker-fsm.md: CycleWalker or the Verilated RTL walker).
struct MemPortSignals {
  // Signal names are `prefix`_req_valid etc. (unique per walker, e.g. "core0_mem").
  explicit MemPortSignals(const std::string& prefix = "mem")
      : req_valid((prefix + "_req_valid").c_str()),
        req_ready((prefix + "_req_ready").c_str()),
        req_tag((prefix + "_req_tag").c_str()),
        req_addr((prefix + "_req_addr").c_str()),
        req_op((prefix + "_req_op").c_str()),
        req_data((prefix + "_req_data").c_str()),
        resp_valid((prefix + "_resp_valid").c_str()),
        resp_tag((prefix + "_resp_tag").c_str()),
        resp_data((prefix + "_resp_data").c_str()),
        resp_err((prefix + "_resp_err").c_str()) {}

  sc_core::sc_signal<bool> req_valid;
  sc_core::sc_signal<bool> req_ready;
  sc_core::sc_signal<std::uint32_t> req_tag;
  sc_core::sc_signal<std::uint64_t> req_addr;
  sc_core::sc_signal<std::uint32_t> req_op;
  sc_core::sc_signal<std::uint64_t> req_data;
  sc_core::sc_signal<bool> resp_valid;
  sc_core::sc_signal<std::uint32_t> resp_tag;
  sc_core::sc_signal<std::uint64_t> resp_data;
  sc_core::sc_signal<bool> resp_err;

  template <typename Walker>
  void bind_walker(Walker& w) {
    w.mem_req_valid(req_valid);
    w.mem_req_ready(req_ready);
    w.mem_req_tag(req_tag);
    w.mem_req_addr(req_addr);
    w.mem_req_op(req_op);
    w.mem_req_data(req_data);
    w.mem_resp_valid(resp_valid);
    w.mem_resp_tag(resp_tag);
    w.mem_resp_data(resp_data);
    w.mem_resp_err(resp_err);
  }
  void bind_bridge(MemPortBridge& b) { bind_walker(b); }
  void trace(sc_core::sc_trace_file* tf, const std::string& prefix) const;
};

}  // namespace mmuvp::tlm
