// Lockstep co-simulation of the cycle-level and RTL walkers (cosim.h).
#include "tb/cosim.h"

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <algorithm>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>
#include <utility>
#include <vector>

#include "arch/ept.h"
#include "arch/escape_filter.h"
#include "arch/mmu_regs.h"
#include "arch/register_block.h"
#include "tb/coverage_data.h"
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

// Stimulus the stub-built machines do not produce by themselves (the stub writes consistent tables
// into memory it owns), for the fault kinds and register-block paths the walkers must agree on:
// - physical memory ends at 1 TiB (the stubs allocate below 32 GiB): references beyond it are
//   memory errors (TLM_ADDRESS_ERROR_RESPONSE);
// - just below the end, a trap region written alike into both memories: a 4-level EPT whose
//   entries, by their index and level, lead one level down, are misconfigured (W without R), are
//   not present, or are leaves (1 GiB R, 2 MiB R+X, 4 KiB R or R+W+X) mapping into the region;
//   and pages of random words pointing into the region (random present, R/W, U/S, PS, reserved
//   and ignored bits; some with address bits 51:48 set);
// - one context switch in kBadRootPer starts an episode of at most kBadRootRequests requests with
//   a bad root (bad_root()): CR3 (natively) or EPTP beyond the end of memory (memory errors), or
//   CR3 at a page of random words (guest tables with reserved bits, random permissions, gPAs
//   beyond 48 bits) and, virtualized, EPTP at the trap EPT (misconfigurations at every level,
//   violations of present entries);
// - one context switch in kProbePer first writes the register block values it must refuse (and
//   staged segments, INV_ADDR and STATUS, which no walk reads), each status compared, and then
//   one INV_CMD over MMIO;
// - in the VMM-segment modes, one context switch in kEscapePer adds up to kEscapeFramesMax random
//   frames of the VMM segment to the escape filter (walks to them go to the EPT);
// - the stub's PCIDs and VMIDs (small numbers) are programmed through a bijection of their 12 / 16
//   bits that depends on the seed, so that the walk caches' tags use every bit.
constexpr std::uint64_t kMemoryEnd = 1ull << 40;
constexpr unsigned kTrapPages = 64;  // 4 EPT tables, then random words
constexpr unsigned kTrapEptPages = 4;
constexpr std::uint64_t kTrapRegion = kMemoryEnd - kTrapPages * arch::kPage4K;
constexpr unsigned kBadRootPer = 8;
constexpr unsigned kBadRootRequests = 16;
constexpr unsigned kProbePer = 8;
constexpr unsigned kEscapePer = 8;          // context switches with added escapes (VMM segment)
constexpr unsigned kEscapeFramesMax = 64;   // frames added then
constexpr std::uint64_t kPcidMultiplier = 0x9e5;   // odd: a bijection of the 12-bit PCIDs
constexpr std::uint64_t kVmidMultiplier = 0x9e37;  // odd: a bijection of the 16-bit VMIDs
constexpr std::uint64_t kStimulusSeed = 0x5851'f42d'4c95'7f2dull;  // separates its draws

