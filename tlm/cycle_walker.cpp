#include "tlm/cycle_walker.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "arch/ept.h"
#include "arch/pte.h"

namespace mmuvp::tlm {

namespace {

using arch::AccessType;
using arch::FaultKind;
using arch::FaultStage;
using arch::RefTarget;

constexpr unsigned kMaxRespStallPercent = 95;
constexpr unsigned kEptInputBits = 48;     // a 4-level EPT translates gPA bits 47:0
constexpr std::size_t kNestedLookupsPerWalk = 5;  // 4 guest tables + the final gPA
constexpr const char* kReportId = "mmuvp/cycle_walker";

std::uint32_t pf_code(const arch::Access& a, std::uint32_t extra) {
  return extra | (a.type == AccessType::kWrite ? arch::pf::kW : 0) | (a.user ? arch::pf::kU : 0) |
         (a.type == AccessType::kExecute ? arch::pf::kI : 0);
}

unsigned leaf_level_of(arch::PageSize s) {
  return s == arch::PageSize::k4K ? 1 : s == arch::PageSize::k2M ? 2 : 3;
}

arch::Perms ept_perms(std::uint64_t rwx) {
  return arch::Perms{(rwx & arch::ept::kR) != 0, (rwx & arch::ept::kW) != 0,
                     (rwx & arch::ept::kX) != 0, true};
}

std::uint32_t perm_bits(const arch::Perms& p) {
  return (p.r ? kPermR : 0) | (p.w ? kPermW : 0) | (p.x ? kPermX : 0) | (p.u ? kPermU : 0);
}

}  // namespace

void CycleWalkerConfig::validate() const {
  if (slots == 0 || slots > kMaxWalkSlots)
    throw std::invalid_argument(fmt::format(
        "CycleWalkerConfig.slots: {} is outside 1..{}", slots, kMaxWalkSlots));
  if (resp_stall_percent > kMaxRespStallPercent)
    throw std::invalid_argument(fmt::format("CycleWalkerConfig.resp_stall_percent: {} is above {}",
                                            resp_stall_percent, kMaxRespStallPercent));
  pwc.validate();
  ntlb.validate();
}

CycleWalker::CycleWalker(sc_core::sc_module_name name, const CycleWalkerConfig& config)
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
      mem_req_target("mem_req_target"),
      mem_req_level("mem_req_level"),
      mem_req_for_level("mem_req_for_level"),
      rst_ni("rst_ni", true),
      req_valid("req_valid"),
      req_ready("req_ready", true),
      req_id("req_id"),
      req_va("req_va"),
      req_type("req_type"),
      req_user("req_user"),
      resp_valid("resp_valid"),
      resp_ready("resp_ready", true),
      resp_id("resp_id"),
      resp_slot("resp_slot"),
      resp_hpa("resp_hpa"),
      resp_gpa("resp_gpa"),
      resp_size("resp_size"),
      resp_guest_size("resp_guest_size"),
      resp_host_size("resp_host_size"),
      resp_perms("resp_perms"),
      resp_global("resp_global"),
      resp_dirty("resp_dirty"),
      resp_guest_seg_hit("resp_guest_seg_hit"),
      resp_vmm_seg_hit("resp_vmm_seg_hit"),
      resp_filter_hits("resp_filter_hits"),
      resp_fault_kind("resp_fault_kind"),
      resp_fault_stage("resp_fault_stage"),
      resp_fault_level("resp_fault_level"),
      resp_fault_code("resp_fault_code"),
      resp_fault_gva("resp_fault_gva"),
      resp_fault_gpa("resp_fault_gpa"),
      inv_valid("inv_valid"),
      inv_op("inv_op"),
      inv_addr("inv_addr"),
      inv_pcid("inv_pcid"),
      inv_vmid("inv_vmid"),
      slot_state("slot_state"),
      req_accepts("req_accepts"),
      resp_taken("resp_taken"),
      config_((config.validate(), config)),
      pwc_(config_.pwc),
      ntlb_(config_.ntlb),
      slots_(config_.slots),
      rng_(config_.seed) {
  slot_state.init(config_.slots);
  pwc_fills_.reserve(config_.slots);
  ntlb_fills_.reserve(config_.slots);
  for (Slot& s : slots_) s.resp.caches.nested.reserve(kNestedLookupsPerWalk);
  last_granted_ = config_.slots - 1;  // round robin starts at slot 0
  mem_req_valid.initialize(false);
  mem_req_tag.initialize(0);
  mem_req_addr.initialize(0);
  mem_req_op.initialize(0);
  mem_req_data.initialize(0);
  SC_METHOD(on_clock);
  sensitive << clk.pos();
  dont_initialize();
}

// ---- front end ------------------------------------------------------------------------------------

void CycleWalker::submit(const WalkRequest& req) {
  queue_.push_back(Queued{req, sc_core::sc_time_stamp()});
}

WalkResponse CycleWalker::walk(const WalkRequest& req) {
  WalkResponse out;
  Waiter w{req.id, &out, false};
  waiters_.push_back(&w);
  submit(req);
  while (!w.done) sc_core::wait(response_event_);
  waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &w));
  return out;
}

