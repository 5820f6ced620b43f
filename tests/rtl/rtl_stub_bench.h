// A stub-built machine driving the Verilated walker through the test harness (rtl_walker_harness.h)
// with every response checked by tlm::TranslationChecker, and a randomized stimulus that reaches
// every state of the walk FSM and every fault kind: random accesses in the scenario's region, holes,
// non-canonical addresses, EPT entries edited into violations and misconfigurations, escaped
// frames, a CR3 beyond memory (memory errors), invalidations racing with walks, random latency and
// back-pressure. Shared by the waveform test and the injected-bug test. Header-only.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "arch/ept.h"
#include "arch/golden_translator.h"
#include "arch/mmu_regs.h"
#include "arch/pte.h"
#include "sw-stub/machine_bus.h"
#include "sw-stub/scenario.h"
#include "tb/direct_bus.h"
#include "tests/rtl/rtl_walker_harness.h"
#include "tlm/translation_checker.h"

namespace mmuvp::rtltest {

// The stub's bus, recording every MMIO write so that it can be replayed into the RTL.
class RecordingMmioBus final : public stub::MachineBus {
 public:
  struct Write {
    unsigned core;
    std::uint32_t offset;
    std::uint64_t value;
  };
  explicit RecordingMmioBus(stub::MachineBus& inner) : inner_(inner) {}
  std::uint64_t mem_read64(arch::hpa_t a) override { return inner_.mem_read64(a); }
  void mem_write64(arch::hpa_t a, std::uint64_t v) override { inner_.mem_write64(a, v); }
  std::uint64_t mmio_read(unsigned core, std::uint32_t offset) override {
    return inner_.mmio_read(core, offset);
  }
  arch::regs::RegStatus mmio_write(unsigned core, std::uint32_t offset,
                                   std::uint64_t v) override {
    writes.push_back({core, offset, v});
    return inner_.mmio_write(core, offset, v);
  }
  unsigned cores() const override { return inner_.cores(); }
  std::vector<Write> writes;

 private:
  stub::MachineBus& inner_;
};

// One randomized configuration of the regression.
struct StubCase {
  arch::Mode mode = arch::Mode::kNative;
  stub::PagePolicy guest = stub::PagePolicy::k4K;
  arch::PageSize host = arch::PageSize::k4K;
  bool ad = true;  // guest A/D write-back and EPT A/D
  unsigned accesses = 200;
  PortTiming timing;

  std::string name() const {
    return std::string(arch::to_string(mode)) + "/g" + std::string(stub::to_string(guest)) +
           "/h" + std::string(arch::to_string(host)) + (ad ? "/ad" : "/noad");
  }
};

// A stub-built machine, the RTL (its registers programmed by replaying the stub's writes to core 0
// into the RTL and a mirror register block) and the checker.
class StubBench {
 public:
  StubBench(const StubCase& c, const std::string& fst_path = "")
      : case_(c),
        bus_(machine_.bus),
        scenario_(bus_, config(c)),
        memory_(machine_.memory, kMemoryEnd),
        rtl_(memory_, mirror_, c.timing, fst_path),
        checker_(memory_),
        rng_(c.timing.seed) {
    replay();
  }

  RtlWalker& rtl() { return rtl_; }
  tlm::TranslationChecker& checker() { return checker_; }
  stub::Scenario& scenario() { return scenario_; }
  arch::RegisterBlock& mirror() { return mirror_; }
  std::uint64_t checked() const { return checked_; }

  // Replays the stub's MMIO writes (core 0) not yet replayed.
  void replay() {
    for (; replayed_ < bus_.writes.size(); ++replayed_) {
      const RecordingMmioBus::Write& w = bus_.writes[replayed_];
      if (w.core != 0) continue;
      arch::regs::RegStatus cpp = arch::regs::RegStatus::kOk;
      if (rtl_.write_reg(w.offset, w.value, &cpp) != cpp) ++reg_disagree_;
    }
  }

  // The whole randomized stimulus: edits for faults and escapes, then the accesses in bursts with
  // invalidations between them, and a last burst with CR3 beyond memory. Returns false at the first
  // response the checker rejects or if a replayed register write got another status from the RTL
  // than from the C++ block (the report in `report`).
  bool run(std::string& report) {
    inject();
    if (reg_disagree_ != 0) {
      report = case_.name() + ": " + std::to_string(reg_disagree_) +
               " register writes answered differently by the RTL and the C++ register block";
      return false;
    }
    const stub::Range r = scenario_.region();
    std::uniform_int_distribution<std::uint64_t> off(0, (r.hi - r.lo) / 8 - 1);
    unsigned left = case_.accesses;
    while (left > 0) {
      const unsigned burst = std::min<unsigned>(left, 1 + static_cast<unsigned>(rng_() % 8));
      for (unsigned i = 0; i < burst; ++i) {
        arch::Access a{r.lo + 8 * off(rng_), static_cast<arch::AccessType>(rng_() % 3),
                       (rng_() & 3) != 0};
        switch (rng_() % 16) {
          case 0: a.va = rng_() & arch::bit_range(46, 3); break;          // mostly unmapped
          case 1: a.va = rng_() | (1ull << 50); break;                    // non-canonical
          case 2: a.va = r.hi + (rng_() & 0xfff8); break;                 // past the region
          case 3: a.va = targets_[rng_() % targets_.size()] + 8 * (rng_() % 8); break;
          default: break;
        }
        rtl_.submit(a);
      }
      left -= burst;
      for (unsigned c = static_cast<unsigned>(rng_() % 40); c > 0; --c) rtl_.step();
      if (rng_() % 4 == 0) invalidate();
      if (!drain_completed(report)) return false;
    }
    // Memory errors: CR3 (natively) or EPTP beyond the memory's end, written while the walker
    // is idle (a request waiting for a slot would otherwise see the new root with old cached
    // entries, which hardware may do but the golden full-walk check rejects).
    if (!rtl_.run_until_idle()) {
      report = "the walker did not finish";
      return false;
    }
    if (!drain_completed(report)) return false;
    const std::uint32_t reg =
        arch::is_virtualized(case_.mode) ? arch::regs::kEptp : arch::regs::kCr3;
    const std::uint64_t old = rtl_.read_reg(reg);
    rtl_.write_reg(reg, kMemoryEnd | (old & 0xfff));
    // Drop the cached entries so that the walks start at the root.
    rtl_.write_reg(arch::regs::kInvCmd,
                   arch::regs::put(arch::regs::field::kInvOp,
                                   static_cast<std::uint64_t>(arch::regs::InvOp::kFlushAll)));
    for (unsigned i = 0; i < 4; ++i) rtl_.submit({r.lo + 8 * off(rng_), arch::AccessType::kRead,
                                                  true});
    if (!rtl_.run_until_idle()) {
      report = "the walker did not finish";
      return false;
    }
    if (!drain_completed(report)) return false;
    rtl_.write_reg(reg, old);
    return true;
  }

