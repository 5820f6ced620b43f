// `mmuvp run --walker cosim`: the platform's walker of one core (tlm/walker_port.h) is the
// cycle-level SystemC walker (tlm/cycle_walker.h) and the Verilated RTL walker (tb/rtl_walker_sc.h)
// in lockstep on one clock, compared on every request.
//
// The cycle-level walker is the primary: it is exactly the walker of `--walker cycle`
// (tlm/cycle_walker_port.h), its memory port bridged (tlm/mem_port_bridge.h) to the memory
// system's walker socket, so the run's references, cache effects, A/D updates, timing and
// statistics are those of `--walker cycle`. The RTL is the follower: it gets the same request at
// the same instant (driven from the same clock edge), the MMU's invalidations as they happen, and
// its register block is kept equal to the request's context over its MMIO port in zero simulated
// time (tb/rtl_register_mirror.h, as `--walker rtl` does). Its memory port is not connected to the
// memory system (that would double the references and the A/D writes): its mem_req_ready and
// mem_resp_* inputs are the primary bridge's very wires, so it sees the same back-pressure and
// samples the same response (value, error, tag) at the same edge as the cycle-level walker, and
// at every edge its mem_req_* outputs must equal the cycle-level walker's (valid; and when valid
// tag, address, READ/SET_BITS and the bits): the same ordered references, accepted at the same
// edges. A request the RTL makes differently, earlier or later is a mismatch.
//
// Per request, the two responses must agree field by field (tb/walk_compare.h: hPA, gPA, sizes,
// permissions, fault and its attribution, the references and their values, the response cycle)
// and be taken at the same edge. The first mismatch on any core is claimed by the run's
// LockstepMonitor: the port lets monitor.window() more cycles run (after a memory-port
// divergence, until both walkers have answered the request, at most 20000 cycles), noting what the
// walkers answer meanwhile, then calls sc_stop(); the report names the request, both responses,
// the memory-port event if there was one, the edge and the RTL waveform's window. Afterwards no
// port drives its RTL any more (the cycle-level walkers carry on until the stop).
//
// Limits: those of the RTL walker (rtl_walker_unsupported(): 2 slots, default walk caches,
// MAXPHYADDR 52, a 256-bit 4-hash filter).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tlm/walker_port.h"

namespace mmuvp::tb {

// What the lockstep ports of one run share: the walks compared on each core and the first
// mismatch. Not thread-safe (SystemC processes run one at a time).
class LockstepMonitor {
 public:
  static constexpr unsigned kDefaultWindow = 20;

  // `window`: cycles simulated after the first mismatch (the waveform window) before sc_stop().
  explicit LockstepMonitor(unsigned window = kDefaultWindow) : window_(window) {}

  unsigned window() const { return window_; }
  std::uint64_t compared(unsigned core) const {
    return core < compared_.size() ? compared_[core] : 0;
  }
  std::uint64_t compared() const;  // all cores
  bool failed() const { return static_cast<bool>(reporter_); }
  unsigned failed_core() const { return failed_core_; }  // the core of the first mismatch
  // The first mismatch's report, multi-line ("" if none): built when asked, so that it holds what
  // the walkers answered within the window.
  std::string report() const { return reporter_ ? reporter_() : std::string(); }

  // ---- for the ports ----
  void count(unsigned core);
  // Claims the first mismatch, seen on `core`: true (and `reporter` kept) for the first caller
  // only.
  bool claim(unsigned core, std::function<std::string()> reporter);
  // Replaces the reporter by the text it gives now (the claiming port calls it as it is destroyed).
  void settle();

 private:
  unsigned window_;
  std::vector<std::uint64_t> compared_;
  std::function<std::string()> reporter_;
  unsigned failed_core_ = 0;
};

struct LockstepWalkerOptions {
  std::string fst_path;  // non-empty: the RTL's FST waveform
  // The frames the MMU's escape filter holds (the RTL's filter is reloaded from them).
  std::function<std::vector<std::uint64_t>()> escaped_frames;
  std::string where;     // what the report names the run by (e.g. "nested, gups"), besides the core
};

// Builds the lockstep walker of setup.core; `monitor` must outlive it. Throws
// std::invalid_argument with rtl_walker_unsupported()'s reason, std::runtime_error if the FST
// cannot be opened. During the run, a context the RTL cannot be programmed with throws
// std::runtime_error out of walk().
std::unique_ptr<tlm::WalkerPort> make_lockstep_walker(const tlm::WalkerSetup& setup,
                                                      const LockstepWalkerOptions& options,
                                                      LockstepMonitor& monitor);

}  // namespace mmuvp::tb
