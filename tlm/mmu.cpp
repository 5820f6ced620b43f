#include "tlm/mmu.h"

#include <fmt/format.h>

#include <cstring>
#include <stdexcept>

namespace mmuvp::tlm {

namespace {

const MmuConfig& validated(const MmuConfig& c) {
  c.tlb.validate();
  if (c.clock_period == sc_core::SC_ZERO_TIME)
    throw std::invalid_argument("MmuConfig.clock_period: must be positive");
  return c;
}

}  // namespace

Mmu::Mmu(sc_core::sc_module_name name, const MmuConfig& config)
    : sc_module(name),
      cpu_socket("cpu_socket"),
      mmio_socket("mmio_socket"),
      data_socket("data_socket"),
      cpu_port_(*this),
      config_(validated(config)),
      period_ps_(config.clock_period.value()),
      l2_time_(sc_core::sc_time::from_value(config.l2_tlb_latency * period_ps_)),
      walk_issue_(sc_core::sc_time::from_value(
          (config.l2_tlb_latency - (config.l2_tlb_latency > 0 ? 1 : 0)) * period_ps_)),
      regs_(config.params),
      tlb_(config.tlb) {
  cpu_socket.bind(cpu_port_);
  mmio_socket.register_b_transport(this, &Mmu::mmio_b_transport);
  mmio_socket.register_transport_dbg(this, &Mmu::mmio_transport_dbg);
  regs_.on_invalidate = [this](const arch::Invalidation& inv) {
    ++counters_.invalidations;
    tlb_.invalidate(inv);
    if (walker_ != nullptr) walker_->invalidate(inv);
  };
}

void Mmu::fill(const arch::Access& access, const arch::TranslationContext& ctx,
               const arch::TranslationResult& r) {
  tlb_.fill(tlb_entry_for(ctx, access.va, r));
}

arch::hpa_t Mmu::translate_beyond_l1(const arch::Access& access, const TlbEntry* l1,
                                     TranslateAttr& attr, sc_core::sc_time& delay) {
  const arch::TranslationContext& ctx = regs_.context();
  if (l1 != nullptr) {
    ++counters_.denied_hits;  // found in L1 but not permitting: walk
  } else if (arch::is_canonical(access.va)) {
    const TlbEntry* e2 = tlb_.l2().lookup(access.va, ctx.vmid, ctx.pcid, access.type);
    if (e2 != nullptr && permits(*e2, access.type, access.user)) {
      ++counters_.l2_hits;
      tlb_.l1().fill(*e2);
      attr.tlb_level = TlbHitLevel::kL2;
      attr.translation_time = l2_time_;
      delay += l2_time_;
      if (hit_observer_ != nullptr && *hit_observer_)
        (*hit_observer_)(config_.core, ctx, access, nullptr, nullptr, e2);
      return e2->translate(access.va);
    }
    counters_.denied_hits += e2 != nullptr ? 1 : 0;
  }

  // Walk. Its first cycle overlaps the L2 lookup.
  const sc_core::sc_time start = sc_core::sc_time_stamp() + delay;
  delay += walk_issue_;
  req_.id = next_id_++;
  req_.ctx = ctx;
  req_.access = access;
  ++counters_.walks;
  const WalkResponse& resp = walker_->walk(req_, delay);
  attr.tlb_level = TlbHitLevel::kMiss;
  attr.translation_time = sc_core::sc_time_stamp() + delay - start;
  const arch::TranslationResult& r = resp.result;
  if (r.ok()) fill(access, ctx, r);
  if (observer_ != nullptr && *observer_)
    (*observer_)(config_.core, ctx, access, &req_, &resp, nullptr);
  if (!r.ok()) {
    ++counters_.faults;
    regs_.record_fault(r.fault);
    attr.fault = r.fault;
    return 0;
  }
  return r.hpa;
}

void Mmu::observe_l1_hit(const arch::Access& access, const TlbEntry& e) {
  (*hit_observer_)(config_.core, regs_.context(), access, nullptr, nullptr, &e);
}

void Mmu::refuse(::tlm::tlm_generic_payload& trans) {
  trans.set_response_status(::tlm::TLM_GENERIC_ERROR_RESPONSE);
}

void Mmu::end_of_elaboration() { data_fw_ = data_socket.operator->(); }

void Mmu::mmio_b_transport(::tlm::tlm_generic_payload& trans, sc_core::sc_time&) {
  const std::uint64_t offset = trans.get_address();
  if (trans.get_byte_enable_ptr() != nullptr) {
    trans.set_response_status(::tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  } else if (trans.get_data_length() != arch::regs::kRegBytes ||
             trans.get_streaming_width() != arch::regs::kRegBytes ||
             trans.get_data_ptr() == nullptr) {
    trans.set_response_status(::tlm::TLM_BURST_ERROR_RESPONSE);
  } else if (offset > UINT32_MAX) {
    // Offsets inside 32 bits go to the register block, which records kBadOffset for unknown or
    // misaligned ones (as tb/direct_bus.h does).
    trans.set_response_status(::tlm::TLM_ADDRESS_ERROR_RESPONSE);
  } else if (trans.is_read()) {
    ++counters_.mmio_reads;
    const std::uint64_t v = regs_.read(static_cast<std::uint32_t>(offset));
    std::memcpy(trans.get_data_ptr(), &v, sizeof v);
    trans.set_response_status(::tlm::TLM_OK_RESPONSE);
    return;
  } else if (trans.is_write()) {
    ++counters_.mmio_writes;
    std::uint64_t v = 0;
    std::memcpy(&v, trans.get_data_ptr(), sizeof v);
    const arch::regs::RegStatus s = regs_.write(static_cast<std::uint32_t>(offset), v);
    if (MmioWriteStatus* st = trans.get_extension<MmioWriteStatus>()) st->status = s;
    trans.set_response_status(::tlm::TLM_OK_RESPONSE);
    return;
  } else {
    trans.set_response_status(::tlm::TLM_COMMAND_ERROR_RESPONSE);
  }
  ++counters_.mmio_errors;
}

unsigned int Mmu::mmio_transport_dbg(::tlm::tlm_generic_payload& trans) {
  // Side-effect-free register reads: a copy of the block answers (unknown offsets would otherwise
  // record kBadOffset in STATUS).
  const std::uint64_t offset = trans.get_address();
  if (!trans.is_read() || trans.get_data_length() != arch::regs::kRegBytes ||
      trans.get_data_ptr() == nullptr || offset > UINT32_MAX)
    return 0;
  arch::RegisterBlock copy(regs_);
  const std::uint64_t v = copy.read(static_cast<std::uint32_t>(offset));
  std::memcpy(trans.get_data_ptr(), &v, sizeof v);
  trans.set_response_status(::tlm::TLM_OK_RESPONSE);
  return arch::regs::kRegBytes;
}

}  // namespace mmuvp::tlm
