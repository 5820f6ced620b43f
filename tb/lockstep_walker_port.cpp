// The cycle-level and RTL walkers in lockstep as the platform's walker (lockstep_walker_port.h).
#include "tb/lockstep_walker_port.h"

#include <fmt/format.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "tb/rtl_register_mirror.h"
#include "tb/rtl_walker_port.h"
#include "tb/rtl_walker_sc.h"
#include "tb/walk_compare.h"
#include "tlm/cycle_walker.h"
#include "tlm/mem_port_bridge.h"

namespace mmuvp::tb {

std::uint64_t LockstepMonitor::compared() const {
  std::uint64_t n = 0;
  for (const std::uint64_t c : compared_) n += c;
  return n;
}

void LockstepMonitor::count(unsigned core) {
  if (core >= compared_.size()) compared_.resize(core + 1, 0);
  ++compared_[core];
}

bool LockstepMonitor::claim(unsigned core, std::function<std::string()> reporter) {
  if (failed()) return false;
  reporter_ = std::move(reporter);
  failed_core_ = core;
  return true;
}

void LockstepMonitor::settle() {
  if (!reporter_) return;
  const std::string text = reporter_();
  reporter_ = [text] { return text; };
}

namespace {

// The references of a walk the report lists at most (a walk makes at most arch::kMaxRefs).
constexpr std::size_t kMaxListedRefs = arch::kMaxRefs;
// After a memory-port divergence, how long the run goes on for the failing request's responses
// (a walk takes some hundred cycles; a walker that never answers is reported as such).
constexpr std::uint64_t kResponseWaitCycles = 20'000;

tlm::CycleWalkerConfig walker_config(const tlm::WalkerSetup& s) {
  tlm::CycleWalkerConfig c;  // as tlm/cycle_walker_port.cpp builds the walker of --walker cycle
  c.slots = s.walk_slots;
  c.pwc = s.pwc;
  c.ntlb = s.ntlb;
  c.filter = nullptr;  // each request's context names its MMU's live filter
  return c;
}

tlm::MemPortBridgeConfig bridge_config(const tlm::WalkerSetup& s) {
  tlm::MemPortBridgeConfig c;
  c.clock_period = s.clock_period;
  c.core = static_cast<std::uint16_t>(s.core);
  return c;
}

// One memory request as a walker drives it in a cycle.
struct PortRequest {
  bool valid = false;
  std::uint32_t tag = 0;
  std::uint64_t addr = 0;
  std::uint32_t op = 0;
  std::uint64_t data = 0;

  bool operator==(const PortRequest& o) const {
    return valid == o.valid &&
           (!valid || (tag == o.tag && addr == o.addr && op == o.op && data == o.data));
  }
  std::string describe() const {
    if (!valid) return "no request";
    const bool set_bits = (op & 1u) == static_cast<std::uint32_t>(tlm::MemOp::kSetBits);
    return set_bits ? fmt::format("tag {} SET_BITS {:#x} |= {:#x}", tag, addr, data)
                    : fmt::format("tag {} READ {:#x}", tag, addr);
  }
};

// The RTL's memory-request wires (its ready and response inputs are the primary's wires).
struct RequestSignals {
  explicit RequestSignals(const std::string& prefix)
      : valid((prefix + "_req_valid").c_str()),
        tag((prefix + "_req_tag").c_str()),
        addr((prefix + "_req_addr").c_str()),
        op((prefix + "_req_op").c_str()),
        data((prefix + "_req_data").c_str()) {}

  PortRequest read() const {
    return PortRequest{valid.read(), tag.read(), addr.read(), op.read(), data.read()};
  }

