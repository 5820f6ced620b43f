#include "tlm/cycle_walker_port.h"

#include <string>

#include "tlm/cycle_walker.h"
#include "tlm/mem_port_bridge.h"

namespace mmuvp::tlm {

namespace {

CycleWalkerConfig walker_config(const WalkerSetup& s) {
  CycleWalkerConfig c;
  c.slots = s.walk_slots;
  c.pwc = s.pwc;
  c.ntlb = s.ntlb;
  c.filter = nullptr;  // each request's context names its MMU's live filter
  return c;
}

MemPortBridgeConfig bridge_config(const WalkerSetup& s) {
  MemPortBridgeConfig c;
  c.clock_period = s.clock_period;
  c.core = static_cast<std::uint16_t>(s.core);
  return c;
}

class CycleWalkerPort final : public sc_core::sc_module, public WalkerPort {
 public:
  CycleWalkerPort(sc_core::sc_module_name name, const WalkerSetup& s)
      : sc_module(name),
        clk_("clk", s.clock_period),
        wires_(std::string(basename()) + "_mem"),
        walker_("fsm", walker_config(s)),
        bridge_("bridge", bridge_config(s)) {
    walker_.clk(clk_);
    bridge_.clk(clk_);
    wires_.bind_walker(walker_);
    wires_.bind_bridge(bridge_);
  }

  const WalkResponse& walk(const WalkRequest& request, sc_core::sc_time& delay) override {
    if (delay != sc_core::SC_ZERO_TIME) {
      sc_core::wait(delay);
      delay = sc_core::SC_ZERO_TIME;
    }
    response_ = walker_.walk(request);
    return response_;
  }
  void invalidate(const arch::Invalidation& inv) override { walker_.invalidate(inv); }
  ::tlm::tlm_initiator_socket<>& memory_socket() override { return bridge_.socket; }
  const WalkerStats& stats() const override { return walker_.stats(); }
  const PwcCounters& pwc_counters() const override {
    return const_cast<CycleWalker&>(walker_).pwc().counters();
  }
  const NestedTlbCounters& ntlb_counters() const override {
    return const_cast<CycleWalker&>(walker_).ntlb().counters();
  }
  void trace(sc_core::sc_trace_file* tf) override {
    const std::string prefix = name();
    sc_core::sc_trace(tf, clk_, prefix + ".clk");
    walker_.trace(tf, prefix);
    wires_.trace(tf, prefix + ".mem");
  }

 private:
  sc_core::sc_clock clk_;
  MemPortSignals wires_;
  CycleWalker walker_;
  MemPortBridge bridge_;
  WalkResponse response_;
};

}  // namespace

std::unique_ptr<WalkerPort> make_cycle_walker(const WalkerSetup& setup) {
  return std::make_unique<CycleWalkerPort>(setup.name, setup);
}

}  // namespace mmuvp::tlm
