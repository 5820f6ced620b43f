// The escape filter in the golden translator (SPEC §2, §3): a gPA inside the VMM segment whose
// frame hits the filter is translated by the EPT (which may remap it), its neighbours keep the
// segment, segment blocks shrink to 4 KiB while the filter holds frames, and a false positive
// costs only a walk because the EPT maps the segment too.
#include <gtest/gtest.h>

#include <string>

#include "arch/escape_filter.h"
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

constexpr std::uint64_t kSegBytes = 4 * arch::kPage1G;  // VMM segment: gPA [0, 4 GiB)
constexpr gpa_t kData = 0x8000'0000ull;                 // 2 MiB guest page, inside the segment
constexpr gpa_t kEscaped = kData + 5 * k4K;             // a bad host frame behind it
constexpr hpa_t kRemap = kVmRamHpa + 0x10'0000'0000ull + 0x7000;  // where the EPT moved it
constexpr gva_t kVa2M = 0x5555'4000'0000ull;                      // maps kData with a 2 MiB page
constexpr gva_t kVa4K = 0x5555'8000'0000ull;                      // 4 KiB page (has a guest PT)
constexpr gpa_t kData4K = 0x9000'0000ull;
// Other frames the VMM declared bad: the filter holds several, as it would in practice.
constexpr gpa_t kOtherBad[] = {0x1234'5000, 0x2345'6000, 0x3456'7000, 0x0fed'c000,
                               0x2222'2000, 0x3333'3000, 0x0777'7000, 0x1111'1000};

class EscapeFilterWalk : public ::testing::TestWithParam<Mode> {
 protected:
  EscapeFilterWalk() : gt_(fx_.mem) {
    fx_.map_guest(kVa2M, kData, PageSize::k2M);
    fx_.back_range(kData, kData + arch::kPage2M, PageSize::k4K);
    fx_.map_ept(kEscaped, kRemap, PageSize::k4K);
    fx_.map_guest(kVa4K, kData4K, PageSize::k4K);
    fx_.back(kData4K, PageSize::k4K);
    filter_.add(kEscaped >> 12);
    for (gpa_t bad : kOtherBad) {
      filter_.add(bad >> 12);
      fx_.map_ept(bad, bad + kVmRamHpa + 0x20'0000'0000ull, PageSize::k4K);
    }
    ctx_ = fx_.context(GetParam());
    ctx_.vmm_seg = {0, kSegBytes, kVmRamHpa};
    ctx_.filter = &filter_;
  }
  TranslationResult at(gva_t va, AccessType t = AccessType::kRead) {
    return gt_.translate(ctx_, {va, t, true});
  }
  bool escaped(gpa_t gpa) const { return filter_.maybe_contains(gpa >> 12); }

  WalkFixture fx_;
  arch::GoldenTranslator gt_;
  arch::EscapeFilter filter_;
  arch::TranslationContext ctx_;
};

TEST_P(EscapeFilterWalk, EscapedFrameWalksTheEptAndGetsTheRemappedFrame) {
  ASSERT_FALSE(escaped(kGuestTablesGpa)) << "test layout: a guest table frame is a false positive";
  const TranslationResult r = at(kVa2M + 5 * k4K + 0x123, AccessType::kWrite);
  ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
  EXPECT_EQ(r.gpa, kEscaped + 0x123);
  EXPECT_EQ(r.hpa, kRemap + 0x123);
  EXPECT_EQ(r.filter_hits, 1);
  EXPECT_FALSE(r.vmm_seg_hit);
  EXPECT_EQ(r.host_size, PageSize::k4K);
  EXPECT_EQ(r.size, PageSize::k4K);
  EXPECT_EQ(r.ept_leaf, fx_.ept_entry(kEscaped, 1));
  // Guest tables by the segment (3 levels, 2M page): 3 guest refs, 3 additions; final: EPT walk.
  std::vector<arch::MemRef> refs;
  for (unsigned l = 4; l >= 2; --l) refs.push_back(guest_ref(fx_.guest_entry_hpa(kVa2M, l), l));
  for (unsigned l = 4; l >= 1; --l) refs.push_back(ept_ref(fx_.ept_entry_hpa(kEscaped, l), l, 0));
  EXPECT_EQ(to_vector(r.refs), refs);
  ASSERT_EQ(r.adds.size(), 3u);
  for (const arch::SegmentAdd& a : r.adds) EXPECT_EQ(a.seg, arch::SegmentKind::kVmm);
}