  sc_core::sc_signal<bool> valid;
  sc_core::sc_signal<std::uint32_t> tag;
  sc_core::sc_signal<std::uint64_t> addr;
  sc_core::sc_signal<std::uint32_t> op;
  sc_core::sc_signal<std::uint64_t> data;
};

class LockstepWalkerPort final : public sc_core::sc_module, public tlm::WalkerPort {
 public:
  SC_HAS_PROCESS(LockstepWalkerPort);
  LockstepWalkerPort(sc_core::sc_module_name name, const tlm::WalkerSetup& s,
                     const LockstepWalkerOptions& o, LockstepMonitor& monitor)
      : sc_module(name),
        clk_("clk", s.clock_period),
        wires_(std::string(basename()) + "_mem"),
        rtl_wires_(std::string(basename()) + "_rtl_mem"),
        cycle_("cycle", walker_config(s)),
        bridge_("bridge", bridge_config(s)),
        rtl_("rtl", RtlWalkerScConfig{0, 1, o.fst_path, s.clock_period}),
        mirror_(std::string(basename()),
                [this](std::uint32_t offset, std::uint64_t value) {
                  return rtl_.write_reg_now(offset, value);
                },
                o.escaped_frames),
        monitor_(monitor),
        core_(s.core),
        where_(o.where),
        fst_path_(o.fst_path),
        period_(s.clock_period) {
    // The primary: the walker and bridge of --walker cycle.
    cycle_.clk(clk_);
    bridge_.clk(clk_);
    wires_.bind_walker(cycle_);
    wires_.bind_bridge(bridge_);
    // The follower: its own request wires; the primary's ready and responses.
    rtl_.clk(clk_);
    rtl_.mem_req_valid(rtl_wires_.valid);
    rtl_.mem_req_tag(rtl_wires_.tag);
    rtl_.mem_req_addr(rtl_wires_.addr);
    rtl_.mem_req_op(rtl_wires_.op);
    rtl_.mem_req_data(rtl_wires_.data);
    rtl_.mem_req_ready(wires_.req_ready);
    rtl_.mem_resp_valid(wires_.resp_valid);
    rtl_.mem_resp_tag(wires_.resp_tag);
    rtl_.mem_resp_data(wires_.resp_data);
    rtl_.mem_resp_err(wires_.resp_err);
    walk_refs_.reserve(kMaxListedRefs);
    SC_METHOD(check_memory_port);
    sensitive << clk_.posedge_event();
    dont_initialize();
    SC_METHOD(stop);
    sensitive << stop_event_;
    dont_initialize();
  }

  ~LockstepWalkerPort() override {
    if (failed_) monitor_.settle();  // the report outlives the port
  }

  const tlm::WalkResponse& walk(const tlm::WalkRequest& request, sc_core::sc_time& delay) override {
    if (delay != sc_core::SC_ZERO_TIME) {
      sc_core::wait(delay);
      delay = sc_core::SC_ZERO_TIME;
    }
    const bool follow = !monitor_.failed();
    if (follow) {
      mirror_.program(request.ctx);  // zero time: no walk of this core is in flight
      rtl_.submit(request);
    }
    request_ = request;
    walking_ = true;
    walk_refs_.clear();
    cycle_.submit(request);  // the same instant: both drive it from the same edge
    bool have_cycle = false, have_rtl = !follow;
    tlm::WalkResponse from_rtl;
    while (!have_cycle) {
      sc_core::wait(cycle_.response_event() | rtl_.response_event());
      // Both walkers take responses in their clock methods: by now, every one of this edge.
      const bool got_cycle = cycle_.pop_response(response_);
      const bool got_rtl = rtl_.pop_response(from_rtl);
      if (!got_cycle && !got_rtl) continue;
      observe(got_cycle ? &response_ : nullptr, got_rtl ? &from_rtl : nullptr, have_rtl);
      have_cycle = have_cycle || got_cycle;
      have_rtl = have_rtl || got_rtl;
    }
    walking_ = false;
    return response_;
  }