// A TLM target over one copy of the machine's memory (mem_attr.h protocol: 8-byte READ, and the
// locked SET_BITS write returning the value before the OR), which ends at kMemoryEnd.
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
    if (t.get_data_length() != 8 || t.get_address() >= kMemoryEnd ||
        !memory_.read64(t.get_address(), v)) {
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

// The trap region (see above), written into `memory` from `seed`.
void write_trap_region(arch::PhysMem& memory, std::uint64_t seed) {
  namespace ept = arch::ept;
  constexpr unsigned kEntries = 512;
  constexpr unsigned kKinds = 4;  // entry kinds, chosen by (3 * index + level) mod 4
  const auto random_page = [](std::uint64_t r) {
    return kTrapRegion + (kTrapEptPages + r % (kTrapPages - kTrapEptPages)) * arch::kPage4K;
  };
  for (unsigned level = 4; level >= 1; --level) {
    const std::uint64_t table = kTrapRegion + (4 - level) * arch::kPage4K;
    const std::uint64_t next = table + arch::kPage4K;
    for (std::uint64_t i = 0; i < kEntries; ++i) {
      std::uint64_t e = 0;
      switch ((3 * i + level) % kKinds) {  // the region's own gPAs: tables down to its pages
        case 0:
          e = level > 1 ? ept::make_table(next) : ept::make_leaf(random_page(i), 1, ept::kR);
          break;
        case 1: e = next | ept::kW; break;  // misconfigured
        case 2:
          if (level == 3) e = ept::make_leaf(kMemoryEnd - arch::kPage1G, 3, ept::kR);
          if (level == 2) e = ept::make_leaf(kMemoryEnd - arch::kPage2M, 2, ept::kR | ept::kX);
          break;  // else not present
        default:
          e = level == 1 ? ept::make_leaf(random_page(i), 1) : ept::make_table(next);
          break;
      }
      memory.write64(table + 8 * i, e);
    }
  }
  // Random words whose address bits (MAXPHYADDR 52: 51:12) point into the region, one in
  // kHighEvery with bits 51:48 set too (a gPA beyond the 4-level EPT's 48 bits).
  constexpr std::uint64_t kFlagBits = 0xfff0'0000'0000'0fffull;
  constexpr std::uint64_t kHighBits = arch::bit_range(51, 48);
  constexpr unsigned kHighEvery = 8;
  std::mt19937_64 rng(seed);
  for (unsigned p = kTrapEptPages; p < kTrapPages; ++p)
    for (std::uint64_t i = 0; i < kEntries; ++i) {
      const std::uint64_t r = rng();
      const std::uint64_t high = (r >> 32) % kHighEvery == 0 ? (r & kHighBits) : 0;
      memory.write64(kTrapRegion + p * arch::kPage4K + 8 * i,
                     (r & kFlagBits) | high | random_page(r >> 20));
    }
}

// Register writes that the register block must refuse, with random bits wherever the refusal
// allows them, plus writes it accepts that change nothing a walk reads: staged segments that fail
// their commit, FILTER_CTRL without CLEAR, INV_ADDR and STATUS. `c` is the current context,
// `maxphy` its MAXPHYADDR.
std::vector<std::pair<std::uint32_t, std::uint64_t>> register_probes(
    const arch::TranslationContext& c, unsigned maxphy, std::mt19937_64& rng) {
  namespace f = regs::field;
  const std::uint64_t phys_limit = 1ull << maxphy;
  const std::uint64_t page = 0xfff;
  const std::uint64_t r = rng(), r2 = rng();
  const std::uint64_t misaligned = 1 + r2 % page;
  const std::uint64_t a = r & ~page, b = r2 & ~page, low = r & arch::bit_range(maxphy - 2, 12);
  const auto inv = [](regs::InvOp op) { return regs::put(f::kInvOp, static_cast<unsigned>(op)); };
  return {
      {regs::kId, r},
      {regs::kFaultInfo, ~r},
      {regs::kFaultGva, r2},
      {regs::kFaultGpa, ~r2},
      {regs::kMode, arch::kModeCount + r % 64},
      {regs::kMode, r | (1ull << 63)},
      {regs::kCr3, (c.cr3 & ~page) | misaligned},
      {regs::kCr3, phys_limit | (r & ~page)},
      {regs::kPcid, (1ull << 12) | r},
      {regs::kEptp, (c.eptp & ~0x7ull) | 1},             // memory type 1
      {regs::kEptp, (c.eptp & ~0x38ull) | (2ull << 3)},  // page-walk length 3
      {regs::kEptp, c.eptp | (1ull << 7)},               // reserved bit 7
      {regs::kEptp, c.eptp | phys_limit},                // beyond MAXPHYADDR
      {regs::kVmid, (1ull << 16) | r},
      {regs::kBaseG + 8 * static_cast<std::uint32_t>(r % 6), (r2 & ~page) | misaligned},
      {regs::kSegCommit, 4 | (r & ~0x3ull)},
      {regs::kFilterCtrl, 2 | (r & ~0x1ull)},
      {regs::kFilterCtrl, 0},  // accepted: no clear
      {regs::kFilterAdd, (phys_limit >> 12) | r},
      {regs::kInvCmd, inv(regs::InvOp::kNone)},
      {regs::kInvCmd, 9 + r % 7},
      {regs::kInvCmd, inv(regs::InvOp::kFlushAll) | (1ull << 4)},
      {regs::kConfig, 1ull << 16},
      {regs::kConfig, regs::put(f::kConfigMaxPhy, maxphy == 52 ? 46 : 52)},
      {regs::kWindowBytes - regs::kRegBytes, r},  // no register there
      {regs::kCr3 + 4, r},                        // not 8-byte aligned
      // Staged segments (random bits): limit below base, guest input beyond 2^47, VMM output
      // beyond MAXPHYADDR. Accepted when staged, refused at the commit.
      {regs::kBaseG, std::max(a, b)}, {regs::kLimitG, std::min(a, b)},
      {regs::kOffsetG, r2 & ~page},
      {regs::kSegCommit, regs::put(f::kCommitGuest, 1)},
      {regs::kBaseG, low}, {regs::kLimitG, (1ull << 47) | (r2 & arch::bit_range(62, 12))},
      {regs::kSegCommit, regs::put(f::kCommitGuest, 1)},
      {regs::kBaseV, std::max(a, b)}, {regs::kLimitV, std::min(a, b)},
      {regs::kSegCommit, regs::put(f::kCommitVmm, 1)},
      {regs::kBaseV, low}, {regs::kLimitV, low + 0x2000},
      {regs::kOffsetV, phys_limit - low - 0x1000},
      {regs::kSegCommit, regs::put(f::kCommitVmm, 1)},
      {regs::kInvAddr, r2},
      {regs::kStatus, r},  // any write clears
  };
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
        rng_(seed * 0x9e37'79b9'7f4a'7c15ull + 1),
        stim_rng_(seed ^ kStimulusSeed),
        tag_offset_(stim_rng_()) {
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
    write_trap_region(space_c_.memory(), seed);
    write_trap_region(space_r_.memory(), seed);
    SC_THREAD(drive);
  }

  const CosimLane& result() const { return lane_; }
  const std::string& report() const { return report_; }
  bool failed() const { return !report_.empty(); }
  void flush() { rtl_.flush_trace(); }
  void write_coverage(const std::string& path) const { rtl_.write_coverage(path); }

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
    write(regs::kPcid, (c.pcid * kPcidMultiplier + tag_offset_) & arch::bit_range(11, 0));
    write(regs::kEptp, c.eptp);
    write(regs::kVmid, (c.vmid * kVmidMultiplier + tag_offset_) & arch::bit_range(15, 0));
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
    settle();
  }

  // The writes go out one per cycle (and the mirror's invalidations to the C++ walker): the next
  // request must find them all applied.
  void settle() {
    while (!(rtl_.idle() && cycle_.idle())) edge();
    if (rtl_.refused_writes() != 0)
      throw std::runtime_error(fmt::format("{}: the RTL refused a register write at {:#x} that "
                                           "the C++ register block accepted",
                                           arch::to_string(lane_.mode),
                                           rtl_.first_refused_offset()));
  }

  // The register probes (register_probes), written in zero time while both walkers are idle:
  // the RTL's status of each must be the C++ register block's. False (and the report) if not.
  bool probe_registers() {
    const unsigned maxphy = static_cast<unsigned>(
        regs::get(mirror_.read(regs::kConfig), regs::field::kConfigMaxPhy));
    for (const auto& [offset, value] : register_probes(mirror_.context(), maxphy, stim_rng_)) {
      const regs::RegStatus rtl = rtl_.write_reg_now(offset, value);
      const regs::RegStatus cpp = mirror_.write(offset, value);
      ++lane_.register_probes;
      if (rtl != cpp) {
        lane_.mismatches = 1;
        report_ = fmt::format("MISMATCH in {} ({}): register write status differs\n  write of "
                              "{:#x} to offset {:#x}: RTL {} ({}), register block {} ({})\n",
                              arch::to_string(lane_.mode), lane_.space, value, offset,
                              static_cast<unsigned>(rtl), regs::to_string(rtl),
                              static_cast<unsigned>(cpp), regs::to_string(cpp));
        return false;
      }
    }
    return true;
  }

  // One INV_CMD over MMIO after an INV_ADDR write: a random operation, the current or a random
  // PCID / VMID operand (the C++ walker gets it from the mirror's on_invalidate).
  void mmio_invalidation() {
    namespace f = regs::field;
    const arch::TranslationContext& c = mirror_.context();
    const std::uint64_t op = 1 + stim_rng_() % (regs::kInvOpCount - 1);
    const std::uint64_t pcid = stim_rng_() % 2 == 0 ? c.pcid : stim_rng_();
    const std::uint64_t vmid = stim_rng_() % 2 == 0 ? c.vmid : stim_rng_();
    write(regs::kInvAddr, stim_rng_() & ~(arch::kPage4K - 1));
    write(regs::kInvCmd,
          regs::put(f::kInvOp, op) | regs::put(f::kInvPcid, pcid) | regs::put(f::kInvVmid, vmid));
    ++lane_.mmio_invalidations;
    settle();
  }

  // Up to kEscapeFramesMax random frames of the VMM segment into the escape filter.
  void add_escapes() {
    const arch::Segment& v = mirror_.context().vmm_seg;
    if (!v.enabled()) return;
    const std::uint64_t first = v.base >> arch::kPageShift;
    const std::uint64_t frames = (v.limit - v.base) >> arch::kPageShift;
    for (unsigned n = 1 + stim_rng_() % kEscapeFramesMax; n > 0; --n) {
      write(regs::kFilterAdd, first + stim_rng_() % frames);
      ++lane_.added_escapes;
    }
    settle();
  }

  // A bad root for the current context, its low bits kept: CR3 (natively) or EPTP beyond the end
  // of memory, or into the trap region: natively CR3 at a page of random words; virtualized,
  // EPTP at the trap EPT and, half of the time, the guest's CR3 at a page of random words too
  // (whose gPA the trap EPT maps to such pages). The caches are empty: program() just cleared the
  // escape filter, which flushes them.
  void bad_root() {
    const arch::TranslationContext& c = mirror_.context();
    const bool virt = arch::is_virtualized(lane_.mode);
    const std::uint64_t low = (virt ? c.eptp : c.cr3) & (arch::kPage4K - 1);
    const auto random_page = [this] {
      return kTrapRegion +
             (kTrapEptPages + stim_rng_() % (kTrapPages - kTrapEptPages)) * arch::kPage4K;
    };
    if (stim_rng_() % 2 == 0) {
      write(virt ? regs::kEptp : regs::kCr3, kMemoryEnd | low);
      ++lane_.beyond_memory_roots;
    } else {
      if (virt) write(regs::kEptp, kTrapRegion | low);
      if (!virt || stim_rng_() % 2 == 0) write(regs::kCr3, random_page());
      ++lane_.trap_roots;
    }
    settle();
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
        const bool probe = stim_rng_() % kProbePer == 0;
        if (probe && !probe_registers()) {
          ok = false;
          break;
        }
        program(core);
        if (probe) mmio_invalidation();
        if (arch::uses_vmm_segment(lane_.mode) && stim_rng_() % kEscapePer == 0) add_escapes();
        until_switch = 1 + rng_() % (2 * kRequestsPerContext);
        if (stim_rng_() % kBadRootPer == 0) {
          bad_root();
          until_switch = 1 + stim_rng_() % kBadRootRequests;
        }
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
  std::mt19937_64 stim_rng_;  // the added stimulus (bad roots, register probes, escapes)
  std::uint64_t tag_offset_;  // of the PCID / VMID bijections
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
  if (!coverage.empty() && !RtlWalkerSc::coverage_build())
    throw std::invalid_argument("coverage: the RTL walker of this build has no coverage (the "
                                "coverage build is mmuvp_cosim_coverage)");
}

CosimResult run_cosim(const CosimConfig& config) {
  config.validate();
  // Fail before a long run, not after it.
  if (!config.coverage.empty() && !std::ofstream(config.coverage, std::ios::trunc))
    throw std::runtime_error("cannot write the coverage file " + config.coverage);
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
  if (!config.coverage.empty()) {  // each lane's model has its own context: merge them
    CoverageData merged;
    for (const auto& l : lanes) {
      l->write_coverage(config.coverage);
      merged.merge_file(config.coverage);
    }
    merged.write(config.coverage);
  }
  return out;
}

}  // namespace mmuvp::tb