TEST_P(EscapeFilterWalk, NeighboursUseTheSegmentWith4KBlocks) {
  for (gpa_t gpa : {kEscaped - k4K, kEscaped + k4K}) {
    SCOPED_TRACE(::testing::Message() << "gPA 0x" << std::hex << gpa);
    ASSERT_FALSE(escaped(gpa)) << "test layout: neighbour is a false positive";
    const TranslationResult r = at(kVa2M + (gpa - kData) + 0x40);
    ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
    EXPECT_EQ(r.hpa, gpa + 0x40 + kVmRamHpa);
    EXPECT_TRUE(r.vmm_seg_hit);
    EXPECT_EQ(r.filter_hits, 0);
    EXPECT_EQ(r.read_refs(), 3u);
    EXPECT_EQ(r.adds.size(), 4u);
    EXPECT_EQ(r.host_size, PageSize::k4K);  // the filter holds frames: no large segment blocks
    EXPECT_EQ(r.size, PageSize::k4K);
  }
}

TEST_P(EscapeFilterWalk, WithoutFilterOrWithAnEmptyOneSegmentBlocksAreLarge) {
  const gva_t va = kVa2M + 4 * k4K;
  ctx_.filter = nullptr;
  TranslationResult r = at(va);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.host_size, PageSize::k1G);
  EXPECT_EQ(r.size, PageSize::k2M);

  arch::EscapeFilter empty;
  ctx_.filter = &empty;
  r = at(va);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.host_size, PageSize::k1G);
  // ... and the formerly escaped frame now takes the segment (the remap is bypassed).
  r = at(kVa2M + 5 * k4K);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.vmm_seg_hit);
  EXPECT_EQ(r.hpa, kEscaped + kVmRamHpa);
}

TEST_P(EscapeFilterWalk, FalsePositiveWalksAndStillGetsTheSegmentFrame) {
  // First frame of the segment that the filter reports but nobody added.
  gpa_t fp = 0;
  bool found = false;
  for (gpa_t f = 0; f < kSegBytes && !found; f += k4K) {
    if (!escaped(f) || f == kEscaped) continue;
    bool added = false;
    for (gpa_t bad : kOtherBad) added = added || bad == f;
    if (!added) {
      fp = f;
      found = true;
    }
  }
  ASSERT_TRUE(found) << "no false positive in the segment";
  const gva_t va = 0x6666'0000'0000ull;
  fx_.map_guest(va, fp, PageSize::k4K);
  fx_.back(fp, PageSize::k4K);

  const TranslationResult r = at(va + 0x88);
  ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
  EXPECT_GE(r.filter_hits, 1);
  EXPECT_FALSE(r.vmm_seg_hit);
  EXPECT_EQ(r.hpa, fp + 0x88 + kVmRamHpa);  // the EPT maps the segment at the same place
  EXPECT_EQ(r.hpa, ctx_.vmm_seg.translate(fp + 0x88));
  EXPECT_EQ(r.refs[r.refs.size() - 1], ept_ref(fx_.ept_entry_hpa(fp, 1), 1, 0));
}