  void invalidate(const arch::Invalidation& inv) override {
    cycle_.invalidate(inv);
    if (!monitor_.failed()) rtl_.invalidate(inv);
  }
  ::tlm::tlm_initiator_socket<>& memory_socket() override { return bridge_.socket; }
  const tlm::WalkerStats& stats() const override { return cycle_.stats(); }
  const tlm::PwcCounters& pwc_counters() const override {
    return const_cast<tlm::CycleWalker&>(cycle_).pwc().counters();
  }
  const tlm::NestedTlbCounters& ntlb_counters() const override {
    return const_cast<tlm::CycleWalker&>(cycle_).ntlb().counters();
  }
  void trace(sc_core::sc_trace_file* tf) override {
    const std::string prefix = name();
    sc_core::sc_trace(tf, clk_, prefix + ".clk");
    cycle_.trace(tf, prefix);
    wires_.trace(tf, prefix + ".mem");
    sc_core::sc_trace(tf, rtl_wires_.valid, prefix + ".rtl.mem_req_valid");
    sc_core::sc_trace(tf, rtl_wires_.tag, prefix + ".rtl.mem_req_tag");
    sc_core::sc_trace(tf, rtl_wires_.addr, prefix + ".rtl.mem_req_addr");
    sc_core::sc_trace(tf, rtl_wires_.op, prefix + ".rtl.mem_req_op");
    sc_core::sc_trace(tf, rtl_wires_.data, prefix + ".rtl.mem_req_data");
  }

 private:
  // A memory reference the primary's bridge accepted during the current walk.
  struct Accepted {
    std::uint64_t edge;
    PortRequest request;
  };

  // The first mismatch, as this port saw it.
  struct Failure {
    std::string what;
    std::uint64_t edge = 0;
    std::optional<tlm::WalkRequest> request;  // the walk in flight, if any
    std::optional<tlm::WalkResponse> cycle, rtl;
    std::string detail;
    bool port = false;  // a memory-port divergence: the request's responses come afterwards
    std::string later;  // what the walkers answered afterwards, within the window
  };

  // The edge the current delta belongs to (the clock methods of this edge have run).
  std::uint64_t current_edge() const { return edge_ == 0 ? 0 : edge_ - 1; }

  // At every rising edge: the requests both walkers drove in the cycle the edge ends.
  void check_memory_port() {
    const std::uint64_t e = edge_++;
    if (monitor_.failed()) return;
    const PortRequest c{wires_.req_valid.read(), wires_.req_tag.read(), wires_.req_addr.read(),
                        wires_.req_op.read(), wires_.req_data.read()};
    const PortRequest r = rtl_wires_.read();
    if (c.valid && wires_.req_ready.read() && walk_refs_.size() < kMaxListedRefs)
      walk_refs_.push_back(Accepted{e, c});
    if (c == r) return;
    std::string detail = fmt::format(
        "  memory port in the cycle ending at edge {} (mem_req_ready {}):\n"
        "    cycle-level walker: {}\n"
        "    RTL walker:         {}\n",
        e, wires_.req_ready.read() ? 1 : 0, c.describe(), r.describe());
    if (walking_) {
      std::string refs;
      for (const Accepted& a : walk_refs_)
        if (a.edge != e) refs += fmt::format("    edge {}: {}\n", a.edge, a.request.describe());
      detail += "  references of this walk accepted before it (the same on both ports):\n" +
                (refs.empty() ? std::string("    none\n") : refs);
    }
    fail("memory request", e, nullptr, nullptr, std::move(detail), true);
  }

  // One wake-up of walk() with the responses taken at this edge.
  void observe(const tlm::WalkResponse* c, const tlm::WalkResponse* r, bool had_rtl) {
    if (!monitor_.failed()) {
      if (c != nullptr && r != nullptr) {
        const std::string d = first_difference(*c, *r);
        if (d.empty()) {
          monitor_.count(core_);
        } else {
          fail(d, current_edge(), c, r, "", false);
        }
      } else if (c != nullptr && !had_rtl) {
        fail("response edge (the cycle-level walker answered, the RTL walker did not)",
             current_edge(), c, nullptr, "", false);
      } else if (r != nullptr) {
        fail(had_rtl ? "response count (a second RTL response to one request)"
                     : "response edge (the RTL walker answered, the cycle-level walker did not)",
             current_edge(), nullptr, r, "", false);
      }
      return;
    }
    later(c, r);
  }