bool CycleWalker::pop_response(WalkResponse& out) {
  if (responses_.empty()) return false;
  out = std::move(responses_.front());
  responses_.pop_front();
  return true;
}

void CycleWalker::invalidate(const arch::Invalidation& inv) {
  inv_queue_.push_back(QueuedInv{inv, sc_core::sc_time_stamp()});
}

bool CycleWalker::idle() const {
  if (!queue_.empty() || !inv_queue_.empty()) return false;
  return std::all_of(slots_.begin(), slots_.end(),
                     [](const Slot& s) { return s.state == WState::W_IDLE; });
}

void CycleWalker::deliver(Slot& s) {
  WalkResponse& r = s.resp;
  r.id = s.req.id;
  r.cycles = edge_ - s.accept_edge;
  r.slot = static_cast<std::uint8_t>(&s - slots_.data());
  stats_.count(r);
  ++fault_kinds_[static_cast<std::size_t>(r.result.fault.kind)];
  ++taken_;
  response_event_.notify(sc_core::SC_ZERO_TIME);
  for (Waiter* w : waiters_) {
    if (!w->done && w->id == r.id) {
      *w->out = r;
      w->done = true;
      return;
    }
  }
  if (callback_) {
    callback_(r);
  } else {
    responses_.push_back(r);
  }
}

// ---- the clock edge -------------------------------------------------------------------------------

void CycleWalker::do_reset() {
  for (Slot& s : slots_) s.state = WState::W_IDLE;
  driving_ = -1;
  presented_ = -1;
  last_granted_ = config_.slots - 1;
  const arch::Invalidation flush{arch::regs::InvOp::kFlushAll, 0, 0, 0};
  pwc_.invalidate(flush);
  ntlb_.invalidate(flush);
}

void CycleWalker::on_clock() {
  if (!rst_ni.read()) {
    do_reset();
    write_outputs();
    ++edge_;
    return;
  }
  // Inputs as they were in the cycle this edge ends.
  const bool req_fire = req_valid.read() && req_ready.read();
  const bool resp_fire = resp_valid.read() && resp_ready.read();
  const bool grant = driving_ >= 0 && mem_req_ready.read();
  const bool mem_resp = mem_resp_valid.read();
  const std::uint32_t mem_tag = mem_resp_tag.read();
  if (mem_resp && (mem_tag >= slots_.size() || !is_mem_wait(slots_[mem_tag].state))) {
    SC_REPORT_ERROR(kReportId, fmt::format("{}: memory response for slot {}, which is not waiting "
                                           "for one (state {})",
                                           name(), mem_tag,
                                           mem_tag < slots_.size()
                                               ? to_string(slots_[mem_tag].state)
                                               : std::string_view("none"))
                                   .c_str());
    return;
  }
  int acceptor = -1;
  if (req_fire) {
    for (unsigned i = 0; i < slots_.size(); ++i) {
      if (slots_[i].state == WState::W_IDLE) {
        acceptor = static_cast<int>(i);
        break;
      }
    }
  }
  for (unsigned i = 0; i < slots_.size(); ++i) {
    const WState st = slots_[i].state;
    if (st == WState::W_IDLE) continue;
    ++stats_.slots_busy_cycles;
    if (is_mem_request(st) && !(grant && static_cast<int>(i) == driving_))
      ++stats_.port_wait_cycles;
  }

  // Lookups (inside step, slot order), then fills (slot order), then the invalidation.
  pwc_fills_.clear();
  ntlb_fills_.clear();
  for (unsigned i = 0; i < slots_.size(); ++i) {
    const int si = static_cast<int>(i);
    step(i, si == acceptor, grant && si == driving_, mem_resp && mem_tag == i,
         resp_fire && si == presented_);
  }
  for (const PwcFill& f : pwc_fills_) pwc_.fill(f.level, f.va, f.vmid, f.pcid, f.table, f.perms);
  for (const NestedTlbEntry& e : ntlb_fills_) ntlb_.fill(e);
  if (inv_valid.read() && inv_driven_) {
    const arch::Invalidation& inv = inv_queue_.front().inv;
    pwc_.invalidate(inv);
    ntlb_.invalidate(inv);
    inv_queue_.pop_front();
  }
  if (req_fire) {
    queue_.pop_front();
    ++accepts_;
  }
  if (grant) last_granted_ = static_cast<unsigned>(driving_);
  write_outputs();
  ++edge_;
}