TEST_P(EscapeFilterWalk, EscapedGuestTableFrameWalksTheEptForThatLevel) {
  const gpa_t pt = fx_.guest_entry_gpa(kVa4K, 1) & ~(k4K - 1);  // the guest PT's frame
  ASSERT_FALSE(escaped(pt));
  ASSERT_FALSE(escaped(kData4K));
  filter_.add(pt >> 12);
  const TranslationResult r = at(kVa4K + 0x10);
  ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
  EXPECT_EQ(r.filter_hits, 1);
  EXPECT_EQ(r.read_refs(), 8u);  // 4 guest entries + 4 EPT entries for the PT's gPA
  std::vector<arch::MemRef> refs;
  for (unsigned l = 4; l >= 2; --l) refs.push_back(guest_ref(fx_.guest_entry_hpa(kVa4K, l), l));
  const gpa_t pte_gpa = fx_.guest_entry_gpa(kVa4K, 1);
  for (unsigned l = 4; l >= 1; --l) refs.push_back(ept_ref(fx_.ept_entry_hpa(pte_gpa, l), l, 1));
  refs.push_back(guest_ref(fx_.guest_entry_hpa(kVa4K, 1), 1));
  EXPECT_EQ(to_vector(r.refs), refs);
  EXPECT_EQ(r.adds.size(), 4u);  // PML4, PDPT, PD by the segment + the final gPA
  EXPECT_TRUE(r.vmm_seg_hit);
  EXPECT_EQ(r.hpa, kData4K + 0x10 + kVmRamHpa);
}

INSTANTIATE_TEST_SUITE_P(Golden, EscapeFilterWalk,
                         ::testing::Values(Mode::kVmmDirect, Mode::kDualDirect),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           return info.param == Mode::kVmmDirect ? "vmm_direct" : "dual_direct";
                         });

TEST(EscapeFilterWalk, DualDirectGuestSegmentHitOnAnEscapedFrame) {
  WalkFixture fx;
  arch::GoldenTranslator gt(fx.mem);
  fx.back_range(kData, kData + arch::kPage2M, PageSize::k4K);
  fx.map_ept(kEscaped, kRemap, PageSize::k4K);
  arch::EscapeFilter filter;
  filter.add(kEscaped >> 12);
  arch::TranslationContext ctx = fx.context(Mode::kDualDirect);
  ctx.guest_seg = {kVa2M, kVa2M + arch::kPage2M, kData - kVa2M};
  ctx.vmm_seg = {0, kSegBytes, kVmRamHpa};
  ctx.filter = &filter;

  const TranslationResult r = gt.translate(ctx, {kVa2M + 5 * k4K + 8, AccessType::kRead, true});
  ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
  EXPECT_TRUE(r.guest_seg_hit);
  EXPECT_FALSE(r.vmm_seg_hit);
  EXPECT_EQ(r.filter_hits, 1);
  EXPECT_EQ(r.read_refs(), 4u);
  EXPECT_EQ(r.adds.size(), 1u);
  EXPECT_EQ(r.hpa, kRemap + 8);
}

TEST(EscapeFilterWalk, ModesWithoutVmmSegmentIgnoreTheFilter) {
  for (Mode mode : {Mode::kNested, Mode::kGuestDirect}) {
    SCOPED_TRACE(std::string(arch::to_string(mode)));
    WalkFixture fx;
    arch::GoldenTranslator gt(fx.mem);
    fx.map_guest(kVa2M, kData, PageSize::k2M);
    fx.back_range(kData, kData + arch::kPage2M, PageSize::k4K);
    fx.map_ept(kEscaped, kRemap, PageSize::k4K);
    arch::EscapeFilter filter;
    filter.add(kEscaped >> 12);
    filter.add(kData >> 12);
    arch::TranslationContext ctx = fx.context(mode);
    ctx.vmm_seg = {0, kSegBytes, kVmRamHpa};
    ctx.filter = &filter;
    const TranslationResult r = gt.translate(ctx, {kVa2M + 5 * k4K, AccessType::kRead, true});
    ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
    EXPECT_EQ(r.filter_hits, 0);
    EXPECT_EQ(r.hpa, kRemap);
    EXPECT_TRUE(r.adds.empty());
  }
}

}  // namespace
}  // namespace mmuvp::golden