  // What the walkers answer after this port's mismatch, until the stop.
  void later(const tlm::WalkResponse* c, const tlm::WalkResponse* r) {
    if (!failed_ || stopped_) return;
    Failure& f = failure_;
    const bool same_request = f.request && f.port;
    // The first answer to the failing request completes the report; any other is listed.
    const auto note = [&](const tlm::WalkResponse* w, std::optional<tlm::WalkResponse>& slot,
                          const char* walker) {
      if (w == nullptr) return;
      if (same_request && !slot && w->id == f.request->id) {
        slot = *w;
      } else {
        f.later += fmt::format("  later, {} (edge {}): {}", walker, current_edge(),
                               describe_response(*w));
      }
    };
    note(c, f.cycle, "cycle-level walker");
    note(r, f.rtl, "RTL walker");
  }

  void fail(std::string what, std::uint64_t edge, const tlm::WalkResponse* c,
            const tlm::WalkResponse* r, std::string detail, bool port) {
    if (!monitor_.claim(core_, [this] { return report(); })) return;
    failed_ = true;
    failure_.what = std::move(what);
    failure_.edge = edge;
    if (walking_) failure_.request = request_;
    if (c != nullptr) failure_.cycle = *c;
    if (r != nullptr) failure_.rtl = *r;
    failure_.detail = std::move(detail);
    failure_.port = port;
    stop_event_.notify(period_ * static_cast<double>(monitor_.window()));
  }

  // The window after the mismatch has passed (and, after a memory-port divergence, both walkers
  // have answered the request or kResponseWaitCycles have passed): the end of the run.
  void stop() {
    tlm::WalkResponse r;
    while (rtl_.pop_response(r)) later(nullptr, &r);
    const Failure& f = failure_;
    if (f.port && f.request && (!f.cycle || !f.rtl) &&
        current_edge() < f.edge + kResponseWaitCycles) {
      stop_event_.notify(period_);
      return;
    }
    stop_edge_ = current_edge();
    stopped_ = true;
    rtl_.flush_trace();
    sc_core::sc_stop();
  }

  std::string report() const {
    const Failure& f = failure_;
    WalkMismatch m;
    m.where = where_.empty() ? fmt::format("core {}", core_)
                             : fmt::format("core {} ({})", core_, where_);
    m.what = f.what;
    m.request = f.request ? &*f.request : nullptr;
    m.core = core_;
    m.cycle = f.cycle ? &*f.cycle : nullptr;
    m.rtl = f.rtl ? &*f.rtl : nullptr;
    m.no_response = stopped_ ? fmt::format("no response by edge {}", stop_edge_)
                             : std::string("no response");
    m.detail = f.detail;
    m.edge = f.edge;
    m.window = monitor_.window();
    m.period_ps = static_cast<std::uint64_t>(period_.to_seconds() * 1e12 + 0.5);
    m.wave = fst_path_;
    return format_mismatch(m) + f.later;
  }

  sc_core::sc_clock clk_;
  tlm::MemPortSignals wires_;  // the primary's port, whose ready and responses the RTL shares
  RequestSignals rtl_wires_;
  tlm::CycleWalker cycle_;
  tlm::MemPortBridge bridge_;
  RtlWalkerSc rtl_;
  RtlRegisterMirror mirror_;
  LockstepMonitor& monitor_;
  unsigned core_;
  std::string where_;
  std::string fst_path_;
  sc_core::sc_time period_;
  sc_core::sc_event stop_event_;

  std::uint64_t edge_ = 0;  // rising edges seen
  tlm::WalkRequest request_;
  bool walking_ = false;
  std::vector<Accepted> walk_refs_;
  tlm::WalkResponse response_;
  bool failed_ = false;  // this port claimed the run's first mismatch
  bool stopped_ = false;
  std::uint64_t stop_edge_ = 0;
  Failure failure_;
};

}  // namespace

std::unique_ptr<tlm::WalkerPort> make_lockstep_walker(const tlm::WalkerSetup& setup,
                                                      const LockstepWalkerOptions& options,
                                                      LockstepMonitor& monitor) {
  const std::string why = rtl_walker_unsupported(setup);
  if (!why.empty()) throw std::invalid_argument(why);
  return std::make_unique<LockstepWalkerPort>(setup.name, setup, options, monitor);
}

}  // namespace mmuvp::tb
