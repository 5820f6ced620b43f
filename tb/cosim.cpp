// Lockstep co-simulation of the cycle-level and RTL walkers (cosim.h).
#include "tb/cosim.h"

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "arch/escape_filter.h"
#include "arch/mmu_regs.h"
#include "arch/register_block.h"
#include "tb/rtl_walker_sc.h"
#include "tb/walk_compare.h"
#include "tests/golden/stub_space.h"
#include "tlm/cycle_walker.h"
#include "tlm/mem_attr.h"
#include "tlm/mem_port_bridge.h"

namespace mmuvp::tb {

namespace {

namespace regs = arch::regs;
using sc_core::sc_time;

constexpr unsigned kMaxPercent = 90;
constexpr std::uint64_t kMaxScanFrames = 1ull << 26;  // escape-filter reconstruction bound
constexpr unsigned kRequestsPerContext = 150;         // mean requests between context switches
constexpr std::uint64_t kPeriodPs = 1000;             // the lanes' clock (1 ns)

// A TLM target over one copy of the machine's memory (mem_attr.h protocol: 8-byte READ, and the
// locked SET_BITS write returning the value before the OR).
class PhysMemTarget : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<PhysMemTarget> socket;

  PhysMemTarget(sc_core::sc_module_name name, arch::PhysMem& memory)
      : sc_module(name), socket("socket"), memory_(memory) {
    socket.register_b_transport(this, &PhysMemTarget::b_transport);
  }

