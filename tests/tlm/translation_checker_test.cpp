// The golden cross-check (tlm/translation_checker.h) on stub-built machines: a model walker (the
// golden translator with a real paging-structure cache and nested TLB, recording the values its
// references saw, as the LT walker does) passes it in every mode with the caches on; and every
// kind of error a walker could make is caught: a wrong reference, a wrong result, a value that
// memory does not hold, a stale nested-TLB or PWC entry, a wrong TLB hit.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "arch/golden_translator.h"
#include "tests/golden/stub_space.h"
#include "tlm/tlb.h"
#include "tlm/translation_checker.h"
#include "tlm/walk_cache_set.h"

namespace mmuvp::tlm {
namespace {

using arch::Mode;

// Memory as a walker sees it: reads and A/D updates recorded with the value they saw.
class RecordingMemory final : public arch::PhysMem {
 public:
  RecordingMemory(arch::PhysMem& m, WalkResponse& r) : m_(m), r_(r) {}
  bool read64(std::uint64_t pa, std::uint64_t& v) override {
    const bool ok = m_.read64(pa, v);
    r_.values.push(ok ? v : 0);
    return ok;
  }
  bool write64(std::uint64_t pa, std::uint64_t v) override {
    std::uint64_t old = 0;
    m_.read64(pa, old);
    r_.values.push(old);
    return m_.write64(pa, v);
  }

