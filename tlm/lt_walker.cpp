#include "tlm/lt_walker.h"

#include <stdexcept>

#include "tlm/memory_system.h"

namespace mmuvp::tlm {

namespace {
const WalkerSetup& checked(const WalkerSetup& s) {
  if (s.clock_period == sc_core::SC_ZERO_TIME)
    throw std::invalid_argument("WalkerSetup.clock_period: must be positive");
  return s;
}
}  // namespace

LtWalker::LtWalker(sc_core::sc_module_name name, const WalkerSetup& setup)
    : sc_module(name),
      mem_socket("mem_socket"),
      setup_(checked(setup)),
      period_ps_(setup.clock_period.value()),
      inv_period_(1.0 / static_cast<double>(period_ps_)),
      caches_(setup.pwc, setup.ntlb),
      memory_(*this),
      golden_(memory_),
      sig_busy_("busy"),
      sig_va_("va"),
      sig_hpa_("hpa"),
      sig_ref_addr_("ref_addr"),
      sig_refs_("refs"),
      sig_fault_("fault"),
      sig_id_("id") {
  attr_ = new MemAttr;
  attr_->who = Initiator::kWalker;
  attr_->core = static_cast<std::uint16_t>(setup.core);
  trans_.set_extension(attr_);  // owned by trans_
  trans_.set_data_ptr(reinterpret_cast<unsigned char*>(&buf_));
  trans_.set_data_length(kEntryBytes);
  trans_.set_streaming_width(kEntryBytes);
  trans_.set_byte_enable_ptr(nullptr);
}

bool LtWalker::transact(::tlm::tlm_command cmd, std::uint64_t pa, bool set_bits) {
  trans_.set_command(cmd);
  trans_.set_address(pa);
  trans_.set_response_status(::tlm::TLM_INCOMPLETE_RESPONSE);
  attr_->set_bits = set_bits;
  sc_core::sc_time t = sc_core::SC_ZERO_TIME;
  mem_socket->b_transport(trans_, t);
  // The cache model's latency in cycles, + the request cycle, + the check cycle of a read (an A/D
  // update goes on with the walk as its response arrives).
  constexpr std::uint64_t kReadExtraCycles = 2;
  constexpr std::uint64_t kSetBitsExtraCycles = 1;
  const std::uint64_t cycles =
      static_cast<std::uint64_t>(static_cast<double>(t.value()) * inv_period_ + 0.5) +
      (set_bits ? kSetBitsExtraCycles : kReadExtraCycles);
  ref_cycles_ += cycles;
  if (tracing_) {
    sig_ref_addr_.write(pa);
    sc_core::wait(sc_core::sc_time::from_value(cycles * period_ps_));
    traced_cycles_ += cycles;
  }
  return trans_.get_response_status() == ::tlm::TLM_OK_RESPONSE;
}

bool LtWalker::read(std::uint64_t pa, std::uint64_t& value) {
  if (!transact(::tlm::TLM_READ_COMMAND, pa, false)) {
    value = 0;
    resp_.values.push(0);
    return false;
  }
  value = buf_;
  resp_.values.push(value);
  last_pa_ = pa;
  last_value_ = value;
  return true;
}

bool LtWalker::set(std::uint64_t pa, std::uint64_t value) {
  // Golden writes only A/D updates of the entry it has just read: send the new bits as a locked OR.
  buf_ = pa == last_pa_ ? value & ~last_value_ : value;
  if (!transact(::tlm::TLM_WRITE_COMMAND, pa, true)) {
    resp_.values.push(0);
    return false;
  }
  resp_.values.push(buf_);  // the entry before the OR
  last_value_ = buf_ | value;
  return true;
}

const WalkResponse& LtWalker::walk(const WalkRequest& request, sc_core::sc_time& delay) {
  if (tracing_) {
    sc_core::wait(delay);
    delay = sc_core::SC_ZERO_TIME;
    sig_busy_.write(true);
    sig_va_.write(request.access.va);
    sig_id_.write(request.id);
    traced_cycles_ = 0;
  }
  resp_.id = request.id;
  resp_.slot = 0;
  resp_.values.clear();
  ref_cycles_ = 0;
  last_pa_ = ~0ull;
  const std::uint64_t pwc_before = caches_.pwc().counters().lookups;
  const std::uint64_t pwc_hits_before = caches_.pwc().counters().hits;
  const std::uint64_t ntlb_before = caches_.ntlb().counters().lookups;
  const std::uint64_t ntlb_hits_before = caches_.ntlb().counters().hits;

  caches_.begin_walk(&resp_.caches);
  resp_.result = golden_.translate(request.ctx, request.access, &caches_);
  caches_.begin_walk(nullptr);

  const std::uint64_t pwc = caches_.pwc().counters().lookups - pwc_before;
  const std::uint64_t ntlb = caches_.ntlb().counters().lookups - ntlb_before;
  std::uint64_t hseg = 0;
  if (arch::is_virtualized(request.ctx.mode)) {
    hseg = ntlb;
    for (const arch::SegmentAdd& a : resp_.result.adds)
      hseg += a.seg == arch::SegmentKind::kVmm ? 1 : 0;
  }
  constexpr std::uint64_t kSegCycles = 1;       // SEG
  constexpr std::uint64_t kResponseCycles = 1;  // DONE / FAULT
  resp_.cycles = kSegCycles + pwc + hseg + ntlb + ref_cycles_ + kResponseCycles;
  stats_.count(resp_);
  stats_.pwc_lookups += pwc;
  stats_.pwc_hits += caches_.pwc().counters().hits - pwc_hits_before;
  stats_.ntlb_lookups += ntlb;
  stats_.ntlb_hits += caches_.ntlb().counters().hits - ntlb_hits_before;

  if (tracing_) {
    sc_core::wait(sc_core::sc_time::from_value((resp_.cycles - traced_cycles_) * period_ps_));
    sig_busy_.write(false);
    sig_hpa_.write(resp_.result.hpa);
    sig_refs_.write(static_cast<std::uint32_t>(resp_.result.refs.size()));
    sig_fault_.write(static_cast<std::uint32_t>(resp_.result.fault.kind));
  } else {
    delay += sc_core::sc_time::from_value(resp_.cycles * period_ps_);
  }
  return resp_;
}

void LtWalker::trace(sc_core::sc_trace_file* tf) {
  if (tf == nullptr) return;
  tracing_ = true;
  const std::string p = name();
  sc_core::sc_trace(tf, sig_busy_, p + ".busy");
  sc_core::sc_trace(tf, sig_id_, p + ".req_id");
  sc_core::sc_trace(tf, sig_va_, p + ".req_va");
  sc_core::sc_trace(tf, sig_ref_addr_, p + ".mem_req_addr");
  sc_core::sc_trace(tf, sig_hpa_, p + ".resp_hpa");
  sc_core::sc_trace(tf, sig_refs_, p + ".resp_refs");
  sc_core::sc_trace(tf, sig_fault_, p + ".resp_fault_kind");
}

std::unique_ptr<WalkerPort> make_lt_walker(const WalkerSetup& setup) {
  return std::make_unique<LtWalker>(setup.name, setup);
}

}  // namespace mmuvp::tlm