void CycleWalker::step(unsigned i, bool accept_now, bool granted, bool responded, bool taken) {
  Slot& s = slots_[i];
  switch (s.state) {
    case WState::W_IDLE:
      if (accept_now) accept(s);
      return;
    case WState::W_SEG:
      seg(s);
      return;
    case WState::W_PWC:
      pwc_lookup(s);
      return;
    case WState::W_HSEG:
      hseg(s);
      return;
    case WState::W_NTLB:
      ntlb_lookup(s);
      return;
    case WState::W_EREQ:
    case WState::W_EAD_REQ:
    case WState::W_GREQ:
    case WState::W_GAD_REQ: {
      if (!granted) return;
      const bool guest = s.mem_target == RefTarget::kGuestEntry;
      s.resp.result.refs.push({s.mem_addr, s.mem_target, static_cast<std::uint8_t>(s.mem_level),
                               static_cast<std::uint8_t>(guest ? s.mem_level : s.for_level),
                               s.mem_op == MemOp::kSetBits});
      s.state = static_cast<WState>(static_cast<unsigned>(s.state) + 1);  // the *_WAIT state
      return;
    }
    case WState::W_EWAIT:
      if (!responded) return;
      s.resp.values.push(mem_resp_data.read());  // one value per reference, even a failed one
      if (mem_resp_err.read()) {
        fault(s, FaultKind::kMemoryError,
              s.for_level == 0 ? FaultStage::kFinal : FaultStage::kGuestTable, s.ept_level, 0,
              s.req.access.va, s.mem_addr);
        return;
      }
      s.eentry = mem_resp_data.read();
      s.state = WState::W_ECHK;
      return;
    case WState::W_ECHK:
      echk(s);
      return;
    case WState::W_EAD_WAIT:
      // The value before the OR. An error cannot happen (the entry was just read) and, as in the
      // golden model's write, would be ignored.
      if (!responded) return;
      s.resp.values.push(mem_resp_data.read());
      if (arch::ept::is_leaf(s.eentry, s.ept_level)) {
        ept_leaf_done(s);
      } else {
        ept_next_level(s);
      }
      return;
    case WState::W_GWAIT:
      if (!responded) return;
      s.resp.values.push(mem_resp_data.read());  // one value per reference, even a failed one
      if (mem_resp_err.read()) {
        fault(s, FaultKind::kMemoryError, FaultStage::kGuestTable, s.level, 0, s.req.access.va,
              s.entry_hpa);
        return;
      }
      s.gentry = mem_resp_data.read();
      s.state = WState::W_GCHK;
      return;
    case WState::W_GCHK:
      gchk(s);
      return;
    case WState::W_GAD_WAIT:
      if (!responded) return;
      s.resp.values.push(mem_resp_data.read());
      guest_continue(s);
      return;
    case WState::W_DONE:
    case WState::W_FAULT:
      if (!taken) return;
      deliver(s);
      s.state = WState::W_IDLE;
      return;
  }
}

// ---- the walk -------------------------------------------------------------------------------------

void CycleWalker::accept(Slot& s) {
  s.req = queue_.front().req;
  s.resp.result = arch::TranslationResult{};
  s.resp.values.clear();
  s.resp.caches.clear();
  s.resp.id = s.req.id;
  s.accept_edge = edge_;
  s.g_w = s.g_u = s.g_x = s.g_dirty = true;
  s.host = HostStep{};
  s.state = WState::W_SEG;
}

void CycleWalker::seg(Slot& s) {
  const arch::TranslationContext& ctx = s.req.ctx;
  const arch::Access& a = s.req.access;
  arch::TranslationResult& r = s.resp.result;
  if (!arch::is_canonical(a.va)) {
    fault(s, FaultKind::kNonCanonical, FaultStage::kNone, 0, 0, a.va, 0);
    return;
  }
  if (arch::uses_guest_segment(ctx.mode) && ctx.guest_seg.contains(a.va)) {
    if (a.type == AccessType::kExecute) {  // segments map read/write/user memory, not code
      fault(s, FaultKind::kGuestPageFault, FaultStage::kFinal, 0, pf_code(a, arch::pf::kP), a.va,
            0);
      return;
    }
    r.gpa = ctx.guest_seg.translate(a.va);
    r.guest_size = ctx.guest_seg.block_size(a.va, true);
    r.guest_seg_hit = true;
    s.g_x = false;
    r.adds.push({arch::SegmentKind::kGuest, a.va, r.gpa});
    if (arch::is_virtualized(ctx.mode)) {
      start_gpa(s, r.gpa, 0);
    } else {
      finish(s);
    }
    return;
  }
  s.state = WState::W_PWC;
}

