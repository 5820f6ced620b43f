// The Verilated RTL walker (rtl/walker_top.sv) against the golden model and the walker contract
// (docs/walker-fsm.md). Address spaces come from the firmware stub (sw-stub/scenario.h) on a
// tb::DirectMachine; the stub's MMIO writes are recorded and replayed over the RTL's register
// port (and into a mirror arch::RegisterBlock, whose status must agree on every write). Every
// response is checked by tlm::TranslationChecker: the golden walk replayed with the RTL's cache
// use over the values its references saw must give the same result, references (address, op,
// target, level, for_level, order), segment additions and fault, and a full golden walk the same
// translation. Timing is checked against the state table for fixed latencies.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "arch/ept.h"
#include "arch/mmu_regs.h"
#include "arch/pte.h"
#include "sw-stub/machine_bus.h"
#include "sw-stub/scenario.h"
#include "tb/direct_bus.h"
#include "tests/rtl/rtl_walker_harness.h"
#include "tlm/translation_checker.h"

namespace mmuvp::rtltest {
namespace {

using arch::AccessType;
using arch::FaultKind;
using arch::Mode;
using arch::PageSize;
namespace regs = arch::regs;

// The stub's bus, recording every MMIO write so that it can be replayed into the RTL.
class RecordingBus final : public stub::MachineBus {
 public:
  struct Write {
    unsigned core;
    std::uint32_t offset;
    std::uint64_t value;
  };
  explicit RecordingBus(stub::MachineBus& inner) : inner_(inner) {}
  std::uint64_t mem_read64(arch::hpa_t a) override { return inner_.mem_read64(a); }
  void mem_write64(arch::hpa_t a, std::uint64_t v) override { inner_.mem_write64(a, v); }
  std::uint64_t mmio_read(unsigned core, std::uint32_t offset) override {
    return inner_.mmio_read(core, offset);
  }
  regs::RegStatus mmio_write(unsigned core, std::uint32_t offset, std::uint64_t v) override {
    writes.push_back({core, offset, v});
    return inner_.mmio_write(core, offset, v);
  }
  unsigned cores() const override { return inner_.cores(); }
  std::vector<Write> writes;

 private:
  stub::MachineBus& inner_;
};

// A stub-built machine, the RTL with a mirror register block programmed by replaying the stub's
// writes to core 0, and the checker.
struct Bench {
  explicit Bench(const stub::ScenarioConfig& cfg, const PortTiming& timing = {},
                 std::uint64_t memory_limit = ~0ull)
      : bus(machine.bus),
        scenario(bus, cfg),
        limited(machine.memory, memory_limit),
        rtl(limited, mirror, timing),
        checker(limited) {
    replay();
  }
  // Replays the stub's MMIO writes (core 0) not yet replayed.
  void replay() {
    for (; replayed < bus.writes.size(); ++replayed) {
      const RecordingBus::Write& w = bus.writes[replayed];
      if (w.core != 0) continue;
      regs::RegStatus cpp = regs::RegStatus::kOk;
      const regs::RegStatus got = rtl.write_reg(w.offset, w.value, &cpp);
      EXPECT_EQ(static_cast<int>(got), static_cast<int>(cpp))
          << "register write " << std::hex << w.offset << " = " << w.value;
    }
  }
  // Runs everything submitted and checks every response; returns the walks checked.
  std::size_t run_and_check() {
    EXPECT_TRUE(rtl.run_until_idle()) << "the walker did not finish";
    std::size_t n = 0;
    for (const Completed& c : rtl.completed()) {
      const tlm::CheckOutcome o = checker.check_walk(c.request, c.response);
      EXPECT_TRUE(o.ok) << "request " << c.request.id << ":" << o.report;
      if (!o.ok) break;
      ++n;
    }
    return n;
  }
  arch::Access inside(std::mt19937_64& rng) const {
    const stub::Range r = scenario_region;
    std::uniform_int_distribution<std::uint64_t> off(0, (r.hi - r.lo) / 8 - 1);
    std::uniform_int_distribution<int> type(0, 2);
    return arch::Access{r.lo + 8 * off(rng), static_cast<AccessType>(type(rng)),
                        (rng() & 3) != 0};
  }

