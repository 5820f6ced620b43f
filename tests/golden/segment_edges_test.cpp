// Direct-segment edges for the golden translator (SPEC §2): BASE <= a < LIMIT, BASE == LIMIT
// disables, a hit replaces its dimension (seed Table I), a miss falls back to paging for that
// dimension only, and the guest segment maps no code.
#include <gtest/gtest.h>

#include <string>

#include "arch/golden_translator.h"
#include "tests/golden/golden_test_util.h"
#include "tests/golden/walk_fixture.h"

namespace mmuvp::golden {
namespace {

using arch::AccessType;
using arch::Mode;
using arch::PageSize;
using arch::TranslationResult;
constexpr std::uint64_t k4K = arch::kPage4K;

std::size_t count_refs(const TranslationResult& r, arch::RefTarget t, int for_level = -1) {
  std::size_t n = 0;
  for (const arch::MemRef& m : r.refs)
    n += m.target == t && (for_level < 0 || m.for_level == for_level) ? 1 : 0;
  return n;
}

std::string mode_name(const ::testing::TestParamInfo<Mode>& info) {
  std::string n(arch::to_string(info.param));
  for (char& ch : n)
    if (ch == '-') ch = '_';
  return n;
}

// ---- guest segment ------------------------------------------------------------------------------

constexpr gva_t kGBase = 0x40'0000'3000ull;  // not 2M aligned: blocks are 4K
constexpr gva_t kGLimit = kGBase + 0x20'0000;
constexpr gpa_t kGSegGpa = 0x5'0000'0000ull;   // gPA of BASE through the segment
constexpr gpa_t kPagedGpa = 0x6'0000'0000ull;  // gPAs of the paged neighbours

class GuestSegmentEdges : public ::testing::TestWithParam<Mode> {
 protected:
  GuestSegmentEdges() : fx_(options()), gt_(fx_.mem) {
    const gva_t pages[] = {kGBase - k4K, kGBase, kGLimit - k4K, kGLimit};
    for (unsigned i = 0; i < 4; ++i) fx_.map_guest(pages[i], kPagedGpa + i * k4K, PageSize::k4K);
    if (virt()) {
      fx_.back_range(kGSegGpa, kGSegGpa + (kGLimit - kGBase), PageSize::k4K);
      fx_.back_range(kPagedGpa, kPagedGpa + 4 * k4K, PageSize::k4K);
    }
    ctx_ = fx_.context(GetParam());
    ctx_.guest_seg = {kGBase, kGLimit, kGSegGpa - kGBase};
    ctx_.vmm_seg = {0, 0x100'0000'0000ull, kVmRamHpa};  // dual-direct: final gPA by segment
  }
  FixtureOptions options() const {
    FixtureOptions o;
    o.virtualized = virt();
    return o;
  }
  bool virt() const { return arch::is_virtualized(GetParam()); }
  hpa_t host(gpa_t gpa) const { return virt() ? gpa + kVmRamHpa : gpa; }
  TranslationResult at(gva_t va, AccessType t = AccessType::kRead, bool user = true) {
    return gt_.translate(ctx_, {va, t, user});
  }
  void expect_segment(gva_t va) {
    SCOPED_TRACE(::testing::Message() << "segment hit at 0x" << std::hex << va);
    const TranslationResult r = at(va);
    ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
    EXPECT_TRUE(r.guest_seg_hit);
    EXPECT_EQ(r.gpa, va - kGBase + kGSegGpa);
    EXPECT_EQ(r.hpa, host(r.gpa));
    EXPECT_EQ(count_refs(r, arch::RefTarget::kGuestEntry), 0u);
    ASSERT_GE(r.adds.size(), 1u);
    EXPECT_EQ(r.adds[0], (arch::SegmentAdd{arch::SegmentKind::kGuest, va, r.gpa}));
    EXPECT_EQ(r.guest_size, PageSize::k4K);
  }
  void expect_walk(gva_t va, gpa_t gpa) {
    SCOPED_TRACE(::testing::Message() << "walk at 0x" << std::hex << va);
    const TranslationResult r = at(va);
    ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
    EXPECT_FALSE(r.guest_seg_hit);
    EXPECT_EQ(r.gpa, gpa);
    EXPECT_EQ(r.hpa, host(gpa));
    EXPECT_EQ(count_refs(r, arch::RefTarget::kGuestEntry), 4u);
    for (const arch::SegmentAdd& a : r.adds) EXPECT_NE(a.seg, arch::SegmentKind::kGuest);
  }