void CycleWalker::pwc_lookup(Slot& s) {
  const arch::TranslationContext& ctx = s.req.ctx;
  ++stats_.pwc_lookups;
  const PwcHit h = pwc_.lookup(s.req.access.va, ctx.vmid, ctx.pcid);
  s.table = ctx.cr3 & arch::frame_mask(ctx.maxphyaddr);
  s.level = 4;
  if (h.hit()) {
    ++stats_.pwc_hits;
    s.resp.caches.guest = arch::GuestStart{h.level, h.table, h.perms};
    s.table = h.table;
    s.level = h.level - 1;
    s.g_w = h.perms.w;
    s.g_u = h.perms.u;
    s.g_x = h.perms.x;
  }
  guest_entry(s);
}

void CycleWalker::guest_entry(Slot& s) {
  s.entry_gpa = s.table + 8ull * arch::table_index(s.req.access.va, s.level);
  if (arch::is_virtualized(s.req.ctx.mode)) {
    start_gpa(s, s.entry_gpa, s.level);
    return;
  }
  s.entry_hpa = s.entry_gpa;
  s.table_perms = arch::Perms{true, true, true, true};
  s.table_ept_level = 0;
  request(s, WState::W_GREQ, RefTarget::kGuestEntry, s.level, s.entry_hpa, MemOp::kRead, 0);
}

void CycleWalker::start_gpa(Slot& s, arch::gpa_t gpa, unsigned for_level) {
  const arch::Access& a = s.req.access;
  const bool ept_ad = arch::ept::eptp::ad_enabled(s.req.ctx.eptp);
  const bool final_access = for_level == 0;
  std::uint32_t access_bits;
  if (!final_access) {  // guest paging-structure access: a write with EPT A/D (SDM §29.3.5)
    access_bits = ept_ad ? (arch::eptq::kRead | arch::eptq::kWrite) : arch::eptq::kRead;
    s.need = ept_ad ? arch::ept::kW : arch::ept::kR;
  } else if (a.type == AccessType::kWrite) {
    access_bits = arch::eptq::kWrite;
    s.need = arch::ept::kW;
  } else if (a.type == AccessType::kExecute) {
    access_bits = arch::eptq::kFetch;
    s.need = arch::ept::kX;
  } else {
    access_bits = arch::eptq::kRead;
    s.need = arch::ept::kR;
  }
  s.qual_base = access_bits | arch::eptq::kGvaValid | (final_access ? arch::eptq::kFinal : 0);
  s.gpa = gpa;
  s.for_level = for_level;
  s.state = WState::W_HSEG;
}

void CycleWalker::hseg(Slot& s) {
  const arch::TranslationContext& ctx = s.req.ctx;
  arch::TranslationResult& r = s.resp.result;
  const bool final_access = s.for_level == 0;
  if (arch::uses_vmm_segment(ctx.mode) && ctx.vmm_seg.contains(s.gpa)) {
    const arch::EscapeFilter* f = filter_of(s);
    const bool filter_empty = f == nullptr || f->empty();
    if (!filter_empty && f->maybe_contains(s.gpa >> arch::kPageShift)) {
      ++r.filter_hits;  // escaped frame: translated by the EPT (counted by stats_.count())
    } else {
      s.host = HostStep{ctx.vmm_seg.translate(s.gpa), ctx.vmm_seg.block_size(s.gpa, filter_empty),
                        arch::Perms{true, true, true, true}, 0, 0, true};
      r.adds.push({arch::SegmentKind::kVmm, s.gpa, s.host.hpa});
      if (final_access) r.vmm_seg_hit = true;
      gpa_resolved(s);
      return;
    }
  }
  if ((s.gpa >> kEptInputBits) != 0) {
    fault(s, FaultKind::kEptViolation, final_access ? FaultStage::kFinal : FaultStage::kGuestTable,
          arch::ept::walk_first_level(s.req.ctx.mode), s.qual_base, s.req.access.va, s.gpa);
    return;
  }
  s.state = WState::W_NTLB;
}

