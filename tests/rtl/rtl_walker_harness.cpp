// The Verilated walker driver of rtl_walker_harness.h.
#include "tests/rtl/rtl_walker_harness.h"

#include <stdexcept>

// Verilator's headers are not -Wextra clean (unused parameters).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "Vwalker_top.h"
#include "verilated.h"
#include "verilated_fst_c.h"
#pragma GCC diagnostic pop

#include "arch/pte.h"
#include "tb/rtl_response.h"

namespace mmuvp::rtltest {

namespace {

constexpr unsigned kSlots = 2;       // walker_top's default W

}  // namespace

RtlWalker::RtlWalker(arch::PhysMem& memory, arch::RegisterBlock& regs, const PortTiming& timing,
                     const std::string& fst_path)
    : memory_(memory),
      regs_(regs),
      timing_(timing),
      rng_(timing.seed),
      ctx_(std::make_unique<VerilatedContext>()),
      slots_(kSlots) {
  if (timing_.min_latency < 1 || timing_.max_latency < timing_.min_latency)
    throw std::invalid_argument("PortTiming: need 1 <= min_latency <= max_latency");
  if (!fst_path.empty()) ctx_->traceEverOn(true);
  top_ = std::make_unique<Vwalker_top>(ctx_.get());
  if (!fst_path.empty()) {
    fst_ = std::make_unique<VerilatedFstC>();
    top_->trace(fst_.get(), 99);
    fst_->open(fst_path.c_str());
  }
  // Reset for two cycles.
  top_->rst_ni = 0;
  top_->req_valid = 0;
  top_->resp_ready = 0;
  top_->mem_req_ready = 0;
  top_->mem_resp_valid = 0;
  top_->inv_valid = 0;
  top_->reg_valid = 0;
  for (int i = 0; i < 2; ++i) {
    top_->clk = 0;
    top_->eval();
    top_->clk = 1;
    top_->eval();
  }
  top_->rst_ni = 1;
}

RtlWalker::~RtlWalker() {
  top_->final();
  if (fst_) fst_->close();
}

unsigned RtlWalker::slots() const { return kSlots; }

void RtlWalker::submit(const arch::Access& access) {
  tlm::WalkRequest r;
  r.id = next_id_++ & 0xffff;
  r.access = access;
  queue_.push_back(r);
}

void RtlWalker::invalidate(const arch::Invalidation& inv) {
  inv_pending_ = true;
  inv_ = inv;
}

arch::regs::RegStatus RtlWalker::write_reg(std::uint32_t offset, std::uint64_t value,
                                           arch::regs::RegStatus* cpp_status) {
  top_->reg_valid = 1;
  top_->reg_write = 1;
  top_->reg_addr = offset & 0xff;
  top_->reg_wdata = value;
  top_->clk = 0;
  top_->eval();
  const auto st = static_cast<arch::regs::RegStatus>(top_->reg_status);
  const arch::regs::RegStatus cpp = regs_.write(offset, value);
  if (cpp_status != nullptr) *cpp_status = cpp;
  step();
  top_->reg_valid = 0;
  top_->reg_write = 0;
  return st;
}

std::uint64_t RtlWalker::read_reg(std::uint32_t offset) {
  top_->reg_valid = 1;
  top_->reg_write = 0;
  top_->reg_addr = offset & 0xff;
  top_->clk = 0;
  top_->eval();
  const std::uint64_t v = top_->reg_rdata;
  step();
  top_->reg_valid = 0;
  return v;
}

bool RtlWalker::run_until_idle(std::uint64_t max_cycles) {
  const std::uint64_t end = cycle_ + max_cycles;
  auto busy = [this] {
    if (!queue_.empty() || !mem_.empty()) return true;
    for (const SlotTrace& s : slots_)
      if (s.busy) return true;
    return false;
  };
  while (busy()) {
    if (cycle_ >= end) return false;
    step();
  }
  return true;
}

void RtlWalker::step() {
  std::uniform_int_distribution<unsigned> pct(0, 99);
  // ---- inputs of this cycle --------------------------------------------------------------------
  top_->clk = 0;
  if (!queue_.empty()) {
    const arch::Access& a = queue_.front().access;
    top_->req_valid = 1;
    top_->req_id = static_cast<std::uint16_t>(queue_.front().id);
    top_->req_va = a.va;
    top_->req_type = static_cast<unsigned>(a.type);
    top_->req_user = a.user;
  } else {
    top_->req_valid = 0;
  }
  const bool mem_resp = !mem_.empty() && mem_.front().due <= cycle_;
  top_->mem_resp_valid = mem_resp;
  if (mem_resp) {
    top_->mem_resp_tag = mem_.front().tag;
    top_->mem_resp_data = mem_.front().data;
    top_->mem_resp_err = mem_.front().err;
  }
  top_->mem_req_ready = pct(rng_) >= timing_.mem_stall_percent;
  top_->resp_ready = pct(rng_) >= timing_.resp_stall_percent;
  top_->inv_valid = inv_pending_;
  if (inv_pending_) {
    top_->inv_op = static_cast<unsigned>(inv_.op);
    top_->inv_addr = inv_.addr;
    top_->inv_pcid = inv_.pcid;
    top_->inv_vmid = inv_.vmid;
    inv_pending_ = false;
  }
  top_->eval();

  // ---- handshakes at the coming edge ---------------------------------------------------------
  if (top_->req_valid && top_->req_ready) {
    unsigned s = 0;
    while (s < kSlots && slots_[s].busy) ++s;
    if (s == kSlots) throw std::logic_error("req_ready with every slot busy");
    SlotTrace& t = slots_[s];
    t.busy = true;
    t.request = queue_.front();
    t.request.ctx = regs_.context();
    t.accepted = cycle_;
    t.refs.clear();
    t.values.clear();
    queue_.pop_front();
  }
  if (top_->mem_req_valid && top_->mem_req_ready) {
    ++mem_requests_;
    const unsigned tag = top_->mem_req_tag;
    const std::uint64_t addr = top_->mem_req_addr;
    const bool set_bits = top_->mem_req_op != 0;
    std::uint64_t v = 0;
    const bool ok = memory_.read64(addr, v);
    if (ok && set_bits) memory_.write64(addr, v | top_->mem_req_data);
    SlotTrace& t = slots_.at(tag);
    t.refs.push({addr,
                 top_->mem_req_target ? arch::RefTarget::kEptEntry : arch::RefTarget::kGuestEntry,
                 static_cast<std::uint8_t>(top_->mem_req_level),
                 static_cast<std::uint8_t>(top_->mem_req_for_level), set_bits});
    t.values.push(ok ? v : 0);
    std::uniform_int_distribution<unsigned> lat(timing_.min_latency, timing_.max_latency);
    mem_.push_back(PendingMem{cycle_ + lat(rng_), tag, ok ? v : 0, !ok});
  }
  if (top_->resp_valid && top_->resp_ready) {
    SlotTrace& t = slots_.at(top_->resp_slot);
    if (!t.busy) throw std::logic_error("response from an idle slot");
    Completed c;
    c.request = t.request;
    c.response = read_response(t);
    done_.push_back(c);
    t.busy = false;
  }
  if (mem_resp) mem_.pop_front();

  // ---- the edge --------------------------------------------------------------------------------
  top_->clk = 1;
  top_->eval();
  if (fst_) {
    fst_->dump(2 * cycle_ + 1);
  }
  ++cycle_;
  top_->clk = 0;
  top_->eval();
  if (fst_) fst_->dump(2 * cycle_);
}

tlm::WalkResponse RtlWalker::read_response(SlotTrace& t) {
  const Vwalker_top& p = *top_;
  tlm::WalkResponse w;
  w.id = p.resp_id;
  w.slot = p.resp_slot;
  w.cycles = cycle_ - t.accepted;  // cycles from the accepting edge to the taking edge
  w.result.refs = t.refs;
  w.values = t.values;
  tb::read_rtl_response(p, t.request, w);
  return w;
}

}  // namespace mmuvp::rtltest
