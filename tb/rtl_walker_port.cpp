// The Verilated RTL walker as the platform's walker (rtl_walker_port.h).
#include "tb/rtl_walker_port.h"

#include <fmt/format.h>

#include <stdexcept>
#include <string>

#include "arch/escape_filter.h"
#include "arch/mmu_regs.h"
#include "tb/rtl_walker_sc.h"
#include "tlm/mem_port_bridge.h"

namespace mmuvp::tb {

namespace {

namespace regs = arch::regs;

// walker_top's parameters as Verilated (rtl/CMakeLists.txt builds the defaults).
constexpr unsigned kRtlSlots = 2;
constexpr unsigned kRtlMaxPhyAddr = 52;
constexpr unsigned kRtlFilterBits = arch::kFilterDefaultBits;
constexpr unsigned kRtlFilterHashes = arch::kFilterDefaultHashes;

bool same(const tlm::Geometry& a, const tlm::Geometry& b) {
  return a.entries == b.entries && a.ways == b.ways;
}

tlm::MemPortBridgeConfig bridge_config(const tlm::WalkerSetup& s) {
  tlm::MemPortBridgeConfig c;
  c.clock_period = s.clock_period;
  c.core = static_cast<std::uint16_t>(s.core);
  return c;
}

class RtlWalkerPort final : public sc_core::sc_module, public tlm::WalkerPort {
 public:
  RtlWalkerPort(sc_core::sc_module_name name, const tlm::WalkerSetup& s,
                const RtlWalkerPortOptions& o)
      : sc_module(name),
        clk_("clk", s.clock_period),
        wires_(std::string(basename()) + "_mem"),
        rtl_("rtl", RtlWalkerScConfig{0, 1, o.fst_path, s.clock_period}),
        bridge_("bridge", bridge_config(s)),
        shadow_filter_(kRtlFilterBits, kRtlFilterHashes),
        escaped_frames_(o.escaped_frames) {
    rtl_.clk(clk_);
    bridge_.clk(clk_);
    wires_.bind_walker(rtl_);
    wires_.bind_bridge(bridge_);
  }

  const tlm::WalkResponse& walk(const tlm::WalkRequest& request, sc_core::sc_time& delay) override {
    if (delay != sc_core::SC_ZERO_TIME) {
      sc_core::wait(delay);
      delay = sc_core::SC_ZERO_TIME;
    }
    // The previous walk's response was taken at an edge; the queues drain by the next one.
    while (!rtl_.idle()) sc_core::wait(rtl_.response_event() | clk_.posedge_event());
    program(request.ctx);
    rtl_.submit(request);
    for (;;) {
      sc_core::wait(rtl_.response_event());
      if (rtl_.pop_response(response_)) break;
    }
    if (response_.id != request.id)
      throw std::runtime_error(fmt::format("{}: response to request {} while waiting for {}",
                                           name(), response_.id, request.id));
    return response_;
  }
  void invalidate(const arch::Invalidation& inv) override { rtl_.invalidate(inv); }
  ::tlm::tlm_initiator_socket<>& memory_socket() override { return bridge_.socket; }
  const tlm::WalkerStats& stats() const override { return rtl_.stats(); }
  const tlm::PwcCounters& pwc_counters() const override { return rtl_.pwc_counters(); }
  const tlm::NestedTlbCounters& ntlb_counters() const override { return rtl_.ntlb_counters(); }
  void trace(sc_core::sc_trace_file* tf) override {
    const std::string prefix = name();
    sc_core::sc_trace(tf, clk_, prefix + ".clk");
    wires_.trace(tf, prefix + ".mem");
  }

 private:
  void write(std::uint32_t offset, std::uint64_t value) {
    const regs::RegStatus st = rtl_.write_reg_now(offset, value);
    if (st != regs::RegStatus::kOk)
      throw std::runtime_error(fmt::format("{}: the RTL register block refused {:#x} = {:#x}: {}",
                                           name(), offset, value, regs::to_string(st)));
  }