void CycleWalker::ntlb_lookup(Slot& s) {
  const arch::TranslationContext& ctx = s.req.ctx;
  ++stats_.ntlb_lookups;
  const AccessType type = s.need == arch::ept::kW   ? AccessType::kWrite
                          : s.need == arch::ept::kX ? AccessType::kExecute
                                                    : AccessType::kRead;
  const NestedTlbEntry* e = ntlb_.lookup(s.gpa, ctx.vmid, type);
  // An entry that does not grant the access is not used: the EPT walk faults from memory.
  const bool grants = e != nullptr && (s.need != arch::ept::kR || e->perms.r) &&
                      (s.need != arch::ept::kW || e->perms.w) &&
                      (s.need != arch::ept::kX || e->perms.x);
  arch::NestedLookup l;
  l.gpa = s.gpa;
  if (grants) {
    ++stats_.ntlb_hits;
    l.hit = true;
    l.entry = arch::NestedHit{s.gpa, e->hpa, e->size, e->perms, e->dirty};
    s.resp.caches.nested.push_back(l);
    s.host = HostStep{e->translate(s.gpa), e->size,
                      arch::Perms{e->perms.r, e->perms.w, e->perms.x, true}, 0,
                      leaf_level_of(e->size), e->dirty};
    gpa_resolved(s);
    return;
  }
  s.resp.caches.nested.push_back(l);
  s.ept_level = arch::ept::walk_first_level(ctx.mode);
  s.ept_table = arch::ept::eptp::pml4(ctx.eptp, ctx.maxphyaddr);
  s.rwx = arch::ept::kRWX;
  request(s, WState::W_EREQ, RefTarget::kEptEntry, s.ept_level,
          s.ept_table + 8ull * arch::ept::walk_index(ctx.mode, s.gpa, s.ept_level), MemOp::kRead,
          0);
}

void CycleWalker::echk(Slot& s) {
  const arch::TranslationContext& ctx = s.req.ctx;
  const std::uint64_t e = s.eentry;
  const unsigned level = s.ept_level;
  const FaultStage stage = s.for_level == 0 ? FaultStage::kFinal : FaultStage::kGuestTable;
  const arch::gva_t va = s.req.access.va;
  if (!arch::ept::present(e)) {
    fault(s, FaultKind::kEptViolation, stage, level, s.qual_base, va, s.gpa);
    return;
  }
  if (arch::ept::misconfigured(e, level, ctx.maxphyaddr)) {
    fault(s, FaultKind::kEptMisconfig, stage, level, 0, va, s.gpa);
    return;
  }
  s.rwx &= e & arch::ept::kRWX;
  const bool set_ad = arch::ept::eptp::ad_enabled(ctx.eptp) && ctx.ad_updates;
  if (!arch::ept::is_leaf(e, level)) {
    if (set_ad && !(e & arch::ept::kA)) {
      s.e_want = arch::ept::kA;
      request(s, WState::W_EAD_REQ, RefTarget::kEptEntry, level, s.mem_addr, MemOp::kSetBits,
              s.e_want);
      return;
    }
    ept_next_level(s);
    return;
  }
  if ((s.rwx & s.need) != s.need) {
    const std::uint32_t bits = ((s.rwx & arch::ept::kR) ? arch::eptq::kReadable : 0) |
                               ((s.rwx & arch::ept::kW) ? arch::eptq::kWritable : 0) |
                               ((s.rwx & arch::ept::kX) ? arch::eptq::kExecutable : 0);
    fault(s, FaultKind::kEptViolation, stage, level, s.qual_base | bits, va, s.gpa);
    return;
  }
  s.e_want = arch::ept::kA | (s.need == arch::ept::kW ? arch::ept::kD : 0);
  if (set_ad && (e & s.e_want) != s.e_want) {
    request(s, WState::W_EAD_REQ, RefTarget::kEptEntry, level, s.mem_addr, MemOp::kSetBits,
            s.e_want);
    return;
  }
  ept_leaf_done(s);
}

void CycleWalker::ept_next_level(Slot& s) {
  const arch::Mode mode = s.req.ctx.mode;
  s.ept_table = arch::ept::next_table(s.eentry, s.req.ctx.maxphyaddr);
  s.ept_level = arch::ept::walk_next_level(mode, s.ept_level);
  request(s, WState::W_EREQ, RefTarget::kEptEntry, s.ept_level,
          s.ept_table + 8ull * arch::ept::walk_index(mode, s.gpa, s.ept_level), MemOp::kRead, 0);
}