  WalkFixture fx_;
  arch::GoldenTranslator gt_;
  arch::TranslationContext ctx_;
};

TEST_P(GuestSegmentEdges, BaseAndLimitMinusOneHit) {
  expect_segment(kGBase);
  expect_segment(kGBase + 0x1234);
  expect_segment(kGLimit - 1);
}

TEST_P(GuestSegmentEdges, LimitAndBelowBaseWalk) {
  expect_walk(kGLimit, kPagedGpa + 3 * k4K);
  expect_walk(kGBase - 1, kPagedGpa + 0xfff);
}

TEST_P(GuestSegmentEdges, BaseEqualLimitDisables) {
  ctx_.guest_seg.limit = ctx_.guest_seg.base;
  expect_walk(kGBase, kPagedGpa + k4K);
  expect_walk(kGBase + 0x10, kPagedGpa + k4K + 0x10);
}

TEST_P(GuestSegmentEdges, FetchInsideFaultsWithoutReferences) {
  for (bool user : {true, false}) {
    for (gva_t va : {kGBase, kGLimit - 1}) {
      const TranslationResult r = at(va, AccessType::kExecute, user);
      const std::uint32_t code = arch::pf::kP | arch::pf::kI | (user ? arch::pf::kU : 0);
      EXPECT_EQ(r.fault, make_fault(arch::FaultKind::kGuestPageFault, arch::FaultStage::kFinal, 0,
                                    code, va, 0));
      EXPECT_TRUE(r.refs.empty());
      EXPECT_TRUE(r.adds.empty());
    }
  }
  // The paged neighbour is executable: only the segment maps no code.
  const TranslationResult r = at(kGLimit, AccessType::kExecute, true);
  ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
  EXPECT_TRUE(r.perms.x);
}

TEST_P(GuestSegmentEdges, WritesAndSupervisorAccessesHit) {
  for (bool user : {true, false}) {
    const TranslationResult r = at(kGBase + 8, AccessType::kWrite, user);
    ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
    EXPECT_TRUE(r.guest_seg_hit);
    EXPECT_EQ(r.perms, (arch::Perms{true, true, false, true}));
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, GuestSegmentEdges,
                         ::testing::Values(Mode::kNativeDs, Mode::kDualDirect, Mode::kGuestDirect),
                         mode_name);

// ---- VMM segment --------------------------------------------------------------------------------

constexpr gpa_t kVBase = 0x3'0000'5000ull;
constexpr gpa_t kVLimit = kVBase + 0x40'0000;
constexpr hpa_t kVOffset = 0x80'0000'0000ull;  // differs from the EPT's placement (kVmRamHpa)
constexpr gva_t kVa0 = 0x7f00'0000'0000ull;    // gVA pages mapping to the gPAs below

class VmmSegmentEdges : public ::testing::TestWithParam<Mode> {
 protected:
  VmmSegmentEdges() : gt_(fx_.mem) {
    const gpa_t pages[] = {kVBase, kVLimit - k4K, kVLimit, kVBase - k4K};
    for (unsigned i = 0; i < 4; ++i) {
      fx_.map_guest(kVa0 + i * k4K, pages[i], PageSize::k4K);
      fx_.back(pages[i], PageSize::k4K);
    }
    ctx_ = fx_.context(GetParam());
    ctx_.vmm_seg = {kVBase, kVLimit, kVOffset};
  }
  // gVA of gPA `gpa` (one of the four mapped pages, any offset).
  static gva_t va_of(unsigned page, std::uint64_t offset) { return kVa0 + page * k4K + offset; }
  TranslationResult at(gva_t va) { return gt_.translate(ctx_, {va, AccessType::kRead, true}); }
  void expect_segment(gva_t va, gpa_t gpa) {
    SCOPED_TRACE(::testing::Message() << "VMM segment hit for gPA 0x" << std::hex << gpa);
    const TranslationResult r = at(va);
    ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
    EXPECT_EQ(r.gpa, gpa);
    EXPECT_TRUE(r.vmm_seg_hit);
    EXPECT_EQ(r.hpa, gpa + kVOffset);
    EXPECT_EQ(count_refs(r, arch::RefTarget::kEptEntry, 0), 0u);
    ASSERT_FALSE(r.adds.empty());
    EXPECT_EQ(r.adds[r.adds.size() - 1],
              (arch::SegmentAdd{arch::SegmentKind::kVmm, gpa, gpa + kVOffset}));
    EXPECT_EQ(r.read_refs(), 20u);  // guest tables lie outside the segment: 4 x (4 + 1)
  }
  void expect_ept(gva_t va, gpa_t gpa) {
    SCOPED_TRACE(::testing::Message() << "EPT for gPA 0x" << std::hex << gpa);
    const TranslationResult r = at(va);
    ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
    EXPECT_EQ(r.gpa, gpa);
    EXPECT_FALSE(r.vmm_seg_hit);
    EXPECT_EQ(r.hpa, gpa + kVmRamHpa);
    EXPECT_EQ(count_refs(r, arch::RefTarget::kEptEntry, 0), 4u);
    EXPECT_TRUE(r.adds.empty());
    EXPECT_EQ(r.read_refs(), 24u);
  }

  WalkFixture fx_;
  arch::GoldenTranslator gt_;
  arch::TranslationContext ctx_;
};

TEST_P(VmmSegmentEdges, BaseAndLimitMinusOneHit) {
  expect_segment(va_of(0, 0), kVBase);
  expect_segment(va_of(1, 0xfff), kVLimit - 1);
}

TEST_P(VmmSegmentEdges, LimitAndBelowBaseWalkTheEpt) {
  expect_ept(va_of(2, 0), kVLimit);
  expect_ept(va_of(3, 0xfff), kVBase - 1);
}

TEST_P(VmmSegmentEdges, BaseEqualLimitDisables) {
  ctx_.vmm_seg.limit = ctx_.vmm_seg.base;
  expect_ept(va_of(0, 0), kVBase);
  expect_ept(va_of(1, 0xfff), kVLimit - 1);
}

TEST_P(VmmSegmentEdges, SegmentOverTheGuestTablesOnly) {
  // Tables (gPA 2 MiB..) inside the segment, data outside: 4 guest refs + 4 additions, then a
  // 4-reference EPT walk for the final gPA.
  ctx_.vmm_seg = {0, kVBase - k4K, kVmRamHpa};
  const TranslationResult r = at(va_of(0, 0x10));
  ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
  EXPECT_EQ(r.read_refs(), 8u);
  EXPECT_EQ(count_refs(r, arch::RefTarget::kEptEntry, 0), 4u);
  EXPECT_EQ(r.adds.size(), 4u);
  for (const arch::SegmentAdd& a : r.adds) EXPECT_EQ(a.seg, arch::SegmentKind::kVmm);
  EXPECT_FALSE(r.vmm_seg_hit);
  EXPECT_EQ(r.hpa, kVBase + 0x10 + kVmRamHpa);
}

INSTANTIATE_TEST_SUITE_P(Golden, VmmSegmentEdges,
                         ::testing::Values(Mode::kVmmDirect, Mode::kDualDirect), mode_name);

// ---- dual-direct: each dimension independently -----------------------------------------------

TEST(DualDirect, GuestSegmentHitWithGpaOutsideVmmSegmentWalksTheEpt) {
  WalkFixture fx;
  arch::GoldenTranslator gt(fx.mem);
  const gva_t va = 0x1000'0000'0000ull;
  const gpa_t gpa = 0x9'0000'0000ull;
  fx.back(gpa, PageSize::k2M);
  arch::TranslationContext ctx = fx.context(Mode::kDualDirect);
  ctx.guest_seg = {va, va + arch::kPage1G, gpa - va};
  ctx.vmm_seg = {0, 0x8'0000'0000ull, kVmRamHpa};  // ends below gpa

  const TranslationResult r = gt.translate(ctx, {va + 0x12345, AccessType::kWrite, true});
  ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
  EXPECT_TRUE(r.guest_seg_hit);
  EXPECT_FALSE(r.vmm_seg_hit);
  EXPECT_EQ(r.gpa, gpa + 0x12345);
  EXPECT_EQ(r.hpa, gpa + 0x12345 + kVmRamHpa);
  const std::vector<arch::MemRef> refs = {ept_ref(fx.ept_entry_hpa(gpa, 4), 4, 0),
                                          ept_ref(fx.ept_entry_hpa(gpa, 3), 3, 0),
                                          ept_ref(fx.ept_entry_hpa(gpa, 2), 2, 0)};
  EXPECT_EQ(to_vector(r.refs), refs);
  const std::vector<arch::SegmentAdd> adds = {
      {arch::SegmentKind::kGuest, va + 0x12345, gpa + 0x12345}};
  EXPECT_EQ(to_vector(r.adds), adds);
  EXPECT_EQ(r.guest_size, PageSize::k1G);
  EXPECT_EQ(r.host_size, PageSize::k2M);
  EXPECT_EQ(r.size, PageSize::k2M);

  // Moving the VMM segment over the gPA makes it a 0-reference, 2-addition translation.
  ctx.vmm_seg.limit = 0x10'0000'0000ull;
  const TranslationResult both = gt.translate(ctx, {va + 0x12345, AccessType::kWrite, true});
  ASSERT_TRUE(both.ok());
  EXPECT_TRUE(both.refs.empty());
  EXPECT_EQ(both.adds.size(), 2u);
  EXPECT_EQ(both.hpa, va + 0x12345 + ctx.guest_seg.offset + ctx.vmm_seg.offset);
  EXPECT_EQ(both.size, PageSize::k1G);
}

}  // namespace
}  // namespace mmuvp::golden