  // Writes the registers whose committed value differs from `c` (the first call writes all).
  void program(const arch::TranslationContext& c) {
    const bool all = !programmed_;
    const arch::TranslationContext& p = ctx_;
    if (c.maxphyaddr != kRtlMaxPhyAddr)
      throw std::runtime_error(fmt::format("{}: MAXPHYADDR {}: the RTL walker is built for {}",
                                           name(), c.maxphyaddr, kRtlMaxPhyAddr));
    if (all || c.ad_updates != p.ad_updates)
      write(regs::kConfig, regs::put(regs::field::kConfigAd, c.ad_updates ? 1 : 0) |
                               regs::put(regs::field::kConfigMaxPhy, kRtlMaxPhyAddr));
    if (all || c.mode != p.mode) write(regs::kMode, static_cast<std::uint64_t>(c.mode));
    if (all || c.cr3 != p.cr3) write(regs::kCr3, c.cr3);
    if (all || c.pcid != p.pcid) write(regs::kPcid, c.pcid);
    if (all || c.eptp != p.eptp) write(regs::kEptp, c.eptp);
    if (all || c.vmid != p.vmid) write(regs::kVmid, c.vmid);
    const bool guest = all || !same(c.guest_seg, p.guest_seg);
    const bool vmm = all || !same(c.vmm_seg, p.vmm_seg);
    if (guest) {
      write(regs::kBaseG, c.guest_seg.base);
      write(regs::kLimitG, c.guest_seg.limit);
      write(regs::kOffsetG, c.guest_seg.offset);
    }
    if (vmm) {
      write(regs::kBaseV, c.vmm_seg.base);
      write(regs::kLimitV, c.vmm_seg.limit);
      write(regs::kOffsetV, c.vmm_seg.offset);
    }
    if (guest || vmm)
      write(regs::kSegCommit, regs::put(regs::field::kCommitGuest, guest ? 1 : 0) |
                                  regs::put(regs::field::kCommitVmm, vmm ? 1 : 0));
    program_filter(c.filter);
    ctx_ = c;
    programmed_ = true;
  }

  static bool same(const arch::Segment& a, const arch::Segment& b) {
    return a.base == b.base && a.limit == b.limit && a.offset == b.offset;
  }

  void program_filter(const arch::EscapeFilter* f) {
    const bool want_empty = f == nullptr || f->empty();
    if (want_empty ? shadow_filter_.empty()
                   : (!shadow_filter_.empty() && shadow_filter_.words() == f->words()))
      return;
    if (f != nullptr && (f->bits() != kRtlFilterBits || f->hashes() != kRtlFilterHashes))
      throw std::runtime_error(fmt::format("{}: escape filter m={} k={}: the RTL walker is built "
                                           "with m={} k={}", name(), f->bits(), f->hashes(),
                                           kRtlFilterBits, kRtlFilterHashes));
    write(regs::kFilterCtrl, regs::put(regs::field::kFilterClear, 1));
    shadow_filter_.clear();
    if (!want_empty && escaped_frames_) {
      for (const std::uint64_t frame : escaped_frames_()) {
        if (f->maybe_contains(frame)) {  // frames the MMU's filter holds (a subset suffices)
          write(regs::kFilterAdd, frame);
          shadow_filter_.add(frame);
        }
      }
    }
    if (want_empty ? !shadow_filter_.empty() : shadow_filter_.words() != f->words())
      throw std::runtime_error(fmt::format("{}: the RTL's escape filter cannot be made equal to "
                                           "the MMU's from the escaped frames", name()));
  }

  sc_core::sc_clock clk_;
  tlm::MemPortSignals wires_;
  RtlWalkerSc rtl_;
  tlm::MemPortBridge bridge_;
  tlm::WalkResponse response_;
  arch::TranslationContext ctx_;  // what the RTL's registers hold
  bool programmed_ = false;
  arch::EscapeFilter shadow_filter_;  // what the RTL's filter holds
  std::function<std::vector<std::uint64_t>()> escaped_frames_;
};

}  // namespace

std::string rtl_walker_unsupported(const tlm::WalkerSetup& s) {
  if (s.walk_slots != kRtlSlots)
    return fmt::format("--walk-slots {}: the RTL walker is built with {} slots", s.walk_slots,
                       kRtlSlots);
  const tlm::PwcConfig pwc;
  const tlm::NestedTlbConfig ntlb;
  if (!same(s.pwc.pml4, pwc.pml4) || !same(s.pwc.pdpt, pwc.pdpt) || !same(s.pwc.pd, pwc.pd) ||
      !same(s.ntlb.geometry, ntlb.geometry) || !(s.ntlb.sizes == ntlb.sizes))
    return "the RTL walker is built with the default paging-structure cache and nested TLB "
           "(no --no-pwc or other geometries)";
  if (s.registers != nullptr) {
    const arch::TranslationContext& c = s.registers->context();
    if (c.maxphyaddr != kRtlMaxPhyAddr)
      return fmt::format("MAXPHYADDR {}: the RTL walker is built for {}", c.maxphyaddr,
                         kRtlMaxPhyAddr);
    const arch::EscapeFilter& f = s.registers->filter();
    if (f.bits() != kRtlFilterBits || f.hashes() != kRtlFilterHashes)
      return fmt::format("escape filter m={} k={}: the RTL walker is built with m={} k={}",
                         f.bits(), f.hashes(), kRtlFilterBits, kRtlFilterHashes);
  }
  return "";
}

std::unique_ptr<tlm::WalkerPort> make_rtl_walker(const tlm::WalkerSetup& setup,
                                                 const RtlWalkerPortOptions& options) {
  const std::string why = rtl_walker_unsupported(setup);
  if (!why.empty()) throw std::invalid_argument(why);
  return std::make_unique<RtlWalkerPort>(setup.name, setup, options);
}

}  // namespace mmuvp::tb
