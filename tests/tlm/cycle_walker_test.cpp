// The cycle-level walker (tlm/cycle_walker.h) and its memory-port bridge (tlm/mem_port_bridge.h)
// on a small SystemC testbench: a TLM target over the memory the firmware stub built (fixed or
// seeded random latency), back-pressure and random extra latency on the port, 2 and 4 walk slots.
// Every response is checked against the golden model by tlm/translation_checker.h: replayed (the
// walker's own values and cache use fed into GoldenTranslator::translate) it must match exactly,
// references and additions included; a fresh full golden walk must give the same translation. Exact cycle counts of the
// table in docs/walker-fsm.md and the round-robin arbiter are tested on directed walks.
//
// Each TEST elaborates its own modules (one SystemC elaboration per process).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "arch/ept.h"
#include "arch/golden_translator.h"
#include "arch/pte.h"
#include "sw-stub/scenario.h"
#include "tb/direct_bus.h"
#include "tests/golden/bounded_memory.h"
#include "tests/golden/stub_space.h"
#include "tlm/cycle_walker.h"
#include "tlm/mem_attr.h"
#include "tlm/mem_port_bridge.h"
#include "tlm/translation_checker.h"

namespace mmuvp::tlm {
namespace {

using arch::AccessType;
using arch::Mode;
using arch::PageSize;
using sc_core::SC_NS;
using sc_core::sc_time;

const sc_time kPeriod(1, SC_NS);
constexpr std::uint64_t kMemoryLimit = 1ull << 40;  // the test memory ends here (1 TiB)
constexpr std::uint64_t kCorruptTable = 1ull << 44;  // a table address beyond every memory

// ---- the memory target -----------------------------------------------------------------------

// A TLM target over a PhysMem, speaking tlm/mem_attr.h's protocol: 8-byte reads, and writes that
// are SET_BITS (atomic OR, the old value returned) when MemAttr says so. Latency: uniform in
// [min, max] cycles (seeded), annotated on the delay.
class TestMemory : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<TestMemory> socket;

  TestMemory(sc_core::sc_module_name name, arch::PhysMem* mem, std::uint64_t seed)
      : sc_module(name), socket("socket"), mem_(mem), rng_(seed) {
    socket.register_b_transport(this, &TestMemory::b_transport);
  }
  void set_memory(arch::PhysMem* mem) { mem_ = mem; }
  void set_latency(unsigned min, unsigned max) {
    min_ = min;
    max_ = max;
  }
  std::uint64_t set_bits_ops() const { return set_bits_; }