  tb::DirectMachine machine;
  RecordingBus bus;
  stub::Scenario scenario;
  stub::Range scenario_region = scenario.region();
  EndedMemory limited;
  arch::RegisterBlock mirror;
  RtlWalker rtl;
  tlm::TranslationChecker checker;
  std::size_t replayed = 0;
};

stub::ScenarioConfig config(Mode mode, stub::PagePolicy guest, PageSize host, bool ad = true,
                            bool ept_ad = false) {
  stub::ScenarioConfig c;
  c.mode = mode;
  c.guest_pages = guest;
  c.host_pages = host;
  c.footprint = 8ull << 20;
  c.ad_updates = ad;
  c.ept_ad = ept_ad;
  return c;
}

// ---- timing: the state table with a fixed latency -------------------------------------------------

// Native, 4K, caches cold: SEG, PWC, 4 x (GREQ, GWAIT x L, GCHK), DONE. A second walk in the same
// 2 MiB region starts at the PT from the PD cache: SEG, PWC, GREQ, GWAIT x L, GCHK, DONE.
TEST(RtlWalker, NativeWalkCyclesFollowTheStateTable) {
  for (unsigned latency : {1u, 3u, 7u}) {
    PortTiming t;
    t.min_latency = t.max_latency = latency;
    Bench b(config(Mode::kNative, stub::PagePolicy::k4K, PageSize::k4K, false), t);
    const arch::gva_t va = b.scenario_region.lo + 0x3000;
    b.rtl.submit({va, AccessType::kRead, true});
    ASSERT_TRUE(b.rtl.run_until_idle());
    b.rtl.submit({va + 0x1000, AccessType::kRead, true});
    ASSERT_EQ(b.run_and_check(), 2u);
    const auto& done = b.rtl.completed();
    EXPECT_EQ(done[0].response.cycles, 2u + 4u * (latency + 2u) + 1u) << "L=" << latency;
    EXPECT_EQ(done[0].response.result.refs.size(), 4u);
    EXPECT_EQ(done[1].response.cycles, 2u + (latency + 2u) + 1u) << "L=" << latency;
    EXPECT_EQ(done[1].response.caches.guest.level, 2u);
    EXPECT_EQ(done[1].response.result.refs.size(), 1u);
  }
}

// Nested, 4K+4K, caches cold, no A/D: SEG, PWC, 5 x (HSEG, NTLB, 4 x (EREQ, EWAIT x L, ECHK))
// with 4 x (GREQ, GWAIT x L, GCHK) between them, DONE: 24 references.
TEST(RtlWalker, NestedWalkCyclesFollowTheStateTable) {
  PortTiming t;
  t.min_latency = t.max_latency = 2;
  Bench b(config(Mode::kNested, stub::PagePolicy::k4K, PageSize::k4K, false), t);
  b.rtl.submit({b.scenario_region.lo, AccessType::kWrite, true});
  ASSERT_EQ(b.run_and_check(), 1u);
  const tlm::WalkResponse& r = b.rtl.completed()[0].response;
  EXPECT_EQ(r.result.refs.size(), 24u);
  const unsigned step = 1 + 2 + 1;  // REQ, WAIT x L, CHK
  EXPECT_EQ(r.cycles, 2u + 5u * (2u + 4u * step) + 4u * step + 1u);
  EXPECT_EQ(r.caches.nested.size(), 5u);
}

// A guest-segment hit in native-ds: SEG, DONE; no reference.
TEST(RtlWalker, SegmentHitTakesTwoCycles) {
  Bench b(config(Mode::kNativeDs, stub::PagePolicy::k4K, PageSize::k4K));
  b.rtl.submit({b.scenario_region.lo + 0x10, AccessType::kWrite, false});
  ASSERT_EQ(b.run_and_check(), 1u);
  const tlm::WalkResponse& r = b.rtl.completed()[0].response;
  EXPECT_TRUE(r.result.guest_seg_hit);
  EXPECT_TRUE(r.result.refs.empty());
  EXPECT_EQ(r.cycles, 2u);
}

// ---- golden agreement in every mode and page size ---------------------------------------------

class RtlGolden
    : public ::testing::TestWithParam<std::tuple<Mode, stub::PagePolicy, PageSize, bool>> {};

TEST_P(RtlGolden, EveryResponseMatchesTheGoldenWalk) {
  const auto [mode, guest, host, ad] = GetParam();
  PortTiming t;
  t.min_latency = 1;
  t.max_latency = 9;
  t.mem_stall_percent = 25;
  t.resp_stall_percent = 25;
  t.seed = 0x5254'4c00 + static_cast<unsigned>(mode) * 64 + static_cast<unsigned>(guest) * 8 +
           static_cast<unsigned>(host) * 2 + ad;
  Bench b(config(mode, guest, host, ad, ad), t);
  std::mt19937_64 rng(t.seed);
  constexpr unsigned kAccesses = 300;
  for (unsigned i = 0; i < kAccesses; ++i) {
    arch::Access a = b.inside(rng);
    const unsigned kind = static_cast<unsigned>(rng() % 16);
    if (kind == 0) a.va = rng() & arch::bit_range(46, 3);          // mostly unmapped
    if (kind == 1) a.va = rng() | (1ull << 50);                    // non-canonical
    if (kind == 2) a.va = b.scenario_region.hi + (rng() & 0xfff8);  // just past the region
    b.rtl.submit(a);
  }
  EXPECT_EQ(b.run_and_check(), kAccesses);
  EXPECT_EQ(b.checker.mismatches(), 0u);
}

std::string golden_name(
    const ::testing::TestParamInfo<std::tuple<Mode, stub::PagePolicy, PageSize, bool>>& info) {
  std::string s = std::string(arch::to_string(std::get<0>(info.param))) + "_g" +
                  std::string(stub::to_string(std::get<1>(info.param))) + "_h" +
                  std::string(arch::to_string(std::get<2>(info.param))) +
                  (std::get<3>(info.param) ? "_ad" : "_noad");
  for (char& c : s)
    if (c == '-') c = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    Native, RtlGolden,
    ::testing::Combine(::testing::Values(Mode::kNative, Mode::kNativeDs),
                       ::testing::Values(stub::PagePolicy::k4K, stub::PagePolicy::k2M,
                                         stub::PagePolicy::k1G),
                       ::testing::Values(PageSize::k4K), ::testing::Bool()),
    golden_name);

INSTANTIATE_TEST_SUITE_P(
    Virtualized, RtlGolden,
    ::testing::Combine(::testing::Values(Mode::kNested, Mode::kDualDirect, Mode::kVmmDirect,
                                         Mode::kGuestDirect),
                       ::testing::Values(stub::PagePolicy::k4K, stub::PagePolicy::k2M,
                                         stub::PagePolicy::k1G),
                       ::testing::Values(PageSize::k4K, PageSize::k2M, PageSize::k1G),
                       ::testing::Bool()),
    golden_name);

// ---- escape filter --------------------------------------------------------------------------------

// Bad host frames inside the VMM segment: the VMM remaps them and adds their gPA frames to the
// filter (replayed over the RTL's FILTER_ADD); accesses to them take the EPT walk.
TEST(RtlWalker, EscapedFramesTakeTheEptWalk) {
  for (Mode mode : {Mode::kVmmDirect, Mode::kDualDirect}) {
    Bench b(config(mode, stub::PagePolicy::k4K, PageSize::k4K));
    stub::VirtualMachine* vm = b.scenario.vm();
    ASSERT_NE(vm, nullptr);
    const arch::Segment seg = vm->vmm_segment();
    ASSERT_TRUE(seg.enabled());
    // Retire the host frames behind three data pages of the region.
    std::vector<arch::gva_t> vas;
    for (unsigned i = 0; i < 3; ++i) {
      const arch::gva_t va = b.scenario_region.lo + (5 + 7 * i) * arch::kPage4K;
      const arch::TranslationResult r =
          arch::GoldenTranslator(b.machine.memory).translate(b.machine.context(0),
                                                               {va, AccessType::kRead, true});
      ASSERT_TRUE(r.ok());
      b.scenario.vmm()->mark_bad_frame(r.hpa & ~(arch::kPage4K - 1));
      vas.push_back(va);
    }
    b.replay();
    EXPECT_EQ(regs::get(b.rtl.read_reg(regs::kFilterCtrl), regs::field::kFilterAdded),
              b.mirror.filter().added());
    for (arch::gva_t va : vas) {
      b.rtl.submit({va, AccessType::kRead, true});
      b.rtl.submit({va + 8, AccessType::kWrite, true});
    }
    ASSERT_EQ(b.run_and_check(), 2 * vas.size());
    unsigned filter_hits = 0;
    for (const Completed& c : b.rtl.completed()) filter_hits += c.response.result.filter_hits;
    EXPECT_GE(filter_hits, 2 * vas.size()) << arch::to_string(mode);
  }
}

// ---- faults of every kind ---------------------------------------------------------------------------

// Edits the guest or EPT entries of a stub-built space to make each fault, and checks the kind,
// stage, level and code reported (the checker compares them with the golden walk too).
TEST(RtlWalker, FaultsOfEveryKind) {
  Bench b(config(Mode::kNested, stub::PagePolicy::k4K, PageSize::k4K, true, true));
  const arch::gva_t base = b.scenario_region.lo;
  arch::GoldenTranslator golden(b.machine.memory);
  const arch::TranslationContext& ctx = b.machine.context(0);
  // The guest PTE and the EPT leaf of the final gPA of page i.
  auto leaves = [&](unsigned page, arch::hpa_t& pte, arch::hpa_t& ept_leaf) {
    const arch::TranslationResult r =
        golden.translate(ctx, {base + page * arch::kPage4K, AccessType::kRead, true});
    ASSERT_TRUE(r.ok());
    pte = ept_leaf = 0;
    for (const arch::MemRef& m : r.refs) {
      if (m.target == arch::RefTarget::kGuestEntry && m.level == 1 && !m.write) pte = m.addr;
      if (m.target == arch::RefTarget::kEptEntry && m.for_level == 0 && m.level == 1 && !m.write)
        ept_leaf = m.addr;
    }
  };
  std::uint64_t v = 0;
  arch::hpa_t pte = 0, eleaf = 0;
  // 1: guest PTE not present.  2: reserved bit (PS and bit 13 in the PDE of the second 2 MiB).
  // 3: read-only page written.  4: EPT leaf not present.  5: EPT leaf W without R
  // (misconfiguration).  6: EPT leaf without W, written.
  leaves(1, pte, eleaf);
  b.machine.memory.write64(pte, 0);
  {
    const arch::TranslationResult r =
        golden.translate(ctx, {base + (2ull << 20), AccessType::kRead, true});
    ASSERT_TRUE(r.ok());
    arch::hpa_t pde = 0;
    for (const arch::MemRef& m : r.refs)
      if (m.target == arch::RefTarget::kGuestEntry && m.level == 2 && !m.write) pde = m.addr;
    b.machine.memory.read64(pde, v);
    b.machine.memory.write64(pde, v | arch::pte::kPS | (1ull << 13));
  }
  leaves(3, pte, eleaf);
  b.machine.memory.read64(pte, v);
  b.machine.memory.write64(pte, v & ~arch::pte::kRW);
  leaves(4, pte, eleaf);
  b.machine.memory.write64(eleaf, 0);
  leaves(5, pte, eleaf);
  b.machine.memory.read64(eleaf, v);
  b.machine.memory.write64(eleaf, (v & ~arch::ept::kRWX) | arch::ept::kW);
  leaves(6, pte, eleaf);
  b.machine.memory.read64(eleaf, v);
  b.machine.memory.write64(eleaf, v & ~arch::ept::kW);

  struct Case {
    arch::Access access;
    FaultKind kind;
    arch::FaultStage stage;
    unsigned level;
  };
  const std::vector<Case> cases = {
      {{0x0000'8000'0000'0000ull, AccessType::kRead, true}, FaultKind::kNonCanonical,
       arch::FaultStage::kNone, 0},
      {{base + 1 * arch::kPage4K, AccessType::kRead, true}, FaultKind::kGuestPageFault,
       arch::FaultStage::kGuestTable, 1},
      {{base + (2ull << 20), AccessType::kRead, true}, FaultKind::kGuestPageFault,
       arch::FaultStage::kGuestTable, 2},
      {{base + 3 * arch::kPage4K, AccessType::kWrite, true}, FaultKind::kGuestPageFault,
       arch::FaultStage::kFinal, 1},
      {{base + 4 * arch::kPage4K, AccessType::kRead, true}, FaultKind::kEptViolation,
       arch::FaultStage::kFinal, 1},
      {{base + 5 * arch::kPage4K, AccessType::kRead, true}, FaultKind::kEptMisconfig,
       arch::FaultStage::kFinal, 1},
      {{base + 6 * arch::kPage4K, AccessType::kWrite, true}, FaultKind::kEptViolation,
       arch::FaultStage::kFinal, 1},
  };
  for (const Case& c : cases) b.rtl.submit(c.access);
  ASSERT_EQ(b.run_and_check(), cases.size());
  // Responses leave in completion order; put them back in request order.
  std::vector<Completed> done = b.rtl.completed();
  std::sort(done.begin(), done.end(), [](const Completed& x, const Completed& y) {
    return x.request.id < y.request.id;
  });
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const arch::Fault& f = done[i].response.result.fault;
    EXPECT_EQ(f.kind, cases[i].kind) << "case " << i;
    EXPECT_EQ(f.stage, cases[i].stage) << "case " << i;
    EXPECT_EQ(f.level, cases[i].level) << "case " << i;
    EXPECT_EQ(f.gva, cases[i].access.va) << "case " << i;
  }
  // The reserved-bit fault carries P|RSVD|U, the write protection fault P|W|U.
  EXPECT_EQ(done[2].response.result.fault.code, arch::pf::kP | arch::pf::kRsvd | arch::pf::kU);
  EXPECT_EQ(done[3].response.result.fault.code,
            arch::pf::kP | arch::pf::kW | arch::pf::kU);
  // The last fault taken is in FAULT_INFO/GVA/GPA.
  const arch::Fault& last = b.rtl.completed().back().response.result.fault;
  EXPECT_EQ(b.rtl.read_reg(regs::kFaultGva), last.gva);
  EXPECT_EQ(b.rtl.read_reg(regs::kFaultGpa), last.gpa);
  EXPECT_EQ(regs::get(b.rtl.read_reg(regs::kFaultInfo), regs::field::kFaultKind),
            static_cast<unsigned>(last.kind));
}

// A walk reference beyond physical memory ends the walk with a memory error.
TEST(RtlWalker, MemoryErrorFault) {
  Bench b(config(Mode::kNative, stub::PagePolicy::k4K, PageSize::k4K), {}, 1ull << 36);
  // CR3 beyond the memory's end.
  EXPECT_EQ(b.rtl.write_reg(regs::kCr3, 1ull << 40), regs::RegStatus::kOk);
  b.rtl.submit({b.scenario_region.lo, AccessType::kRead, true});
  ASSERT_EQ(b.run_and_check(), 1u);
  const arch::Fault& f = b.rtl.completed()[0].response.result.fault;
  EXPECT_EQ(f.kind, FaultKind::kMemoryError);
  EXPECT_EQ(f.level, 4u);
  EXPECT_EQ(f.gpa, (1ull << 40) + 8ull * arch::table_index(b.scenario_region.lo, 4));
}

// ---- segment edges ------------------------------------------------------------------------------

// The first and last byte of the guest segment hit it; one below and the limit itself walk.
TEST(RtlWalker, GuestSegmentEdges) {
  for (Mode mode : {Mode::kNativeDs, Mode::kDualDirect, Mode::kGuestDirect}) {
    Bench b(config(mode, stub::PagePolicy::k4K, PageSize::k4K));
    const arch::Segment seg = b.mirror.context().guest_seg;
    ASSERT_TRUE(seg.enabled()) << arch::to_string(mode);
    const std::vector<std::pair<arch::gva_t, bool>> probes = {
        {seg.base, true}, {seg.limit - 8, true}, {seg.base - 8, false}, {seg.limit, false}};
    for (const auto& p : probes) b.rtl.submit({p.first, AccessType::kRead, true});
    ASSERT_EQ(b.run_and_check(), probes.size());
    for (std::size_t i = 0; i < probes.size(); ++i)
      EXPECT_EQ(b.rtl.completed()[i].response.result.guest_seg_hit, probes[i].second)
          << arch::to_string(mode) << " probe " << i;
  }
}

// ---- register block ---------------------------------------------------------------------------------

// Refused and accepted writes: the RTL's STATUS and every register read equal the C++ block's.
TEST(RtlWalker, RegisterBlockAgreesWithTheCppBlock) {
  Bench b(config(Mode::kNative, stub::PagePolicy::k4K, PageSize::k4K));
  const std::vector<std::pair<std::uint32_t, std::uint64_t>> writes = {
      {regs::kMode, 9},                       // bad mode
      {regs::kMode, 2},                       // nested
      {regs::kCr3, 0x1234},                   // misaligned
      {regs::kCr3, 1ull << 52},               // beyond MAXPHYADDR
      {regs::kPcid, 1u << 12},                // too wide
      {regs::kPcid, 7},
      {regs::kEptp, 0x1000 | 6},              // walk length 1
      {regs::kEptp, arch::ept::eptp::make(0x5000, true)},
      {regs::kVmid, 1u << 16},
      {regs::kBaseG, 0x1001},                 // misaligned
      {regs::kBaseG, 0x10000},
      {regs::kLimitG, 0x8000},                // below base at commit
      {regs::kSegCommit, 1},
      {regs::kLimitG, 0x20000},
      {regs::kOffsetG, 0x100000},
      {regs::kSegCommit, 4},                  // reserved bit
      {regs::kSegCommit, 1},
      {regs::kBaseV, 0},
      {regs::kLimitV, 1ull << 52},
      {regs::kSegCommit, 2},                  // VMM output beyond MAXPHYADDR? no: ok
      {regs::kOffsetV, 0x1000},
      {regs::kSegCommit, 3},                  // output out of range: neither applied
      {regs::kFilterAdd, 1ull << 40},         // beyond the frame width
      {regs::kFilterAdd, 0x1234},
      {regs::kFilterCtrl, 2},                 // reserved bit
      {regs::kInvCmd, 0},                     // no operation
      {regs::kInvCmd, 9},                     // unknown operation
      {regs::kInvCmd, 1ull << 60},            // reserved bit
      {regs::kInvCmd, 6 | (3ull << 32)},
      {regs::kInvAddr, 0xdead000},
      {regs::kConfig, 0},                     // MAXPHYADDR field is read-only
      {regs::kConfig, regs::put(regs::field::kConfigMaxPhy, 52)},
      {regs::kId, 1},                         // read-only
      {0x0f8, 1},                             // no register
      {0x0c, 1},                              // not aligned
  };
  for (const auto& w : writes) {
    regs::RegStatus cpp = regs::RegStatus::kOk;
    const regs::RegStatus got = b.rtl.write_reg(w.first, w.second, &cpp);
    EXPECT_EQ(static_cast<int>(got), static_cast<int>(cpp))
        << "write " << std::hex << w.first << " = " << w.second;
  }
  for (const regs::RegDesc& r : regs::kRegisters)
    EXPECT_EQ(b.rtl.read_reg(r.offset), b.mirror.read(r.offset)) << r.name;
  EXPECT_EQ(b.rtl.write_reg(regs::kStatus, 0), regs::RegStatus::kOk);
  EXPECT_EQ(b.rtl.read_reg(regs::kStatus), 0u);
}

// ---- invalidation during walks ----------------------------------------------------------------

// Walks in flight while INV_CMD writes and inv-port invalidations (every operation) drop PWC and
// nested-TLB entries; the stub then remaps nothing, so every walk must still match the golden
// model, and entries dropped mid-walk must not be used afterwards (the full-walk check).
TEST(RtlWalker, InvalidationDuringWalks) {
  PortTiming t;
  t.min_latency = 1;
  t.max_latency = 5;
  t.mem_stall_percent = 10;
  Bench b(config(Mode::kNested, stub::PagePolicy::k4K, PageSize::k4K, true, true), t);
  std::mt19937_64 rng(77);
  for (unsigned round = 0; round < 40; ++round) {
    for (unsigned i = 0; i < 6; ++i) b.rtl.submit(b.inside(rng));
    for (unsigned c = 0; c < 30 + rng() % 40; ++c) b.rtl.step();
    arch::Invalidation inv;
    inv.op = static_cast<regs::InvOp>(1 + rng() % 8);
    inv.pcid = b.mirror.context().pcid;
    inv.vmid = (rng() & 1) ? b.mirror.context().vmid : 3;
    inv.addr = b.scenario_region.lo;
    if (round % 2 == 0) {
      b.rtl.invalidate(inv);
    } else {
      b.rtl.write_reg(regs::kInvCmd, regs::put(regs::field::kInvOp,
                                               static_cast<std::uint64_t>(inv.op)) |
                                         regs::put(regs::field::kInvVmid, inv.vmid));
    }
  }
  EXPECT_EQ(b.run_and_check(), 240u);
}

// Remapping a page and invalidating: the next walk must see the new mapping (the PWC and nested
// TLB entries of the old one are gone).
TEST(RtlWalker, InvalidationDropsCachedEntries) {
  Bench b(config(Mode::kNested, stub::PagePolicy::k4K, PageSize::k4K, false, false));
  const arch::gva_t va = b.scenario_region.lo + 0x5000;
  b.rtl.submit({va, AccessType::kRead, true});
  ASSERT_TRUE(b.rtl.run_until_idle());  // filled before the second walk looks up
  b.rtl.submit({va + 0x1000, AccessType::kRead, true});
  ASSERT_EQ(b.run_and_check(), 2u);
  // The second walk hit the PD cache and the nested TLB.
  EXPECT_EQ(b.rtl.completed()[1].response.caches.guest.level, 2u);
  unsigned hits = 0;
  for (const arch::NestedLookup& l : b.rtl.completed()[1].response.caches.nested) hits += l.hit;
  EXPECT_GE(hits, 1u);
  b.rtl.write_reg(regs::kInvCmd, regs::put(regs::field::kInvOp, 8));  // flush all
  b.rtl.submit({va + 0x2000, AccessType::kRead, true});
  ASSERT_EQ(b.run_and_check(), 3u);
  const tlm::WalkResponse& r = b.rtl.completed()[2].response;
  EXPECT_EQ(r.caches.guest.level, 0u);
  for (const arch::NestedLookup& l : r.caches.nested) EXPECT_FALSE(l.hit);
  EXPECT_EQ(r.result.refs.size(), 24u);
}

// An invalidation and a fill at the same edge (docs/walker-fsm.md: fills, then the invalidation):
// the fill is dropped. Native 4K, caches cold, no A/D writes, L = 2: the walk fills the PD cache
// at the edge ending cycle 8 + 3L (SEG 1, PWC 2, then per level GREQ, GWAIT x L, GCHK: PML4 at
// 4 + L, PDPT at 6 + 2L, PD at 8 + 3L). An INVLPG / INVPCID (address, context) of the walk's PCID
// one cycle before that edge leaves the PD entry (the next walk in the 2 MiB region reads only
// the PT); at that edge or later it drops it (all four levels again). Before the fix the RTL
// judged the invalidation on the tags before the fills and kept the PD entry filled at that edge.
TEST(RtlWalker, InvalidationAtTheFillEdgeDropsTheFill) {
  constexpr unsigned kLatency = 2;
  constexpr unsigned kPdFillCycle = 8 + 3 * kLatency;
  for (const regs::InvOp op :
       {regs::InvOp::kInvlpg, regs::InvOp::kInvpcidAddr, regs::InvOp::kInvpcidContext}) {
    for (const int offset : {-1, 0, 1}) {
      SCOPED_TRACE(testing::Message() << "op " << static_cast<int>(op) << ", invalidation at "
                                      << offset << " cycles from the PD fill");
      PortTiming t;
      t.min_latency = t.max_latency = kLatency;
      Bench b(config(Mode::kNative, stub::PagePolicy::k4K, PageSize::k4K, false), t);
      const arch::gva_t va = b.scenario_region.lo + 0x3000;
      b.rtl.submit({va, AccessType::kRead, true});
      for (unsigned c = 0; c < kPdFillCycle + offset; ++c) b.rtl.step();
      arch::Invalidation inv;
      inv.op = op;
      inv.addr = va & ~0xfffull;
      inv.pcid = b.mirror.context().pcid;
      inv.vmid = b.mirror.context().vmid;
      b.rtl.invalidate(inv);  // driven in the next cycle, applied at the edge ending it
      ASSERT_TRUE(b.rtl.run_until_idle());
      b.rtl.submit({va + 0x1000, AccessType::kRead, true});
      ASSERT_EQ(b.run_and_check(), 2u);
      const auto& done = b.rtl.completed();
      ASSERT_EQ(done[0].response.result.refs.size(), 4u);
      ASSERT_EQ(done[0].response.cycles, 2u + 4u * (kLatency + 2u) + 1u);  // the timing assumed
      const tlm::WalkResponse& next = done[1].response;
      if (offset < 0) {
        EXPECT_EQ(next.caches.guest.level, 2u);
        EXPECT_EQ(next.result.refs.size(), 1u);
      } else {
        EXPECT_EQ(next.caches.guest.level, 0u);
        EXPECT_EQ(next.result.refs.size(), 4u);
      }
    }
  }
}

// Two slots in flight: responses may come out of order, each from the slot that took it.
TEST(RtlWalker, TwoSlotsOverlap) {
  PortTiming t;
  t.min_latency = t.max_latency = 4;
  Bench b(config(Mode::kNested, stub::PagePolicy::k4K, PageSize::k4K, false), t);
  b.rtl.submit({b.scenario_region.lo, AccessType::kRead, true});
  b.rtl.submit({b.scenario_region.lo + (4ull << 20), AccessType::kRead, true});
  ASSERT_EQ(b.run_and_check(), 2u);
  const auto& d = b.rtl.completed();
  EXPECT_NE(d[0].response.slot, d[1].response.slot);
  // Overlapped: the two walks took less than twice one walk.
  EXPECT_LT(b.rtl.cycle(), d[0].response.cycles + d[1].response.cycles);
}

}  // namespace
}  // namespace mmuvp::rtltest