void CycleWalker::ept_leaf_done(Slot& s) {
  const arch::TranslationContext& ctx = s.req.ctx;
  const std::uint64_t e = s.eentry;
  const unsigned level = s.ept_level;
  const arch::PageSize size = arch::ept::leaf_size(level);
  const std::uint64_t mask = arch::page_bytes(size) - 1;
  const bool ept_ad = arch::ept::eptp::ad_enabled(ctx.eptp);
  const bool set_ad = ept_ad && ctx.ad_updates;
  s.host.hpa = arch::ept::leaf_frame(e, level, ctx.maxphyaddr) | (s.gpa & mask);
  s.host.size = size;
  s.host.perms = ept_perms(s.rwx);
  s.host.leaf = e;
  s.host.leaf_level = level;
  s.host.dirty = !ept_ad || ((set_ad ? (e | s.e_want) : e) & arch::ept::kD) != 0;
  NestedTlbEntry fill;
  fill.gpa = s.gpa & ~mask;
  fill.hpa = s.host.hpa & ~mask;
  fill.size = size;
  fill.vmid = ctx.vmid;
  fill.dirty = s.host.dirty;
  fill.perms = s.host.perms;
  ntlb_fills_.push_back(fill);
  gpa_resolved(s);
}

void CycleWalker::gpa_resolved(Slot& s) {
  if (s.for_level == 0) {
    finish(s);
    return;
  }
  s.entry_hpa = s.host.hpa;
  s.table_perms = s.host.perms;
  s.table_ept_level = s.host.leaf_level;
  request(s, WState::W_GREQ, RefTarget::kGuestEntry, s.level, s.entry_hpa, MemOp::kRead, 0);
}

void CycleWalker::gchk(Slot& s) {
  const arch::TranslationContext& ctx = s.req.ctx;
  const arch::Access& a = s.req.access;
  const std::uint64_t e = s.gentry;
  const unsigned level = s.level;
  if (!arch::pte::present(e)) {
    fault(s, FaultKind::kGuestPageFault, FaultStage::kGuestTable, level, pf_code(a, 0), a.va, 0);
    return;
  }
  if (arch::pte::has_reserved(e, level, ctx.maxphyaddr)) {
    fault(s, FaultKind::kGuestPageFault, FaultStage::kGuestTable, level,
          pf_code(a, arch::pf::kP | arch::pf::kRsvd), a.va, 0);
    return;
  }
  s.g_w = s.g_w && arch::pte::writable(e);
  s.g_u = s.g_u && arch::pte::user(e);
  s.g_x = s.g_x && !arch::pte::exec_disable(e);
  const bool leaf = arch::pte::is_leaf(e, level);
  const bool is_write = a.type == AccessType::kWrite;
  if (leaf) {
    const bool denied = (a.user && !s.g_u) || (is_write && !s.g_w) ||
                        (a.type == AccessType::kExecute && !s.g_x);
    if (denied) {
      fault(s, FaultKind::kGuestPageFault, FaultStage::kFinal, level, pf_code(a, arch::pf::kP),
            a.va, 0);
      return;
    }
  }
  s.g_want = arch::pte::kA | ((leaf && is_write) ? arch::pte::kD : 0);
  if (ctx.ad_updates && (e & s.g_want) != s.g_want) {
    // The A/D update writes the guest table: the EPT must allow it.
    if (!s.table_perms.w) {
      fault(s, FaultKind::kEptViolation, FaultStage::kGuestTable, s.table_ept_level,
            arch::eptq::kWrite | arch::eptq::kGvaValid |
                (s.table_perms.r ? arch::eptq::kReadable : 0) |
                (s.table_perms.x ? arch::eptq::kExecutable : 0),
            a.va, s.entry_gpa);
      return;
    }
    request(s, WState::W_GAD_REQ, RefTarget::kGuestEntry, level, s.entry_hpa, MemOp::kSetBits,
            s.g_want);
    return;
  }
  guest_continue(s);
}

void CycleWalker::guest_continue(Slot& s) {
  const arch::TranslationContext& ctx = s.req.ctx;
  const arch::gva_t va = s.req.access.va;
  arch::TranslationResult& r = s.resp.result;
  const std::uint64_t e = s.gentry;
  const unsigned level = s.level;
  if (arch::pte::is_leaf(e, level)) {
    r.guest_size = arch::pte::leaf_size(level);
    r.gpa = arch::pte::leaf_frame(e, level, ctx.maxphyaddr) |
            (va & (arch::page_bytes(r.guest_size) - 1));
    r.guest_leaf = e;
    r.global = arch::pte::global(e);
    s.g_dirty = ((ctx.ad_updates ? (e | s.g_want) : e) & arch::pte::kD) != 0;
    if (arch::is_virtualized(ctx.mode)) {
      start_gpa(s, r.gpa, 0);
    } else {
      finish(s);
    }
    return;
  }
  s.table = arch::pte::next_table(e, ctx.maxphyaddr);
  if (level >= 2)
    pwc_fills_.push_back(
        PwcFill{level, va, ctx.vmid, ctx.pcid, s.table, arch::Perms{true, s.g_w, s.g_x, s.g_u}});
  --s.level;
  guest_entry(s);
}