 private:
  void b_transport(::tlm::tlm_generic_payload& t, sc_time& delay) {
    const unsigned cycles =
        min_ == max_ ? min_ : min_ + static_cast<unsigned>(rng_() % (max_ - min_ + 1));
    delay += cycles * kPeriod;
    std::uint64_t v = 0;
    if (t.get_data_length() != 8 || (t.get_address() & 7) != 0) {
      t.set_response_status(::tlm::TLM_GENERIC_ERROR_RESPONSE);
      return;
    }
    MemAttr* attr = nullptr;
    t.get_extension(attr);
    ASSERT_NE(attr, nullptr);
    EXPECT_EQ(attr->who, Initiator::kWalker);
    if (!mem_->read64(t.get_address(), v)) {
      t.set_response_status(::tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    if (t.is_write()) {
      std::uint64_t bits = 0;
      std::memcpy(&bits, t.get_data_ptr(), 8);
      EXPECT_TRUE(attr->set_bits) << "the walker writes only with SET_BITS";
      mem_->write64(t.get_address(), v | bits);
      ++set_bits_;
    }
    std::memcpy(t.get_data_ptr(), &v, 8);
    t.set_response_status(::tlm::TLM_OK_RESPONSE);
  }

  arch::PhysMem* mem_;
  std::mt19937_64 rng_;
  unsigned min_ = 1, max_ = 1;
  std::uint64_t set_bits_ = 0;
};

// ---- the bench --------------------------------------------------------------------------------

struct BenchConfig {
  CycleWalkerConfig walker;
  MemPortBridgeConfig bridge;
  unsigned lat_min = 1, lat_max = 1;
  std::uint64_t seed = 1;
};

struct Bench {
  explicit Bench(const BenchConfig& c, arch::PhysMem* mem)
      : clk("clk", kPeriod),
        sig("mem"),
        walker("walker", c.walker),
        bridge("bridge", c.bridge),
        memory("memory", mem, c.seed) {
    walker.clk(clk);
    bridge.clk(clk);
    sig.bind_walker(walker);
    sig.bind_bridge(bridge);
    bridge.socket.bind(memory.socket);
    memory.set_latency(c.lat_min, c.lat_max);
  }

  // Submits every request and runs until all responses are taken (or `max_cycles` pass).
  std::vector<WalkResponse> run(const std::vector<WalkRequest>& reqs,
                                std::uint64_t max_cycles = 2'000'000) {
    for (const WalkRequest& r : reqs) walker.submit(r);
    std::vector<WalkResponse> out;
    std::uint64_t spent = 0;
    constexpr std::uint64_t kChunk = 256;
    while (out.size() < reqs.size() && spent < max_cycles) {
      sc_core::sc_start(static_cast<double>(kChunk), SC_NS);
      spent += kChunk;
      WalkResponse r;
      while (walker.pop_response(r)) out.push_back(std::move(r));
    }
    return out;
  }

  sc_core::sc_clock clk;
  MemPortSignals sig;
  CycleWalker walker;
  MemPortBridge bridge;
  TestMemory memory;
};

// ---- the golden check -------------------------------------------------------------------------

// Reads through to a memory, writes into a private overlay: a golden walk that changes nothing.
class OverlayMemory final : public arch::PhysMem {
 public:
  explicit OverlayMemory(arch::PhysMem& base) : base_(base) {}
  bool read64(std::uint64_t pa, std::uint64_t& value) override {
    const auto it = overlay_.find(pa);
    if (it == overlay_.end()) return base_.read64(pa, value);
    value = it->second;
    return true;
  }
  bool write64(std::uint64_t pa, std::uint64_t value) override {
    std::uint64_t old = 0;
    if (!base_.read64(pa, old)) return false;
    overlay_[pa] = value;
    return true;
  }

 private:
  arch::PhysMem& base_;
  std::map<std::uint64_t, std::uint64_t> overlay_;
};

// Checks every response against its request; counters cross-checked with the responses.
void check_all(const std::vector<WalkRequest>& reqs, const std::vector<WalkResponse>& resps,
               arch::PhysMem& memory, const std::string& what) {
  ASSERT_EQ(resps.size(), reqs.size()) << what << ": responses missing (hang?)";
  std::map<std::uint64_t, const WalkRequest*> by_id;
  for (const WalkRequest& r : reqs) by_id[r.id] = &r;
  TranslationChecker checker(memory);
  unsigned reported = 0;
  for (const WalkResponse& resp : resps) {
    const auto it = by_id.find(resp.id);
    ASSERT_NE(it, by_id.end()) << what << ": response with unknown id " << resp.id;
    const CheckOutcome c = checker.check_walk(*it->second, resp);
    if (!c.ok && reported++ < 3)
      ADD_FAILURE() << what << ": slot " << unsigned{resp.slot} << ", " << c.report;
    by_id.erase(it);
  }
  EXPECT_EQ(checker.walks_checked(), reqs.size());
  EXPECT_EQ(reported, 0u) << what << ": mismatching responses";
}

// The walker's counters against what its responses say.
void check_stats(const CycleWalker& w, const std::vector<WalkResponse>& all) {
  std::uint64_t refs = 0, cycles = 0, pwc_hits = 0, nl = 0, nh = 0, pwc_lookups = 0, filter = 0;
  for (const WalkResponse& r : all) {
    refs += r.result.refs.size();
    filter += r.result.filter_hits;
    cycles += r.cycles;
    pwc_hits += r.caches.guest.level != 0;
    nl += r.caches.nested.size();
    for (const arch::NestedLookup& l : r.caches.nested) nh += l.hit;
    // Every canonical request that misses the guest segment looks the PWC up.
    const bool canonical = r.result.fault.kind != arch::FaultKind::kNonCanonical;
    const bool seg_exec = r.result.fault.kind == arch::FaultKind::kGuestPageFault &&
                          r.result.fault.level == 0;
    pwc_lookups += canonical && !r.result.guest_seg_hit && !seg_exec;
  }
  const WalkerStats& s = w.stats();
  EXPECT_EQ(s.requests, all.size());
  EXPECT_EQ(s.walk_mem_refs, refs);
  EXPECT_EQ(s.walk_cycles + s.segment_cycles, cycles);
  EXPECT_EQ(s.slots_busy_cycles, cycles) << "a slot is busy from its accepting edge to the taking "
                                            "edge";
  EXPECT_EQ(s.pwc_hits, pwc_hits);
  EXPECT_EQ(s.pwc_lookups, pwc_lookups);
  EXPECT_EQ(s.ntlb_lookups, nl);
  EXPECT_EQ(s.ntlb_hits, nh);
  // Once per escaped gPA, as the responses report them (the walker counted them twice before).
  EXPECT_EQ(s.escape_filter_hits, filter);
}

// ---- address spaces ---------------------------------------------------------------------------

struct Space {
  Space(const stub::ScenarioConfig& c) : bounded(machine.memory, kMemoryLimit) {
    scenario = std::make_unique<stub::Scenario>(machine.bus, c);
  }
  tb::DirectMachine machine;
  golden::BoundedMemory bounded;
  std::unique_ptr<stub::Scenario> scenario;
  std::vector<arch::gva_t> special;  // corrupted pages and escaped frames
};

// Bad host frames under the VMM segment: data pages of the region (and, if `root`, the PML4), so
// the escape filter sends their gPAs to the EPT.
void escape_frames(Space& sp, std::mt19937_64& rng, bool root) {
  stub::Scenario& s = *sp.scenario;
  stub::VirtualMachine* vm = s.vm();
  if (vm == nullptr || !arch::uses_vmm_segment(s.config().mode)) return;
  const arch::Segment seg = vm->vmm_segment();
  for (int i = 0; i < 3; ++i) {
    const arch::gva_t va = s.region().lo + (rng() % (s.region().bytes() / arch::kPage4K)) *
                                               arch::kPage4K;
    const std::optional<stub::Leaf> leaf = s.process().mappings().find(va);
    if (!leaf) continue;
    const arch::gpa_t gpa = leaf->translate(va);
    const std::optional<arch::hpa_t> hpa = vm->lookup(gpa);
    if (!seg.contains(gpa) || !hpa) continue;
    s.vmm()->mark_bad_frame(*hpa & ~(arch::kPage4K - 1));
    sp.special.push_back(va);
  }
  if (root && seg.contains(s.process().cr3())) {
    const std::optional<arch::hpa_t> hpa = vm->lookup(s.process().cr3());
    if (hpa) s.vmm()->mark_bad_frame(*hpa);
  }
}

// Corrupts the guest tables of two pages: a large leaf gets a reserved bit (#PF RSVD); the PDE of
// a 4K page points beyond memory (natively a memory error, virtualized an EPT violation).
void corrupt(Space& sp, std::mt19937_64& rng) {
  stub::Scenario& s = *sp.scenario;
  const arch::TranslationContext& ctx = sp.machine.context(0);
  for (int i = 0; i < 2; ++i) {
    const arch::gva_t va = s.region().lo + (rng() % (s.region().bytes() / arch::kPage4K)) *
                                               arch::kPage4K;
    if (ctx.guest_seg.contains(va)) continue;  // the walk never reads these tables
    OverlayMemory probe(sp.bounded);
    arch::GoldenTranslator g(probe);
    const arch::TranslationResult r = g.translate(ctx, arch::Access{va, AccessType::kRead, true});
    if (!r.ok()) continue;
    const arch::MemRef* leaf = nullptr;
    const arch::MemRef* pde = nullptr;
    for (const arch::MemRef& m : r.refs) {
      if (m.target != arch::RefTarget::kGuestEntry || m.write) continue;
      leaf = &m;
      if (m.level == 2) pde = &m;
    }
    if (leaf == nullptr) continue;
    std::uint64_t e = 0;
    if (i == 1 && arch::is_virtualized(ctx.mode)) {
      // The EPT leaf of the final gPA becomes write-without-read: an EPT misconfiguration.
      const arch::MemRef* ept_leaf = nullptr;
      for (const arch::MemRef& m : r.refs)
        if (m.target == arch::RefTarget::kEptEntry && m.for_level == 0 && !m.write) ept_leaf = &m;
      if (ept_leaf != nullptr && ept_leaf->level == 1) {
        sp.machine.memory.read64(ept_leaf->addr, e);
        sp.machine.memory.write64(ept_leaf->addr, (e & ~arch::ept::kR) | arch::ept::kW);
        sp.special.push_back(va);
        continue;
      }
    }
    if (leaf->level == 2) {
      sp.machine.memory.read64(leaf->addr, e);
      sp.machine.memory.write64(leaf->addr, e | (1ull << 13));  // reserved in a 2M/1G leaf
    } else if (pde != nullptr) {
      sp.machine.memory.read64(pde->addr, e);
      sp.machine.memory.write64(pde->addr, (e & ~arch::frame_mask(52)) | kCorruptTable);
    }
    sp.special.push_back(va);
  }
}

// A random access: mostly inside the region, some at its edges, at the segment's edges, on the
// special pages, anywhere canonical, or non-canonical.
arch::Access pick(const Space& sp, std::mt19937_64& rng) {
  const stub::Range reg = sp.scenario->region();
  const arch::Segment& gs = sp.machine.context(0).guest_seg;
  arch::Access a;
  const unsigned p = static_cast<unsigned>(rng() % 100);
  if (p < 55) {
    a.va = reg.lo + rng() % reg.bytes();
  } else if (p < 63) {
    a.va = (rng() % 2 ? reg.lo : reg.hi) - arch::kPage4K + rng() % (2 * arch::kPage4K);
  } else if (p < 71 && gs.enabled()) {
    const std::uint64_t edges[] = {gs.base - 8, gs.base, gs.limit - 8, gs.limit};
    a.va = edges[rng() % 4];
  } else if (p < 82 && !sp.special.empty()) {
    a.va = sp.special[rng() % sp.special.size()] + (rng() % arch::kPage4K & ~7ull);
  } else if (p < 92) {
    a.va = rng() % (1ull << 47);
    if (rng() % 2) a.va |= ~0ull << 47;
  } else {
    a.va = (rng() % (1ull << 47)) | (1ull << (48 + rng() % 15));
  }
  const unsigned t = static_cast<unsigned>(rng() % 20);
  a.type = t < 9 ? AccessType::kRead : t < 16 ? AccessType::kWrite : AccessType::kExecute;
  a.user = rng() % 5 != 0;
  return a;
}

constexpr Mode kModes[] = {Mode::kNative,     Mode::kNativeDs,  Mode::kNested,
                           Mode::kDualDirect, Mode::kVmmDirect, Mode::kGuestDirect,
                           Mode::kFlatNested};
static_assert(std::size(kModes) == arch::kModeCount);
constexpr stub::PagePolicy kGuestPages[] = {stub::PagePolicy::k4K, stub::PagePolicy::k2M,
                                            stub::PagePolicy::k1G};
constexpr PageSize kHostPages[] = {PageSize::k4K, PageSize::k2M, PageSize::k1G};

// Every mode x guest page size (host page sizes rotate), A/D updates and EPT A/D rotating,
// corrupted tables, escaped frames, invalidations between batches: all responses checked.
void mode_matrix(const BenchConfig& bc, unsigned per_space, std::uint64_t seed) {
  Bench bench(bc, nullptr);
  std::mt19937_64 rng(seed);
  std::uint64_t id = 1;
  unsigned index = 0;
  std::vector<WalkResponse> all;
  for (const Mode mode : kModes) {
    for (const stub::PagePolicy gp : kGuestPages) {
      stub::ScenarioConfig c;
      c.mode = mode;
      c.guest_pages = gp;
      c.host_pages = kHostPages[(index + 1) % 3];
      c.footprint = 24ull << 20;
      c.ad_updates = index % 2 == 0;
      c.ept_ad = index % 3 != 1;
      c.preset_ad = index % 5 == 4;
      const std::string what = fmt::format("{} guest {} host {} ad {} ept-ad {}",
                                           arch::to_string(mode), stub::to_string(gp),
                                           arch::to_string(c.host_pages), c.ad_updates, c.ept_ad);
      Space sp(c);
      escape_frames(sp, rng, index % 2 == 1);
      corrupt(sp, rng);
      // A new machine behind the same walker (same VMID and PCID): flush its caches first.
      bench.walker.invalidate(arch::Invalidation{arch::regs::InvOp::kFlushAll, 0, 0, 0});
      sc_core::sc_start(4 * kPeriod);
      bench.memory.set_memory(&sp.bounded);
      const arch::TranslationContext ctx = sp.machine.context(0);
      std::vector<WalkRequest> reqs;
      constexpr unsigned kBatch = 60;
      for (unsigned done = 0; done < per_space; done += kBatch) {
        std::vector<WalkRequest> batch;
        for (unsigned k = 0; k < kBatch; ++k) batch.push_back(WalkRequest{id++, ctx, pick(sp, rng)});
        const std::vector<WalkResponse> got = bench.run(batch);
        check_all(batch, got, sp.bounded, what);
        if (::testing::Test::HasFailure()) return;
        all.insert(all.end(), got.begin(), got.end());
        // An invalidation between batches (walks may still fill from entries read before).
        const arch::regs::InvOp ops[] = {arch::regs::InvOp::kInvlpg, arch::regs::InvOp::kInveptAll,
                                         arch::regs::InvOp::kFlushAll,
                                         arch::regs::InvOp::kInvpcidContext};
        bench.walker.invalidate(
            arch::Invalidation{ops[rng() % 4], pick(sp, rng).va, ctx.pcid, ctx.vmid});
      }
      ++index;
    }
  }
  check_stats(bench.walker, all);
  const WalkerStats& st = bench.walker.stats();
  std::printf("%zu walks checked, %llu edges, %llu refs, pwc %llu/%llu, ntlb %llu/%llu, filter %llu, "
              "faults %llu, port wait %llu, SET_BITS %llu\n",
              all.size(), static_cast<unsigned long long>(bench.walker.edges()),
              static_cast<unsigned long long>(st.walk_mem_refs),
              static_cast<unsigned long long>(st.pwc_hits),
              static_cast<unsigned long long>(st.pwc_lookups),
              static_cast<unsigned long long>(st.ntlb_hits),
              static_cast<unsigned long long>(st.ntlb_lookups),
              static_cast<unsigned long long>(st.escape_filter_hits),
              static_cast<unsigned long long>(st.faults),
              static_cast<unsigned long long>(st.port_wait_cycles),
              static_cast<unsigned long long>(bench.memory.set_bits_ops()));
  EXPECT_GT(bench.walker.stats().pwc_hits, 0u);
  EXPECT_GT(bench.walker.stats().ntlb_hits, 0u);
  EXPECT_GT(bench.walker.stats().escape_filter_hits, 0u);
  EXPECT_GT(bench.memory.set_bits_ops(), 0u);
  for (unsigned k = 1; k < kFaultKindCount; ++k)
    EXPECT_GT(bench.walker.faults_by_kind()[k], 0u) << "fault kind " << k << " never happened";
}

// A native 4K (or nested 4K+4K) walk with caches off, A/D updates off, fixed latency L and no
// back-pressure, timed through the blocking walk() API.
std::vector<WalkResponse> timed_walks(Mode mode, const std::vector<unsigned>& latencies,
                                      std::vector<MemPortEvent>* log) {
  BenchConfig bc;
  bc.walker.pwc = PwcConfig::disabled_all();
  bc.walker.ntlb.geometry = Geometry::disabled();
  bc.bridge.record = true;
  stub::ScenarioConfig c;
  c.mode = mode;
  Space sp(c);
  Bench bench(bc, &sp.bounded);
  std::vector<WalkResponse> out;
  sc_core::sc_spawn([&] {
    std::uint64_t id = 1;
    for (unsigned l : latencies) {
      bench.memory.set_latency(l, l);
      const arch::Access a{sp.scenario->region().lo + 0x1238, AccessType::kRead, true};
      const WalkRequest req{id++, sp.machine.context(0), a};
      out.push_back(bench.walker.walk(req));
      const CheckOutcome check = TranslationChecker(sp.bounded).check_walk(req, out.back());
      EXPECT_TRUE(check.ok) << check.report;
    }
    sc_core::sc_stop();
  });
  sc_core::sc_start(1, sc_core::SC_MS);
  *log = bench.bridge.log();
  return out;
}

}  // namespace

// Native 4K, caches off, no A/D writes, latency L, no back-pressure. Edge 0 = the accepting edge:
//   SEG [0,1), PWC [1,2); per level: GREQ 1 cycle (granted at its ending edge), GWAIT L cycles
//   (the response is sampled L edges after the grant), GCHK 1 cycle: L + 2 per level, 4 levels;
//   DONE 1 cycle (taken at its ending edge). Total 2 + 4 (L + 2) + 1 = 4L + 11.
// The four grants are L + 2 edges apart, the first at edge 3.
TEST(CycleWalker, Native4KWalkTakesTheTableCycles) {
  const std::vector<unsigned> lat = {1, 4, 13};
  std::vector<MemPortEvent> log;
  const std::vector<WalkResponse> r = timed_walks(Mode::kNative, lat, &log);
  ASSERT_EQ(r.size(), lat.size());
  ASSERT_EQ(log.size(), 4 * lat.size());
  for (std::size_t i = 0; i < lat.size(); ++i) {
    const unsigned l = lat[i];
    EXPECT_EQ(r[i].cycles, 4ull * l + 11) << "L = " << l;
    EXPECT_EQ(r[i].result.refs.size(), 4u);
    for (unsigned k = 0; k < 4; ++k) {
      const MemPortEvent& e = log[4 * i + k];
      EXPECT_EQ(e.latency, l);
      EXPECT_EQ(e.response_edge - e.accept_edge, l);
      if (k > 0) {
        EXPECT_EQ(e.accept_edge - log[4 * i + k - 1].accept_edge, l + 2ull);
      }
    }
  }
}

// Nested 4K+4K, caches off (the NTLB and PWC cycles still spent), no A/D writes, latency L:
//   SEG + PWC 2; per guest level: HSEG 1 + NTLB 1 + 4 EPT levels x (EREQ 1 + EWAIT L + ECHK 1)
//   + GREQ 1 + GWAIT L + GCHK 1 = 5L + 12, 4 levels; final gPA: HSEG + NTLB + 4 (L + 2)
//   = 4L + 10; DONE 1. Total 2 + 4 (5L + 12) + 4L + 10 + 1 = 24L + 61, with 24 references.
TEST(CycleWalker, Nested4KWalkTakesTheTableCycles) {
  const std::vector<unsigned> lat = {1, 6};
  std::vector<MemPortEvent> log;
  const std::vector<WalkResponse> r = timed_walks(Mode::kNested, lat, &log);
  ASSERT_EQ(r.size(), lat.size());
  for (std::size_t i = 0; i < lat.size(); ++i) {
    EXPECT_EQ(r[i].cycles, 24ull * lat[i] + 61) << "L = " << lat[i];
    EXPECT_EQ(r[i].result.refs.size(), 24u);
    EXPECT_EQ(r[i].caches.nested.size(), 5u);
  }
}

// Two slots, both waiting for the port, memory ready only in cycles ending at edges 16, 32, ...:
// the grants alternate 0, 1, 0, 1 (a fixed priority would serve slot 0's four references first).
// Requests submitted at time 0 are driven from edge 1: slot 0 accepts at edge 2, slot 1 at 3;
// both are in GREQ well before edge 16, and after each grant (L = 1) a slot is back in GREQ two
// edges later. Slot 0's last grant is at edge 112: response 113, GCHK, DONE taken at 115
// (cycles 113); slot 1's at 128: DONE taken at 131 (cycles 128).
TEST(CycleWalker, RoundRobinArbiterAlternatesTwoSlots) {
  BenchConfig bc;
  bc.walker.slots = 2;
  bc.walker.pwc = PwcConfig::disabled_all();
  bc.bridge.record = true;
  bc.bridge.ready_pattern = [](std::uint64_t edge) { return edge % 16 == 0; };
  stub::ScenarioConfig c;
  c.mode = Mode::kNative;
  Space sp(c);
  Bench bench(bc, &sp.bounded);
  const arch::TranslationContext ctx = sp.machine.context(0);
  const stub::Range reg = sp.scenario->region();
  const std::vector<WalkRequest> reqs = {
      {1, ctx, {reg.lo + 0x10, AccessType::kRead, true}},
      {2, ctx, {reg.lo + (8ull << 20), AccessType::kWrite, true}}};
  const std::vector<WalkResponse> resps = bench.run(reqs);
  check_all(reqs, resps, sp.bounded, "round robin");
  const std::vector<MemPortEvent>& log = bench.bridge.log();
  ASSERT_EQ(log.size(), 8u);
  for (unsigned k = 0; k < 8; ++k) {
    EXPECT_EQ(log[k].tag, k % 2) << "grant " << k;
    EXPECT_EQ(log[k].accept_edge, 16ull * (k + 1)) << "grant " << k;
  }
  ASSERT_EQ(resps.size(), 2u);
  EXPECT_EQ(resps[0].id, 1u);
  EXPECT_EQ(resps[0].slot, 0u);
  EXPECT_EQ(resps[0].cycles, 113u);
  EXPECT_EQ(resps[1].id, 2u);
  EXPECT_EQ(resps[1].slot, 1u);
  EXPECT_EQ(resps[1].cycles, 128u);
}

// A PD-cache entry serves the next walk of the same 2 MiB; INVLPG of another PCID leaves it,
// a flush drops it.
TEST(CycleWalker, InvalidationDropsPagingStructureCacheEntries) {
  BenchConfig bc;
  stub::ScenarioConfig c;
  c.mode = Mode::kNative;
  Space sp(c);
  Bench bench(bc, &sp.bounded);
  const arch::TranslationContext ctx = sp.machine.context(0);
  const arch::gva_t va = sp.scenario->region().lo + 0x5000;
  std::uint64_t id = 1;
  const auto one = [&] {
    const std::vector<WalkRequest> req = {{id++, ctx, {va, AccessType::kRead, true}}};
    const std::vector<WalkResponse> r = bench.run(req);
    check_all(req, r, sp.bounded, "invalidation");
    return r.empty() ? arch::GuestStart{} : r[0].caches.guest;
  };
  EXPECT_EQ(one().level, 0u);
  EXPECT_EQ(one().level, 2u);
  bench.walker.invalidate({arch::regs::InvOp::kInvlpg, va, static_cast<std::uint16_t>(ctx.pcid + 1),
                           ctx.vmid});
  EXPECT_EQ(one().level, 2u);
  bench.walker.invalidate({arch::regs::InvOp::kFlushAll, 0, 0, 0});
  const arch::GuestStart after = one();
  EXPECT_EQ(after.level, 0u);
  EXPECT_EQ(bench.walker.pwc().counters().invalidated[pwc_index(2)] +
                bench.walker.pwc().counters().invalidated[pwc_index(3)] +
                bench.walker.pwc().counters().invalidated[pwc_index(4)],
            3u);
}

// Two slots, fixed latency 3, light back-pressure.
TEST(CycleWalker, ModeMatrixTwoSlotsAgainstGolden) {
  BenchConfig bc;
  bc.walker.slots = 2;
  bc.bridge.stall_percent = 15;
  bc.bridge.seed = 11;
  bc.lat_min = bc.lat_max = 3;
  mode_matrix(bc, 600, 101);
}

// Four slots, random latency 1..24 plus 0..5 extra, 35% back-pressure on the memory port and 20%
// on the response.
TEST(CycleWalker, ModeMatrixFourSlotsStressAgainstGolden) {
  BenchConfig bc;
  bc.walker.slots = 4;
  bc.walker.resp_stall_percent = 20;
  bc.walker.seed = 5;
  bc.bridge.stall_percent = 35;
  bc.bridge.extra_latency_max = 5;
  bc.bridge.seed = 12;
  bc.lat_min = 1;
  bc.lat_max = 24;
  bc.seed = 13;
  mode_matrix(bc, 600, 202);
}

// The golden tests' stub-built random machine (two cores with their own processes or VMs,
// random regions of every page size with holes, demand areas, bad host frames escaped through the
// filter, MAXPHYADDR 52/46, A/D per core and VM), requests of both cores interleaved on one
// walker (its caches are tagged by VMID and PCID), four slots, random latency and back-pressure.
TEST(CycleWalker, StubSpaceRandomAgainstGolden) {
  BenchConfig bc;
  bc.walker.slots = 4;
  bc.walker.resp_stall_percent = 10;
  bc.bridge.stall_percent = 25;
  bc.bridge.extra_latency_max = 3;
  bc.lat_min = 1;
  bc.lat_max = 12;
  Bench bench(bc, nullptr);
  std::vector<WalkResponse> all;
  std::uint64_t id = 1;
  for (unsigned m = 0; m < arch::kModeCount; ++m) {
    const Mode mode = kModes[m];
    golden::StubSpace space(mode, m, 0x5eed + m);
    bench.walker.invalidate(arch::Invalidation{arch::regs::InvOp::kFlushAll, 0, 0, 0});
    sc_core::sc_start(4 * kPeriod);
    bench.memory.set_memory(&space.memory());
    std::mt19937_64 rng(77 + m);
    std::vector<WalkRequest> reqs;
    for (unsigned k = 0; k < 2000; ++k) {
      const unsigned core = static_cast<unsigned>(rng() % space.cores());
      reqs.push_back(WalkRequest{id++, space.context(core), space.pick_access(core, rng)});
    }
    const std::vector<WalkResponse> got = bench.run(reqs);
    check_all(reqs, got, space.memory(), space.describe());
    if (HasFailure()) return;
    all.insert(all.end(), got.begin(), got.end());
  }
  check_stats(bench.walker, all);
}

// trace() puts every wire into a VCD: the slot states, the request, response and memory handshakes.
TEST(CycleWalker, TraceRecordsSlotStatesAndPorts) {
  const std::string base = ::testing::TempDir() + "cycle_walker_trace";
  BenchConfig bc;
  stub::ScenarioConfig c;
  c.mode = Mode::kNested;
  Space sp(c);
  Bench bench(bc, &sp.bounded);
  sc_core::sc_trace_file* tf = sc_core::sc_create_vcd_trace_file(base.c_str());
  tf->set_time_unit(100, sc_core::SC_PS);  // the clock falls at half periods
  bench.walker.trace(tf, "walker");
  bench.sig.trace(tf, "port");
  const std::vector<WalkRequest> reqs = {
      {1, sp.machine.context(0), {sp.scenario->region().lo, AccessType::kRead, true}}};
  check_all(reqs, bench.run(reqs), sp.bounded, "trace");
  sc_core::sc_close_vcd_trace_file(tf);
  std::FILE* f = std::fopen((base + ".vcd").c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string vcd;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) vcd.append(buf, n);
  std::fclose(f);
  std::remove((base + ".vcd").c_str());
  // VCD scopes: "walker" and "port" modules holding the wires.
  for (const char* name : {"module walker", "module port", " slot0_state ", " slot1_state ",
                           " req_valid ", " resp_ready ", " mem_req_addr ", " mem_resp_data ",
                           " inv_valid ", " mem_req_for_level "})
    EXPECT_NE(vcd.find(name), std::string::npos) << name;
}

TEST(CycleWalker, BadConfigurationIsAClearError) {
  CycleWalkerConfig c;
  c.slots = 0;
  EXPECT_THROW(c.validate(), std::invalid_argument);
  c.slots = kMaxWalkSlots + 1;
  EXPECT_THROW(c.validate(), std::invalid_argument);
  MemPortBridgeConfig b;
  b.stall_percent = 100;
  EXPECT_THROW(b.validate(), std::invalid_argument);
  EXPECT_EQ(to_string(WState::W_GAD_WAIT), "W_GAD_WAIT");
  EXPECT_EQ(to_string(WState::W_FAULT), "W_FAULT");
  EXPECT_NE(gtkwave_state_filter().find("10 W_FAULT\n"), std::string::npos);
}

}  // namespace mmuvp::tlm
