// The SystemC wrapper of the Verilated RTL walker (rtl_walker_sc.h).
// The Verilated model is plain C++ (not --sc): its headers come before SystemC's, which would
// switch verilated_funcs.h to SystemC time. They are not -Wextra clean (unused parameters).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "Vwalker_top.h"
#include "Vwalker_top__Syms.h"  // every module class of the model (the slot's, if not inlined)
#include "Vwalker_top___024root.h"
#include "verilated.h"
#include "verilated_fst_c.h"
#ifdef MMUVP_RTL_COVERAGE
#include "verilated_cov.h"
#endif
#pragma GCC diagnostic pop

#include "tb/rtl_walker_sc.h"

#include <fstream>
#include <stdexcept>
#include <type_traits>

#include "arch/pte.h"
#include "tb/rtl_response.h"
#include "tlm/walk_fsm.h"

namespace mmuvp::tb {

namespace {

constexpr unsigned kSlots = 2;           // walker_top's default W
constexpr unsigned kMaxStallPercent = 90;

// Slot i's state register (walk_slot.state_q, encoded as tlm::WState), by the name Verilator gives
// it in walker_top's generate block of each slot. Verilator either inlines the slot module into
// the root (a member PATH__DOT__state_q) or keeps it a submodule (a member __PVT__PATH pointing to
// the slot's class, field __PVT__state_q), by its own size heuristics: the coverage build, whose
// slot carries the coverage counters, keeps it. SlotStateN reads whichever the model has.
#define MMUVP_SLOT_STATE_READER(name, path)                                              \
  template <typename Root, typename = void>                                              \
  struct name {                                                                          \
    static unsigned get(const Root& r) { return r.__PVT__##path->__PVT__state_q; }       \
  };                                                                                     \
  template <typename Root>                                                               \
  struct name<Root, std::void_t<decltype(Root::path##__DOT__state_q)>> {                 \
    static unsigned get(const Root& r) { return r.path##__DOT__state_q; }                \
  };
MMUVP_SLOT_STATE_READER(SlotState0, walker_top__DOT__gen_slot__BRA__0__KET____DOT__u_slot)
MMUVP_SLOT_STATE_READER(SlotState1, walker_top__DOT__gen_slot__BRA__1__KET____DOT__u_slot)
#undef MMUVP_SLOT_STATE_READER

tlm::WState slot_state(const Vwalker_top& t, unsigned i) {
  static_assert(kSlots == 2, "one state register name per slot");
  using Root = Vwalker_top___024root;
  const Root& r = *t.rootp;
  return static_cast<tlm::WState>(i == 0 ? SlotState0<Root>::get(r) : SlotState1<Root>::get(r));
}

// Time of the current instant in ps (the FST's unit).
std::uint64_t now_ps() {
  return static_cast<std::uint64_t>(sc_core::sc_time_stamp().to_seconds() * 1e12 + 0.5);
}

}  // namespace

RtlWalkerSc::RtlWalkerSc(sc_core::sc_module_name name, const RtlWalkerScConfig& config)
    : sc_module(name),
      clk("clk"),
      mem_req_valid("mem_req_valid"),
      mem_req_ready("mem_req_ready"),
      mem_req_tag("mem_req_tag"),
      mem_req_addr("mem_req_addr"),
      mem_req_op("mem_req_op"),
      mem_req_data("mem_req_data"),
      mem_resp_valid("mem_resp_valid"),
      mem_resp_tag("mem_resp_tag"),
      mem_resp_data("mem_resp_data"),
      mem_resp_err("mem_resp_err"),
      config_(config),
      ctx_(std::make_unique<VerilatedContext>()),
      rng_(config.seed),
      slots_(kSlots) {
  if (config_.resp_stall_percent > kMaxStallPercent)
    throw std::invalid_argument("RtlWalkerScConfig.resp_stall_percent: " +
                                std::to_string(config_.resp_stall_percent) + " is above " +
                                std::to_string(kMaxStallPercent));
  if (!config_.fst_path.empty()) ctx_->traceEverOn(true);
  top_ = std::make_unique<Vwalker_top>(ctx_.get(), "walker_top");
  if (!config_.fst_path.empty()) {
    fst_ = std::make_unique<VerilatedFstC>();
    top_->trace(fst_.get(), 99);
    fst_->open(config_.fst_path.c_str());
    if (!fst_->isOpen())
      throw std::runtime_error("cannot open the waveform file " + config_.fst_path);
  }
  Vwalker_top& t = *top_;
  t.rst_ni = 0;
  t.req_valid = 0;
  t.resp_ready = 0;
  t.mem_req_ready = 0;
  t.mem_resp_valid = 0;
  t.inv_valid = 0;
  t.reg_valid = 0;
  t.reg_write = 0;
  for (int i = 0; i < 2; ++i) {
    t.clk = 0;
    t.eval();
    t.clk = 1;
    t.eval();
  }
  t.rst_ni = 1;
  t.clk = 0;
  t.eval();

  SC_METHOD(on_clock);
  sensitive << clk.pos();
  dont_initialize();
}

RtlWalkerSc::~RtlWalkerSc() {
  top_->final();
  if (fst_) fst_->close();
}

unsigned RtlWalkerSc::slots() const { return kSlots; }

void RtlWalkerSc::submit(const tlm::WalkRequest& req) {
  queue_.push_back(Queued{req, sc_core::sc_time_stamp()});
}

void RtlWalkerSc::invalidate(const arch::Invalidation& inv) {
  inv_queue_.push_back(QueuedInv{inv, sc_core::sc_time_stamp()});
}

void RtlWalkerSc::write_reg(std::uint32_t offset, std::uint64_t value) {
  reg_queue_.push_back(QueuedReg{offset, value, sc_core::sc_time_stamp()});
}

arch::regs::RegStatus RtlWalkerSc::write_reg_now(std::uint32_t offset, std::uint64_t value) {
  bool walking = !queue_.empty() || req_driven_ || !reg_queue_.empty() || reg_driven_;
  for (const SlotTrace& s : slots_) walking = walking || s.busy;
  if (walking)
    throw std::logic_error("RtlWalkerSc::write_reg_now: a walk or a register write is queued or "
                           "in flight");
  Vwalker_top& t = *top_;
  // Queued invalidations keep their own edges: inv_valid is low for the extra one.
  const bool mem_ready = t.mem_req_ready, mem_valid = t.mem_resp_valid, inv = t.inv_valid;
  t.clk = 0;
  t.mem_req_ready = 0;
  t.mem_resp_valid = 0;
  t.inv_valid = 0;
  t.reg_valid = 1;
  t.reg_write = 1;
  t.reg_addr = offset & 0xff;
  t.reg_wdata = value;
  t.eval();
  const auto st = static_cast<arch::regs::RegStatus>(t.reg_status);
  t.clk = 1;
  t.eval();
  t.clk = 0;
  t.reg_valid = 0;
  t.reg_write = 0;
  t.mem_req_ready = mem_ready;
  t.mem_resp_valid = mem_valid;
  t.inv_valid = inv;
  t.eval();
  return st;
}

bool RtlWalkerSc::pop_response(tlm::WalkResponse& out) {
  if (responses_.empty()) return false;
  out = std::move(responses_.front());
  responses_.pop_front();
  return true;
}

bool RtlWalkerSc::idle() const {
  if (!queue_.empty() || !inv_queue_.empty() || !reg_queue_.empty()) return false;
  for (const SlotTrace& s : slots_)
    if (s.busy) return false;
  return true;
}

void RtlWalkerSc::flush_trace() {
  if (fst_) fst_->flush();
}

bool RtlWalkerSc::coverage_build() {
#ifdef MMUVP_RTL_COVERAGE
  return true;
#else
  return false;
#endif
}

void RtlWalkerSc::write_coverage(const std::string& path) const {
#ifdef MMUVP_RTL_COVERAGE
  // Verilator ends the process when it cannot open the file: check first.
  if (!std::ofstream(path, std::ios::trunc))
    throw std::runtime_error("cannot write the coverage file " + path);
  ctx_->coveragep()->write(path.c_str());
#else
  throw std::logic_error("RtlWalkerSc::write_coverage(" + path +
                         "): the RTL walker of this build has no coverage (mmuvp_rtl_walker_cov)");
#endif
}

void RtlWalkerSc::on_clock() {
  Vwalker_top& t = *top_;
  // Nothing queued, driven or in flight: the edge changes nothing in the RTL (no input is active,
  // every slot stays IDLE), so without a waveform to write it is not evaluated.
  if (!fst_ && !req_driven_ && !inv_driven_ && !reg_driven_ && idle()) {
    ++edge_;
    if (config_.resp_stall_percent != 0) drive_front_end();  // the same resp_ready draws
    return;
  }
  // ---- the cycle this edge ends: the memory side's inputs, then the handshakes ----------------
  t.mem_req_ready = mem_req_ready.read();
  t.mem_resp_valid = mem_resp_valid.read();
  t.mem_resp_tag = mem_resp_tag.read();
  t.mem_resp_data = mem_resp_data.read();
  t.mem_resp_err = mem_resp_err.read();
  t.clk = 0;
  t.eval();

  const bool req_fire = t.req_valid && t.req_ready;
  const bool resp_fire = t.resp_valid && t.resp_ready;
  const bool grant = t.mem_req_valid && t.mem_req_ready;
  if (reg_driven_) {
    if (t.reg_status != static_cast<unsigned>(arch::regs::RegStatus::kOk)) {
      if (refused_ == 0) first_refused_ = reg_queue_.front().offset;
      ++refused_;
    }
    reg_queue_.pop_front();
  }
  if (inv_driven_) inv_queue_.pop_front();
  if (grant) {
    SlotTrace& s = slots_.at(t.mem_req_tag);
    s.resp.result.refs.push({t.mem_req_addr,
                             t.mem_req_target ? arch::RefTarget::kEptEntry
                                              : arch::RefTarget::kGuestEntry,
                             static_cast<std::uint8_t>(t.mem_req_level),
                             static_cast<std::uint8_t>(t.mem_req_for_level), t.mem_req_op != 0});
  }
  if (t.mem_resp_valid) slots_.at(t.mem_resp_tag).resp.values.push(t.mem_resp_data);
  count_cycle(grant);
  int acceptor = -1;
  if (req_fire) {
    for (unsigned i = 0; i < slots_.size() && acceptor < 0; ++i)
      if (!slots_[i].busy) acceptor = static_cast<int>(i);
    if (acceptor < 0) SC_REPORT_ERROR("mmuvp/rtl", "req_ready with every slot busy");
  }
  if (resp_fire) {
    SlotTrace& s = slots_.at(t.resp_slot);
    if (!s.busy) SC_REPORT_ERROR("mmuvp/rtl", "a response from an idle slot");
    read_response(s);
    count_response(s.resp);
    responses_.push_back(s.resp);
    s.busy = false;
    response_event_.notify(sc_core::SC_ZERO_TIME);
  }
  if (acceptor >= 0) {
    SlotTrace& s = slots_[static_cast<unsigned>(acceptor)];
    s.busy = true;
    s.req = queue_.front().req;
    s.accept_edge = edge_;
    s.resp = tlm::WalkResponse{};
    queue_.pop_front();
  }

  // ---- the edge ------------------------------------------------------------------------------
  t.clk = 1;
  t.eval();
  if (fst_) fst_->dump(now_ps());
  ++edge_;

  // ---- the next cycle: front-end inputs, outputs to the memory side --------------------------
  drive_front_end();
  t.eval();
  if (fst_) {
    // The falling half of the clock, for readable waves (the model is edge-triggered only).
    t.clk = 0;
    t.eval();
    fst_->dump(now_ps() + static_cast<std::uint64_t>(config_.clock_period.to_seconds() * 0.5e12));
  }
  mem_req_valid.write(t.mem_req_valid);
  mem_req_tag.write(t.mem_req_tag);
  mem_req_addr.write(t.mem_req_addr);
  mem_req_op.write(t.mem_req_op);
  mem_req_data.write(t.mem_req_data);
}

void RtlWalkerSc::drive_front_end() {
  Vwalker_top& t = *top_;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  req_driven_ = !queue_.empty() && queue_.front().submitted < now;
  t.req_valid = req_driven_;
  if (req_driven_) {
    const tlm::WalkRequest& q = queue_.front().req;
    t.req_id = static_cast<std::uint16_t>(q.id & 0xffff);
    t.req_va = q.access.va;
    t.req_type = static_cast<unsigned>(q.access.type);
    t.req_user = q.access.user;
  }
  inv_driven_ = !inv_queue_.empty() && inv_queue_.front().issued < now;
  t.inv_valid = inv_driven_;
  if (inv_driven_) {
    const arch::Invalidation& inv = inv_queue_.front().inv;
    t.inv_op = static_cast<unsigned>(inv.op);
    t.inv_addr = inv.addr;
    t.inv_pcid = inv.pcid;
    t.inv_vmid = inv.vmid;
  }
  reg_driven_ = !reg_queue_.empty() && reg_queue_.front().issued < now;
  t.reg_valid = reg_driven_;
  t.reg_write = reg_driven_;
  if (reg_driven_) {
    t.reg_addr = reg_queue_.front().offset & 0xff;
    t.reg_wdata = reg_queue_.front().value;
  }
  t.resp_ready = config_.resp_stall_percent == 0 || rng_() % 100 >= config_.resp_stall_percent;
}

void RtlWalkerSc::count_cycle(bool grant) {
  const Vwalker_top& t = *top_;
  for (unsigned i = 0; i < slots_.size(); ++i) {
    const tlm::WState st = slot_state(t, i);
    if (st == tlm::WState::W_IDLE) continue;
    ++stats_.slots_busy_cycles;
    if (tlm::is_mem_request(st) && !(grant && t.mem_req_tag == i)) ++stats_.port_wait_cycles;
    if (st == tlm::WState::W_PWC) {
      ++stats_.pwc_lookups;
      ++pwc_.lookups;
    } else if (st == tlm::WState::W_NTLB) {
      ++stats_.ntlb_lookups;
      ++ntlb_.lookups;
    }
  }
}

void RtlWalkerSc::count_response(const tlm::WalkResponse& r) {
  stats_.count(r);
  const unsigned level = r.caches.guest.level;
  if (level >= 2 && level <= 4) {
    ++stats_.pwc_hits;
    ++pwc_.hits;
    ++pwc_.hits_by_level[tlm::pwc_index(level)];
  }
  pwc_.misses = pwc_.lookups - pwc_.hits;
  for (const arch::NestedLookup& l : r.caches.nested) {
    if (!l.hit) continue;
    ++stats_.ntlb_hits;
    ++ntlb_.hits;
    ++ntlb_.hits_by_size[static_cast<std::size_t>(l.entry.size)];
  }
  ntlb_.misses = ntlb_.lookups - ntlb_.hits;
}

void RtlWalkerSc::read_response(SlotTrace& s) {
  const Vwalker_top& p = *top_;
  tlm::WalkResponse& w = s.resp;
  w.id = s.req.id;
  w.slot = static_cast<std::uint8_t>(p.resp_slot);
  w.cycles = edge_ - s.accept_edge;
  read_rtl_response(p, s.req, w);
}

}  // namespace mmuvp::tb