void CycleWalker::finish(Slot& s) {
  arch::TranslationResult& r = s.resp.result;
  if (!arch::is_virtualized(s.req.ctx.mode)) {
    r.hpa = r.gpa;
    r.host_size = arch::PageSize::k1G;
    r.size = r.guest_size;
    r.perms = arch::Perms{true, s.g_w, s.g_x, s.g_u};
    r.dirty = s.g_w && s.g_dirty;
  } else {
    r.hpa = s.host.hpa;
    r.host_size = s.host.size;
    r.ept_leaf = s.host.leaf;
    r.size = arch::min_size(r.guest_size, r.host_size);
    r.perms = arch::Perms{s.host.perms.r, s.g_w && s.host.perms.w, s.g_x && s.host.perms.x, s.g_u};
    r.dirty = r.perms.w && s.g_dirty && s.host.dirty;
  }
  s.state = WState::W_DONE;
}

void CycleWalker::fault(Slot& s, FaultKind kind, FaultStage stage, unsigned level,
                        std::uint32_t code, std::uint64_t gva, std::uint64_t gpa) {
  arch::Fault& f = s.resp.result.fault;
  f.kind = kind;
  f.stage = stage;
  f.level = static_cast<std::uint8_t>(level);
  f.code = code;
  f.gva = gva;
  f.gpa = gpa;
  s.state = WState::W_FAULT;
}

void CycleWalker::request(Slot& s, WState next, RefTarget target, unsigned level,
                          std::uint64_t addr, MemOp op, std::uint64_t data) {
  s.mem_target = target;
  s.mem_level = level;
  s.mem_addr = addr;
  s.mem_op = op;
  s.mem_data = data;
  s.state = next;
}

// ---- outputs of the next cycle --------------------------------------------------------------------

void CycleWalker::write_outputs() {
  const unsigned n = static_cast<unsigned>(slots_.size());
  bool any_idle = false;
  presented_ = -1;
  for (unsigned i = 0; i < n; ++i) {
    const WState st = slots_[i].state;
    slot_state[i].write(static_cast<std::uint32_t>(st));
    any_idle = any_idle || st == WState::W_IDLE;
    if (presented_ < 0 && is_final(st)) presented_ = static_cast<int>(i);
  }
  req_ready.write(any_idle);

  resp_valid.write(presented_ >= 0);
  if (presented_ >= 0) {
    const Slot& s = slots_[static_cast<unsigned>(presented_)];
    const arch::TranslationResult& r = s.resp.result;
    resp_id.write(static_cast<std::uint32_t>(s.req.id & 0xffff));
    resp_slot.write(static_cast<std::uint32_t>(presented_));
    resp_hpa.write(r.hpa);
    resp_gpa.write(r.gpa);
    resp_size.write(static_cast<std::uint32_t>(r.size));
    resp_guest_size.write(static_cast<std::uint32_t>(r.guest_size));
    resp_host_size.write(static_cast<std::uint32_t>(r.host_size));
    resp_perms.write(perm_bits(r.perms));
    resp_global.write(r.global);
    resp_dirty.write(r.dirty);
    resp_guest_seg_hit.write(r.guest_seg_hit);
    resp_vmm_seg_hit.write(r.vmm_seg_hit);
    resp_filter_hits.write(r.filter_hits);
    resp_fault_kind.write(static_cast<std::uint32_t>(r.fault.kind));
    resp_fault_stage.write(static_cast<std::uint32_t>(r.fault.stage));
    resp_fault_level.write(r.fault.level);
    resp_fault_code.write(r.fault.code);
    resp_fault_gva.write(r.fault.gva);
    resp_fault_gpa.write(r.fault.gpa);
  }

  // Arbiter: the first slot in a *_REQ state after the one granted last.
  driving_ = -1;
  for (unsigned k = 1; k <= n; ++k) {
    const unsigned i = (last_granted_ + k) % n;
    if (is_mem_request(slots_[i].state)) {
      driving_ = static_cast<int>(i);
      break;
    }
  }
  mem_req_valid.write(driving_ >= 0);
  if (driving_ >= 0) {
    const Slot& s = slots_[static_cast<unsigned>(driving_)];
    mem_req_tag.write(static_cast<std::uint32_t>(driving_));
    mem_req_addr.write(s.mem_addr);
    mem_req_op.write(static_cast<std::uint32_t>(s.mem_op));
    mem_req_data.write(s.mem_data);
    mem_req_target.write(static_cast<std::uint32_t>(s.mem_target));
    mem_req_level.write(s.mem_level);
    mem_req_for_level.write(s.mem_target == RefTarget::kGuestEntry ? s.mem_level : s.for_level);
  }

  // Front end: the next request and invalidation (submitted before this edge), resp_ready.
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  req_driven_ = !queue_.empty() && queue_.front().submitted < now;
  req_valid.write(req_driven_);
  if (req_driven_) {
    const WalkRequest& q = queue_.front().req;
    req_id.write(static_cast<std::uint32_t>(q.id & 0xffff));
    req_va.write(q.access.va);
    req_type.write(static_cast<std::uint32_t>(q.access.type));
    req_user.write(q.access.user);
  }
  inv_driven_ = !inv_queue_.empty() && inv_queue_.front().issued < now;
  inv_valid.write(inv_driven_);
  if (inv_driven_) {
    const arch::Invalidation& inv = inv_queue_.front().inv;
    inv_op.write(static_cast<std::uint32_t>(inv.op));
    inv_addr.write(inv.addr);
    inv_pcid.write(inv.pcid);
    inv_vmid.write(inv.vmid);
  }
  resp_ready.write(config_.resp_stall_percent == 0 ||
                   rng_() % 100 >= config_.resp_stall_percent);
  req_accepts.write(accepts_);
  resp_taken.write(taken_);
}