 private:
  static constexpr std::uint64_t kMemoryEnd = 1ull << 40;

  static stub::ScenarioConfig config(const StubCase& c) {
    stub::ScenarioConfig s;
    s.mode = c.mode;
    s.guest_pages = c.guest;
    s.host_pages = c.host;
    s.footprint = c.guest == stub::PagePolicy::k1G ? (1ull << 30) : (16ull << 20);
    s.ad_updates = c.ad;
    s.ept_ad = c.ad;
    return s;
  }

  // Edits a few pages' entries so that walks to them fault in each way, and (in the VMM-segment
  // modes) retires host frames so that the filter escapes them; remembers the pages as targets.
  void inject() {
    const stub::Range r = scenario_.region();
    arch::GoldenTranslator golden(machine_.memory);
    const arch::TranslationContext& ctx = machine_.context(0);
    const std::uint64_t pages = (r.hi - r.lo) / arch::kPage4K;
    for (unsigned i = 0; i < 18; ++i) {
      const arch::gva_t va = r.lo + (rng_() % pages) * arch::kPage4K;
      const arch::TranslationResult t = golden.translate(ctx, {va, arch::AccessType::kRead, true});
      if (!t.ok()) continue;
      targets_.push_back(va);
      arch::hpa_t pte = 0, eleaf = 0, etable = 0;
      for (const arch::MemRef& m : t.refs) {
        if (m.write) continue;
        if (m.target == arch::RefTarget::kGuestEntry) pte = m.addr;  // the last: the leaf
        if (m.target == arch::RefTarget::kEptEntry && m.for_level == 0) eleaf = m.addr;  // last
        if (m.target == arch::RefTarget::kEptEntry && m.for_level == 1) etable = m.addr;  // last
      }
      std::uint64_t v = 0;
      switch (i % 6) {
        case 0:  // guest leaf read-only (a write faults)
          if (pte != 0 && machine_.memory.read64(pte, v))
            machine_.memory.write64(pte, v & ~arch::pte::kRW);
          break;
        case 1:  // EPT leaf not present
          if (eleaf != 0) machine_.memory.write64(eleaf, 0);
          break;
        case 2:  // EPT leaf W without R: misconfigured
          if (eleaf != 0 && machine_.memory.read64(eleaf, v))
            machine_.memory.write64(eleaf, (v & ~arch::ept::kRWX) | arch::ept::kW);
          break;
        case 4:  // EPT leaf without W: a write is a violation of a present entry
          if (eleaf != 0 && machine_.memory.read64(eleaf, v))
            machine_.memory.write64(eleaf, v & ~arch::ept::kW);
          break;
        case 5:  // the guest page table read-only in the EPT: the A/D update is a violation
          if (etable != 0 && machine_.memory.read64(etable, v))
            machine_.memory.write64(etable, v & ~arch::ept::kW);
          break;
        default:  // escaped frame (VMM segment modes), else left as is
          if (scenario_.vmm() != nullptr && scenario_.vm()->vmm_segment().enabled() &&
              t.vmm_seg_hit)
            scenario_.vmm()->mark_bad_frame(t.hpa & ~(arch::kPage4K - 1));
          break;
      }
    }
    if (targets_.empty()) targets_.push_back(r.lo);
    replay();
  }

  void invalidate() {
    arch::Invalidation inv;
    inv.op = static_cast<arch::regs::InvOp>(1 + rng_() % 8);
    inv.pcid = mirror_.context().pcid;
    inv.vmid = (rng_() & 1) ? mirror_.context().vmid : 3;
    inv.addr = targets_[rng_() % targets_.size()];
    rtl_.invalidate(inv);
  }

  bool drain_completed(std::string& report) {
    auto& done = rtl_.completed();
    for (const Completed& c : done) {
      const tlm::CheckOutcome o = checker_.check_walk(c.request, c.response);
      ++checked_;
      if (!o.ok) {
        report = case_.name() + ": request " + std::to_string(c.request.id) + ":" + o.report;
        return false;
      }
    }
    done.clear();
    return true;
  }

  StubCase case_;
  tb::DirectMachine machine_;
  RecordingMmioBus bus_;
  stub::Scenario scenario_;
  EndedMemory memory_;
  arch::RegisterBlock mirror_;
  RtlWalker rtl_;
  tlm::TranslationChecker checker_;
  std::mt19937_64 rng_;
  std::size_t replayed_ = 0;
  std::vector<arch::gva_t> targets_;
  std::uint64_t checked_ = 0;
  std::uint64_t reg_disagree_ = 0;
};

}  // namespace mmuvp::rtltest
