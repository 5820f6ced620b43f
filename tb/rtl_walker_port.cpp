// The Verilated RTL walker as the platform's walker (rtl_walker_port.h).
#include "tb/rtl_walker_port.h"

#include <fmt/format.h>

#include <stdexcept>
#include <string>

#include "arch/escape_filter.h"
#include "arch/mmu_regs.h"
#include "tb/rtl_register_mirror.h"
#include "tb/rtl_walker_sc.h"
#include "tlm/mem_port_bridge.h"

namespace mmuvp::tb {

namespace {

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
        mirror_(std::string(basename()),
                [this](std::uint32_t offset, std::uint64_t value) {
                  return rtl_.write_reg_now(offset, value);
                },
                o.escaped_frames) {
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
    mirror_.program(request.ctx);  // zero time: no walk of this core is in flight
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
  sc_core::sc_clock clk_;
  tlm::MemPortSignals wires_;
  RtlWalkerSc rtl_;
  tlm::MemPortBridge bridge_;
  RtlRegisterMirror mirror_;
  tlm::WalkResponse response_;
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