 private:
  arch::PhysMem& m_;
  WalkResponse& r_;
};

// One walk by the model walker.
WalkResponse model_walk(arch::PhysMem& mem, WalkCacheSet& caches, const WalkRequest& req) {
  WalkResponse resp;
  resp.id = req.id;
  RecordingMemory rec(mem, resp);
  arch::GoldenTranslator g(rec);
  caches.begin_walk(&resp.caches);
  resp.result = g.translate(req.ctx, req.access, &caches);
  caches.begin_walk(nullptr);
  return resp;
}

constexpr Mode kModes[] = {Mode::kNative,     Mode::kNativeDs,  Mode::kNested,
                           Mode::kDualDirect, Mode::kVmmDirect, Mode::kGuestDirect,
                           Mode::kFlatNested};
static_assert(std::size(kModes) == arch::kModeCount);

class CheckerModes : public ::testing::TestWithParam<Mode> {};

// The model walker with caches and a TLB over a stub-built machine: every walk and every TLB hit
// passes the check, and the caches really were used (so the replay path is exercised).
TEST_P(CheckerModes, ModelWalkerPassesWithCachesOn) {
  const Mode mode = GetParam();
  std::uint64_t walks = 0, hits = 0, pwc_hits = 0, ntlb_hits = 0, faults = 0;
  for (unsigned variant = 0; variant < 2; ++variant) {
    golden::StubSpace space(mode, variant, 0xC4EC + variant);
    TranslationChecker checker(space.memory());
    std::mt19937_64 rng(variant + 7);
    std::vector<WalkCacheSet> caches;
    std::vector<Tlb> tlbs;
    for (unsigned c = 0; c < space.cores(); ++c) {
      caches.emplace_back(PwcConfig{}, NestedTlbConfig{});
      tlbs.emplace_back(TlbConfig{});
    }
    for (unsigned i = 0; i < 6000; ++i) {
      const unsigned core = rng() % space.cores();
      if (rng() % 500 == 0) {
        space.switch_process(core, rng);
        caches[core].invalidate({arch::regs::InvOp::kFlushAll});
      }
      const arch::TranslationContext& ctx = space.context(core);
      const arch::Access a = space.pick_access(core, rng);
      const TlbLookup l = tlbs[core].lookup(a.va, ctx.vmid, ctx.pcid, a.type);
      if (l.hit() && l.entry->perms.allow(a.type, a.user)) {
        const CheckOutcome o = checker.check_hit(ctx, a, *l.entry);
        ASSERT_TRUE(o.ok) << o.report;
        ++hits;
        continue;
      }
      const WalkRequest req{i, ctx, a};
      const WalkResponse resp = model_walk(space.memory(), caches[core], req);
      const CheckOutcome o = checker.check_walk(req, resp);
      ASSERT_TRUE(o.ok) << o.report;
      ++walks;
      faults += resp.result.ok() ? 0 : 1;
      pwc_hits += resp.caches.guest.level != 0 ? 1 : 0;
      for (const arch::NestedLookup& n : resp.caches.nested) ntlb_hits += n.hit ? 1 : 0;
      if (resp.result.ok()) tlbs[core].fill(tlb_entry_for(ctx, a.va, resp.result));
    }
    EXPECT_EQ(checker.mismatches(), 0u);
  }
  EXPECT_GT(walks, 1000u);
  EXPECT_GT(hits, 100u);
  EXPECT_GT(faults, 0u);
  if (mode != Mode::kDualDirect) {
    EXPECT_GT(pwc_hits, 0u);
  }
  if (arch::is_virtualized(mode) && mode != Mode::kDualDirect) {
    EXPECT_GT(ntlb_hits, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(AllModes, CheckerModes, ::testing::ValuesIn(kModes),
                         [](const auto& info) {
                           std::string n(arch::to_string(info.param));
                           for (char& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

// A nested machine and one successful walk with the caches warm, to corrupt in the tests below.
struct Fixture {
  golden::StubSpace space{Mode::kNested, 0, 0xBAD};
  WalkCacheSet caches{PwcConfig{}, NestedTlbConfig{}};
  std::mt19937_64 rng{3};

  // A request that walks successfully with at least `min_refs` references.
  std::pair<WalkRequest, WalkResponse> walk(std::size_t min_refs) {
    for (unsigned i = 0; i < 100000; ++i) {
      const WalkRequest req{i, space.context(0), space.pick_access(0, rng)};
      WalkResponse resp = model_walk(space.memory(), caches, req);
      if (resp.result.ok() && resp.result.refs.size() >= min_refs) return {req, resp};
    }
    ADD_FAILURE() << "no successful walk found";
    return {};
  }
};

TEST(TranslationChecker, CatchesAWrongReferenceAddress) {
  Fixture f;
  auto [req, resp] = f.walk(4);
  TranslationChecker checker(f.space.memory());
  ASSERT_TRUE(checker.check_walk(req, resp).ok);
  arch::FixedList<arch::MemRef, arch::kMaxRefs> refs;
  for (std::size_t i = 0; i < resp.result.refs.size(); ++i) {
    arch::MemRef r = resp.result.refs[i];
    if (i == 1) r.addr += 8;
    refs.push(r);
  }
  resp.result.refs = refs;
  const CheckOutcome o = checker.check_walk(req, resp);
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.report.find("references"), std::string::npos) << o.report;
  EXPECT_EQ(checker.mismatches(), 1u);
}

TEST(TranslationChecker, CatchesAWrongHostAddressAndPermissions) {
  Fixture f;
  auto [req, resp] = f.walk(1);
  TranslationChecker checker(f.space.memory());
  WalkResponse bad = resp;
  bad.result.hpa ^= 0x1000;
  EXPECT_FALSE(checker.check_walk(req, bad).ok);
  bad = resp;
  bad.result.perms.u = !bad.result.perms.u;
  const CheckOutcome o = checker.check_walk(req, bad);
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.report.find("permissions"), std::string::npos) << o.report;
}

TEST(TranslationChecker, CatchesAValueMemoryDoesNotHold) {
  Fixture f;
  auto [req, resp] = f.walk(2);
  TranslationChecker checker(f.space.memory());
  // The leaf's frame as the walker claims to have read it: the replay follows the value, so the
  // result agrees with it; the value check against memory catches it.
  WalkResponse bad = resp;
  arch::FixedList<std::uint64_t, arch::kMaxRefs> values;
  std::size_t leaf = 0;
  for (std::size_t i = 0; i < resp.result.refs.size(); ++i)
    if (resp.result.refs[i].target == arch::RefTarget::kGuestEntry && !resp.result.refs[i].write)
      leaf = i;
  for (std::size_t i = 0; i < resp.values.size(); ++i)
    values.push(i == leaf ? resp.values[i] ^ (1ull << 40) : resp.values[i]);
  bad.values = values;
  const CheckOutcome o = checker.check_walk(req, bad);
  EXPECT_FALSE(o.ok) << "a corrupted leaf value went unnoticed";
}

// A cache hit whose content is wrong: the replay agrees (the walker followed its cache), the full
// walk does not.
class LyingCaches final : public arch::WalkCaches {
 public:
  explicit LyingCaches(WalkCacheSet& real) : real_(real) {}
  arch::GuestStart guest_start(const arch::TranslationContext& c, arch::gva_t va) override {
    return real_.guest_start(c, va);
  }
  bool nested_lookup(const arch::TranslationContext& c, arch::gpa_t gpa, std::uint64_t need,
                     arch::NestedHit& out) override {
    if (!real_.nested_lookup(c, gpa, need, out)) return false;
    out.hpa += arch::page_bytes(out.size);  // stale: the page moved
    return true;
  }
  void guest_fill(const arch::TranslationContext&, unsigned, arch::gva_t, std::uint64_t,
                  const arch::Perms&) override {}
  void nested_fill(const arch::TranslationContext&, const arch::NestedHit&) override {}

 private:
  WalkCacheSet& real_;
};

TEST(TranslationChecker, CatchesAStaleNestedTlbEntry) {
  Fixture f;
  auto [req, warm] = f.walk(1);
  (void)warm;
  // The same access again: the nested TLB now holds the final gPA's page.
  WalkResponse resp;
  RecordingMemory rec(f.space.memory(), resp);
  arch::GoldenTranslator g(rec);
  LyingCaches lying(f.caches);
  f.caches.begin_walk(&resp.caches);
  resp.result = g.translate(req.ctx, req.access, &lying);
  f.caches.begin_walk(nullptr);
  bool any_hit = false;
  for (const arch::NestedLookup& n : resp.caches.nested) any_hit |= n.hit;
  ASSERT_TRUE(any_hit);
  // The recorded hit must carry the lie, as a walker would report what it used.
  for (arch::NestedLookup& n : resp.caches.nested)
    if (n.hit) n.entry.hpa += arch::page_bytes(n.entry.size);
  TranslationChecker checker(f.space.memory());
  const CheckOutcome o = checker.check_walk(req, resp);
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.report.find("full walk"), std::string::npos) << o.report;
}

TEST(TranslationChecker, CatchesAWrongTlbHit) {
  Fixture f;
  auto [req, resp] = f.walk(1);
  const TlbEntry e = tlb_entry_for(req.ctx, req.access.va, resp.result);
  TranslationChecker checker(f.space.memory());
  EXPECT_TRUE(checker.check_hit(req.ctx, req.access, e).ok);
  TlbEntry bad = e;
  bad.hpa += arch::page_bytes(bad.size);
  EXPECT_FALSE(checker.check_hit(req.ctx, req.access, bad).ok);
  bad = e;
  bad.perms.w = !bad.perms.w;
  EXPECT_FALSE(checker.check_hit(req.ctx, req.access, bad).ok);
  bad = e;
  bad.pcid = static_cast<std::uint16_t>(e.pcid + 1);
  bad.global = false;
  EXPECT_FALSE(checker.check_hit(req.ctx, req.access, bad).ok);
  EXPECT_EQ(checker.mismatches(), 3u);
}

}  // namespace
}  // namespace mmuvp::tlm