// ---- tracing --------------------------------------------------------------------------------------

void CycleWalker::trace(sc_core::sc_trace_file* tf, const std::string& prefix) const {
  if (tf == nullptr) return;
  const auto t = [&](const auto& sig, const char* n) { sc_core::sc_trace(tf, sig, prefix + "." + n); };
  t(clk, "clk");
  t(rst_ni, "rst_ni");
  t(req_valid, "req_valid");
  t(req_ready, "req_ready");
  t(req_id, "req_id");
  t(req_va, "req_va");
  t(req_type, "req_type");
  t(req_user, "req_user");
  t(req_accepts, "req_accepts");
  t(resp_valid, "resp_valid");
  t(resp_ready, "resp_ready");
  t(resp_id, "resp_id");
  t(resp_slot, "resp_slot");
  t(resp_hpa, "resp_hpa");
  t(resp_gpa, "resp_gpa");
  t(resp_size, "resp_size");
  t(resp_guest_size, "resp_guest_size");
  t(resp_host_size, "resp_host_size");
  t(resp_perms, "resp_perms");
  t(resp_global, "resp_global");
  t(resp_dirty, "resp_dirty");
  t(resp_guest_seg_hit, "resp_guest_seg_hit");
  t(resp_vmm_seg_hit, "resp_vmm_seg_hit");
  t(resp_filter_hits, "resp_filter_hits");
  t(resp_fault_kind, "resp_fault_kind");
  t(resp_fault_stage, "resp_fault_stage");
  t(resp_fault_level, "resp_fault_level");
  t(resp_fault_code, "resp_fault_code");
  t(resp_fault_gva, "resp_fault_gva");
  t(resp_fault_gpa, "resp_fault_gpa");
  t(resp_taken, "resp_taken");
  t(inv_valid, "inv_valid");
  t(inv_op, "inv_op");
  t(inv_addr, "inv_addr");
  t(inv_pcid, "inv_pcid");
  t(inv_vmid, "inv_vmid");
  t(mem_req_valid, "mem_req_valid");
  t(mem_req_ready, "mem_req_ready");
  t(mem_req_tag, "mem_req_tag");
  t(mem_req_addr, "mem_req_addr");
  t(mem_req_op, "mem_req_op");
  t(mem_req_data, "mem_req_data");
  t(mem_req_target, "mem_req_target");
  t(mem_req_level, "mem_req_level");
  t(mem_req_for_level, "mem_req_for_level");
  t(mem_resp_valid, "mem_resp_valid");
  t(mem_resp_tag, "mem_resp_tag");
  t(mem_resp_data, "mem_resp_data");
  t(mem_resp_err, "mem_resp_err");
  for (unsigned i = 0; i < slot_state.size(); ++i)
    sc_core::sc_trace(tf, slot_state[i], fmt::format("{}.slot{}_state", prefix, i));
}

}  // namespace mmuvp::tlm