 private:
  void b_transport(::tlm::tlm_generic_payload& t, sc_time& /*delay*/) {
    std::uint64_t v = 0;
    if (t.get_data_length() != 8 || !memory_.read64(t.get_address(), v)) {
      t.set_response_status(::tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    std::uint64_t data = 0;
    std::memcpy(&data, t.get_data_ptr(), 8);
    if (t.is_write()) {
      const tlm::MemAttr* a = t.get_extension<tlm::MemAttr>();
      memory_.write64(t.get_address(), a != nullptr && a->set_bits ? (v | data) : data);
    }
    std::memcpy(t.get_data_ptr(), &v, 8);  // READ, and SET_BITS: the value before the OR
    t.set_response_status(::tlm::TLM_OK_RESPONSE);
  }

  arch::PhysMem& memory_;
};

std::string wave_name(const std::string& wave, arch::Mode mode, bool several) {
  if (wave.empty() || !several) return wave;
  const std::size_t dot = wave.rfind('.');
  const std::string m(arch::to_string(mode));
  if (dot == std::string::npos || dot == 0) return wave + "." + m;
  return wave.substr(0, dot) + "." + m + wave.substr(dot);
}

// One mode: two machines, two walkers, one request stream.
class Lane : public sc_core::sc_module {
 public:
  sc_core::sc_in<bool> clk;

  SC_HAS_PROCESS(Lane);
  Lane(sc_core::sc_module_name name, arch::Mode mode, const CosimConfig& config,
       const std::string& wave, std::uint64_t seed, std::function<void()> on_done)
      : sc_module(name),
        clk("clk"),
        config_(config),
        on_done_(std::move(on_done)),
        space_c_(mode, variant_of(seed), seed),
        space_r_(mode, variant_of(seed), seed),
        mem_c_("mem_c", space_c_.memory()),
        mem_r_("mem_r", space_r_.memory()),
        sig_c_(std::string(basename()) + "_cyc_mem"),
        sig_r_(std::string(basename()) + "_rtl_mem"),
        bridge_c_("bridge_c", bridge_config(config, seed)),
        bridge_r_("bridge_r", bridge_config(config, seed)),
        cycle_("cycle", cycle_config(config, seed)),
        rtl_("rtl", RtlWalkerScConfig{config.resp_stall_percent, seed, wave}),
        rng_(seed * 0x9e37'79b9'7f4a'7c15ull + 1) {
    lane_.mode = mode;
    lane_.space = space_c_.describe();
    lane_.wave = wave;
    const std::string problems = space_c_.setup_problems();
    if (!problems.empty())
      throw std::runtime_error(fmt::format("{}: stub machine inconsistent: {}",
                                           arch::to_string(mode), problems));
    sig_c_.bind_walker(cycle_);
    sig_c_.bind_bridge(bridge_c_);
    sig_r_.bind_walker(rtl_);
    sig_r_.bind_bridge(bridge_r_);
    bridge_c_.socket.bind(mem_c_.socket);
    bridge_r_.socket.bind(mem_r_.socket);
    cycle_.clk(clk);
    bridge_c_.clk(clk);
    bridge_r_.clk(clk);
    rtl_.clk(clk);
    mirror_.on_invalidate = [this](const arch::Invalidation& inv) { cycle_.invalidate(inv); };
    SC_THREAD(drive);
  }

  const CosimLane& result() const { return lane_; }
  const std::string& report() const { return report_; }
  bool failed() const { return !report_.empty(); }
  void flush() { rtl_.flush_trace(); }

 private:
  // MAXPHYADDR 52 (the RTL's parameter): the even variants of StubSpace.
  static unsigned variant_of(std::uint64_t seed) { return static_cast<unsigned>(seed % 3) * 2; }

  static tlm::MemPortBridgeConfig bridge_config(const CosimConfig& c, std::uint64_t seed) {
    tlm::MemPortBridgeConfig b;
    b.stall_percent = c.mem_stall_percent;
    b.extra_latency_max = c.extra_latency_max;
    b.seed = seed;
    return b;
  }
  static tlm::CycleWalkerConfig cycle_config(const CosimConfig& c, std::uint64_t seed) {
    tlm::CycleWalkerConfig w;
    w.resp_stall_percent = c.resp_stall_percent;
    w.seed = seed;
    return w;
  }

  void write(std::uint32_t offset, std::uint64_t value) {
    rtl_.write_reg(offset, value);
    const regs::RegStatus st = mirror_.write(offset, value);
    if (st != regs::RegStatus::kOk)
      throw std::runtime_error(fmt::format("{}: register {:#x} = {:#x} refused by the register "
                                           "block: {}", arch::to_string(lane_.mode), offset,
                                           value, regs::to_string(st)));
  }

  // Programs the RTL's register block and the mirror with core `core`'s context. The escape
  // filter's frames are recovered from its bits over the VMM segment (the only place the walk
  // consults it): every frame it may contain there, plus one frame past the segment if it holds
  // none there, so that emptiness agrees too.
  void program(unsigned core) {
    const arch::TranslationContext& c = space_c_.context(core);
    write(regs::kConfig, regs::put(regs::field::kConfigAd, c.ad_updates ? 1 : 0) |
                             regs::put(regs::field::kConfigMaxPhy, c.maxphyaddr));
    write(regs::kMode, static_cast<std::uint64_t>(c.mode));
    write(regs::kCr3, c.cr3);
    write(regs::kPcid, c.pcid);
    write(regs::kEptp, c.eptp);
    write(regs::kVmid, c.vmid);
    write(regs::kBaseG, c.guest_seg.base);
    write(regs::kLimitG, c.guest_seg.limit);
    write(regs::kOffsetG, c.guest_seg.offset);
    write(regs::kBaseV, c.vmm_seg.base);
    write(regs::kLimitV, c.vmm_seg.limit);
    write(regs::kOffsetV, c.vmm_seg.offset);
    write(regs::kSegCommit, regs::put(regs::field::kCommitGuest, 1) |
                                regs::put(regs::field::kCommitVmm, 1));
    write(regs::kFilterCtrl, regs::put(regs::field::kFilterClear, 1));
    std::uint64_t frames = 0;
    if (c.filter != nullptr && !c.filter->empty()) {
      const std::uint64_t lo = c.vmm_seg.base >> 12, hi = c.vmm_seg.limit >> 12;
      if (c.vmm_seg.enabled() && hi - lo > kMaxScanFrames)
        throw std::runtime_error(fmt::format("{}: VMM segment of {} frames: too large to recover "
                                             "the escape filter", arch::to_string(lane_.mode),
                                             hi - lo));
      for (std::uint64_t f = lo; c.vmm_seg.enabled() && f < hi; ++f) {
        if (!c.filter->maybe_contains(f)) continue;
        write(regs::kFilterAdd, f);
        ++frames;
      }
      if (frames == 0) write(regs::kFilterAdd, hi);
    }
    lane_.escaped_frames = frames;
    core_ = core;
    ++lane_.context_switches;
    // The writes go out one per cycle (and the mirror's invalidations to the C++ walker): the
    // next request must find them all applied.
    while (!(rtl_.idle() && cycle_.idle())) edge();
    if (rtl_.refused_writes() != 0)
      throw std::runtime_error(fmt::format("{}: the RTL refused a register write at {:#x} that "
                                           "the C++ register block accepted",
                                           arch::to_string(lane_.mode),
                                           rtl_.first_refused_offset()));
  }

  void edge() { sc_core::wait(clk.negedge_event()); }

  // Moves taken responses into the queues and compares the pairs; false at a mismatch.
  bool compare() {
    tlm::WalkResponse r;
    while (cycle_.pop_response(r)) got_c_.push_back(r);
    while (rtl_.pop_response(r)) got_r_.push_back(r);
    while (!got_c_.empty() && !got_r_.empty()) {
      const std::string d = first_difference(got_c_.front(), got_r_.front());
      if (!d.empty()) {
        mismatch(d, &got_c_.front(), &got_r_.front());
        return false;
      }
      count(got_c_.front());
      got_c_.pop_front();
      got_r_.pop_front();
    }
    // Lockstep: a response of one walker without the other's at the same edge is a mismatch.
    if (!got_c_.empty() || !got_r_.empty()) {
      mismatch("response edge (one walker answered, the other did not)",
               got_c_.empty() ? nullptr : &got_c_.front(),
               got_r_.empty() ? nullptr : &got_r_.front());
      return false;
    }
    return true;
  }

  void count(const tlm::WalkResponse& r) {
    ++lane_.compared;
    lane_.mem_refs += r.result.refs.size();
    lane_.walk_cycles += r.cycles;
    ++lane_.faults[static_cast<std::size_t>(r.result.fault.kind)];
    sent_.erase(r.id);
  }

  void mismatch(const std::string& what, const tlm::WalkResponse* c, const tlm::WalkResponse* r) {
    lane_.mismatches = 1;
    const std::uint64_t id = c != nullptr ? c->id : r->id;
    const auto it = sent_.find(id);
    WalkMismatch m;
    m.where = fmt::format("{} ({})", arch::to_string(lane_.mode), lane_.space);
    m.what = what;
    m.request = it != sent_.end() ? &it->second : nullptr;
    m.core = core_;
    m.cycle = c;
    m.rtl = r;
    m.edge = cycle_.edges();
    m.window = config_.window;
    m.period_ps = kPeriodPs;
    m.wave = lane_.wave;
    report_ = format_mismatch(m);
  }

  void drive() {
    std::mt19937_64 pick_rng(rng_());
    std::mt19937_64 switch_c(rng_()), switch_r = switch_c;
    edge();
    program(0);
    std::uint64_t submitted = 0, next_id = 0;
    std::uint64_t until_switch = 1 + rng_() % (2 * kRequestsPerContext);
    bool ok = true;
    while (ok && submitted < config_.translations) {
      if (until_switch == 0) {  // context switch: both idle, then reprogram
        while (ok && !(cycle_.idle() && rtl_.idle())) {
          edge();
          ok = compare();
        }
        if (!ok) break;
        const unsigned core = static_cast<unsigned>(rng_() % space_c_.cores());
        if (rng_() % 2 == 0) {
          space_c_.switch_process(core, switch_c);
          space_r_.switch_process(core, switch_r);
        }
        program(core);
        until_switch = 1 + rng_() % (2 * kRequestsPerContext);
      }
      const unsigned burst = 1 + static_cast<unsigned>(rng_() % 4);
      for (unsigned i = 0; i < burst && submitted < config_.translations && until_switch > 0;
           ++i, ++submitted, --until_switch) {
        tlm::WalkRequest q;
        q.id = next_id++;
        q.access = space_c_.pick_access(core_, pick_rng);
        q.ctx = mirror_.context();
        sent_[q.id] = q;
        cycle_.submit(q);
        rtl_.submit(q);
      }
      if (rng_() % 8 == 0) {  // an invalidation racing with the walks
        arch::Invalidation inv;
        inv.op = static_cast<regs::InvOp>(1 + rng_() % (regs::kInvOpCount - 1));
        inv.addr = space_c_.pick_access(core_, pick_rng).va & ~0xfffull;
        inv.pcid = mirror_.context().pcid;
        inv.vmid = mirror_.context().vmid;
        cycle_.invalidate(inv);
        rtl_.invalidate(inv);
        ++lane_.invalidations;
      }
      for (unsigned c = static_cast<unsigned>(rng_() % 24); ok && c > 0; --c) {
        edge();
        ok = compare();
      }
      edge();
      ok = ok && compare();
    }
    while (ok && !(cycle_.idle() && rtl_.idle())) {
      edge();
      ok = compare();
    }
    for (unsigned c = 0; !ok && c < config_.window; ++c) edge();  // the window after it
    if (!ok) {  // what each walker answered after the mismatch, within the window
      tlm::WalkResponse r;
      while (cycle_.pop_response(r))
        report_ += fmt::format("  later, cycle-level walker (edge <= {}): {}", cycle_.edges(),
                               describe_response(r));
      while (rtl_.pop_response(r))
        report_ += fmt::format("  later, RTL walker (edge <= {}): {}", rtl_.edges(),
                               describe_response(r));
    }
    rtl_.flush_trace();
    on_done_();
  }

  CosimConfig config_;
  std::function<void()> on_done_;
  golden::StubSpace space_c_, space_r_;
  PhysMemTarget mem_c_, mem_r_;
  tlm::MemPortSignals sig_c_, sig_r_;
  tlm::MemPortBridge bridge_c_, bridge_r_;
  tlm::CycleWalker cycle_;
  RtlWalkerSc rtl_;
  arch::RegisterBlock mirror_;
  std::mt19937_64 rng_;
  unsigned core_ = 0;
  std::map<std::uint64_t, tlm::WalkRequest> sent_;
  std::deque<tlm::WalkResponse> got_c_, got_r_;
  CosimLane lane_;
  std::string report_;
};

}  // namespace

void CosimConfig::validate() const {
  if (modes.empty()) throw std::invalid_argument("--mode: no mode given");
  if (translations == 0) throw std::invalid_argument("--translations: must be at least 1");
  if (translations > 1'000'000'000ull)
    throw std::invalid_argument("--translations: at most 1000000000");
  if (mem_stall_percent > kMaxPercent || resp_stall_percent > kMaxPercent)
    throw std::invalid_argument(fmt::format("stall percent: at most {}", kMaxPercent));
  if (extra_latency_max > 1000) throw std::invalid_argument("extra latency: at most 1000 cycles");
}

CosimResult run_cosim(const CosimConfig& config) {
  config.validate();
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  const sc_time period(static_cast<double>(kPeriodPs), sc_core::SC_PS);
  sc_core::sc_clock clock("cosim_clk", period);
  std::vector<std::unique_ptr<Lane>> lanes;
  std::size_t running = config.modes.size();
  bool stop_all = false;
  for (std::size_t i = 0; i < config.modes.size(); ++i) {
    const arch::Mode m = config.modes[i];
    const std::string name = fmt::format("lane_{}", i);
    lanes.push_back(std::make_unique<Lane>(
        name.c_str(), m, config, wave_name(config.wave, m, config.modes.size() > 1),
        config.seed * 131 + static_cast<unsigned>(m), [&running, &stop_all, &lanes] {
          --running;
          bool failed = false;
          for (const auto& l : lanes) failed = failed || l->failed();
          if (running == 0 || (failed && !stop_all)) {
            stop_all = true;
            sc_core::sc_stop();
          }
        }));
    lanes.back()->clk(clock);
  }
  const auto t0 = std::chrono::steady_clock::now();
  sc_core::sc_start();
  const auto t1 = std::chrono::steady_clock::now();
  CosimResult out;
  out.seconds = std::chrono::duration<double>(t1 - t0).count();
  out.cycles = static_cast<std::uint64_t>(sc_core::sc_time_stamp() / period);
  for (const auto& l : lanes) {
    l->flush();
    out.lanes.push_back(l->result());
    out.compared += l->result().compared;
    out.mismatches += l->result().mismatches;
    if (out.report.empty() && l->failed()) out.report = l->report();
  }
  return out;
}

}  // namespace mmuvp::tb
