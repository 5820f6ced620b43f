// Accessed/dirty updates of the golden translator (SPEC §1, SDM §4.8 and §29.3.5): A on every guest
// entry used and D on the leaf of a write, each as one locked read-modify-write reference right
// after the entry's read; EPT A/D only with EPTP bit 6, where guest-table accesses count as EPT
// writes; without it an A/D update needs EPT write permission on the guest table; and with A/D
// updates off the walk writes nothing at all.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "arch/golden_translator.h"
#include "arch/pte.h"
#include "tests/golden/golden_test_util.h"
#include "tests/golden/walk_fixture.h"

namespace mmuvp::golden {
namespace {

namespace ept = arch::ept;
namespace eptq = arch::eptq;
namespace pte = arch::pte;
using arch::AccessType;
using arch::FaultKind;
using arch::FaultStage;
using arch::Mode;
using arch::PageSize;
using arch::TranslationResult;

constexpr gva_t kVa = 0x0000'4567'89ab'c123ull;
constexpr gva_t kVa2M = 0x0000'5000'0040'0000ull + 0x3'2100;
constexpr gpa_t kData = 0x81'0000'7000ull;  // EPT PML4 slot 1 (tables use slot 0)
constexpr gpa_t kData2M = 0x82'0020'0000ull;

std::size_t writes(const TranslationResult& r) { return r.refs.size() - r.read_refs(); }

// ---- native ------------------------------------------------------------------------------------

class NativeAd : public ::testing::Test {
 protected:
  NativeAd() : fx_(native()), gt_(fx_.mem) {
    fx_.map_guest(kVa & ~0xfffull, kData, PageSize::k4K);
    fx_.map_guest(kVa2M & ~(arch::kPage2M - 1), kData2M, PageSize::k2M);
    ctx_ = fx_.context(Mode::kNative);
    ctx_.ad_updates = true;
  }
  static FixtureOptions native() {
    FixtureOptions o;
    o.virtualized = false;
    return o;
  }
  TranslationResult run(gva_t va, AccessType t, bool user = true) {
    return gt_.translate(ctx_, {va, t, user});
  }
  // Reads of levels 4..last, each followed by its RMW when `rmw` holds for that level.
  std::vector<arch::MemRef> refs(gva_t va, unsigned last, std::vector<bool> rmw) const {
    std::vector<arch::MemRef> out;
    for (unsigned l = 4; l >= last; --l) {
      out.push_back(guest_ref(fx_.guest_entry_hpa(va, l), l));
      if (rmw[4 - l]) out.push_back(guest_ref(fx_.guest_entry_hpa(va, l), l, true));
    }
    return out;
  }

  WalkFixture fx_;
  arch::GoldenTranslator gt_;
  arch::TranslationContext ctx_;
};

TEST_F(NativeAd, ReadSetsAccessedTopDownThenNothingTheSecondTime) {
  std::uint64_t before[5];
  for (unsigned l = 1; l <= 4; ++l) before[l] = fx_.guest_entry(kVa, l);
  TranslationResult r = run(kVa, AccessType::kRead);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(to_vector(r.refs), refs(kVa, 1, {true, true, true, true}));
  for (unsigned l = 1; l <= 4; ++l) EXPECT_EQ(fx_.guest_entry(kVa, l), before[l] | pte::kA);
  EXPECT_EQ(r.guest_leaf, before[1]);  // the entry as read, before its update

  const std::vector<std::uint8_t> snap = fx_.snapshot();
  r = run(kVa, AccessType::kRead);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(to_vector(r.refs), refs(kVa, 1, {false, false, false, false}));
  EXPECT_EQ(fx_.snapshot(), snap);

  // A write then needs only D on the leaf: one RMW after the leaf read.
  r = run(kVa, AccessType::kWrite);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(to_vector(r.refs), refs(kVa, 1, {false, false, false, true}));
  EXPECT_EQ(fx_.guest_entry(kVa, 1), before[1] | pte::kA | pte::kD);
  for (unsigned l = 2; l <= 4; ++l) EXPECT_EQ(fx_.guest_entry(kVa, l), before[l] | pte::kA);
  r = run(kVa, AccessType::kWrite, false);
  EXPECT_EQ(writes(r), 0u);
}

TEST_F(NativeAd, FirstWriteSetsAccessedAndDirtyInOneUpdate) {
  const std::uint64_t leaf = fx_.guest_entry(kVa, 1);
  const TranslationResult r = run(kVa, AccessType::kWrite);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(to_vector(r.refs), refs(kVa, 1, {true, true, true, true}));
  EXPECT_EQ(fx_.guest_entry(kVa, 1), leaf | pte::kA | pte::kD);
  for (unsigned l = 2; l <= 4; ++l)
    EXPECT_EQ(fx_.guest_entry(kVa, l) & pte::kD, 0u);  // D: leaf only
}

TEST_F(NativeAd, LargePageDirtyGoesOnThePde) {
  const std::uint64_t pde = fx_.guest_entry(kVa2M, 2);
  const TranslationResult r = run(kVa2M, AccessType::kWrite);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(to_vector(r.refs), refs(kVa2M, 2, {true, true, true}));
  EXPECT_EQ(fx_.guest_entry(kVa2M, 2), pde | pte::kA | pte::kD);
}

TEST_F(NativeAd, FaultingLeafIsNotMarkedAccessed) {
  const std::uint64_t leaf = fx_.guest_entry(kVa, 1);
  fx_.set_guest_entry(kVa, 1, leaf & ~pte::kRW);
  const TranslationResult r = run(kVa, AccessType::kWrite);
  EXPECT_EQ(r.fault.kind, FaultKind::kGuestPageFault);
  EXPECT_EQ(to_vector(r.refs), refs(kVa, 1, {true, true, true, false}));
  EXPECT_EQ(fx_.guest_entry(kVa, 1), leaf & ~pte::kRW);
}

TEST_F(NativeAd, FetchAndSupervisorAccessesSetAccessedOnly) {
  const std::uint64_t leaf = fx_.guest_entry(kVa, 1);
  ASSERT_TRUE(run(kVa, AccessType::kExecute, false).ok());
  EXPECT_EQ(fx_.guest_entry(kVa, 1), leaf | pte::kA);
}

// ---- nested -------------------------------------------------------------------------------------

class NestedAd : public ::testing::Test {
 protected:
  NestedAd() : gt_(fx_.mem) {
    fx_.map_guest(kVa & ~0xfffull, kData, PageSize::k4K);
    fx_.back(kData, PageSize::k4K);
    ctx_ = fx_.context(Mode::kNested);
    ctx_.ad_updates = true;
  }
  TranslationResult run(AccessType t) { return gt_.translate(ctx_, {kVa, t, true}); }
  gpa_t table_frame(unsigned level) const {
    return fx_.guest_entry_gpa(kVa, level) & ~(arch::kPage4K - 1);
  }
  // The EPT walk of `gpa`, with an RMW after the entries listed in `rmw` (index 0 = level 4).
  void ept_walk(std::vector<arch::MemRef>& out, gpa_t gpa, unsigned for_level,
                std::vector<bool> rmw) const {
    for (unsigned l = 4; l >= 1; --l) {
      out.push_back(ept_ref(fx_.ept_entry_hpa(gpa, l), l, for_level));
      if (rmw[4 - l]) out.push_back(ept_ref(fx_.ept_entry_hpa(gpa, l), l, for_level, true));
    }
  }

  WalkFixture fx_;
  arch::GoldenTranslator gt_;
  arch::TranslationContext ctx_;
};

TEST_F(NestedAd, WithoutEptAdOnlyGuestEntriesAreWritten) {
  std::vector<std::uint8_t> ept_before;
  for (hpa_t t : fx_.ept_tables()) {
    std::vector<std::uint8_t> frame(arch::kPage4K);
    fx_.mem.read(t, frame.data(), frame.size());
    ept_before.insert(ept_before.end(), frame.begin(), frame.end());
  }
  const TranslationResult r = run(AccessType::kWrite);
  ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
  std::vector<arch::MemRef> expect;
  for (unsigned l = 4; l >= 1; --l) {
    ept_walk(expect, fx_.guest_entry_gpa(kVa, l), l, {false, false, false, false});
    expect.push_back(guest_ref(fx_.guest_entry_hpa(kVa, l), l));
    expect.push_back(guest_ref(fx_.guest_entry_hpa(kVa, l), l, true));
  }
  ept_walk(expect, kData + (kVa & 0xfff), 0, {false, false, false, false});
  EXPECT_EQ(to_vector(r.refs), expect);
  EXPECT_EQ(r.read_refs(), 24u);
  EXPECT_EQ(writes(r), 4u);
  std::vector<std::uint8_t> ept_after;
  for (hpa_t t : fx_.ept_tables()) {
    std::vector<std::uint8_t> frame(arch::kPage4K);
    fx_.mem.read(t, frame.data(), frame.size());
    ept_after.insert(ept_after.end(), frame.begin(), frame.end());
  }
  EXPECT_EQ(ept_after, ept_before);
  EXPECT_EQ(fx_.guest_entry(kVa, 1) & (pte::kA | pte::kD), pte::kA | pte::kD);
}

TEST_F(NestedAd, WithEptAdGuestTableAccessesAreEptWrites) {
  ctx_.eptp = fx_.eptp(true);
  const gpa_t final_gpa = kData + (kVa & 0xfff);
  TranslationResult r = run(AccessType::kRead);
  ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
  std::vector<arch::MemRef> expect;
  for (unsigned l = 4; l >= 1; --l) {
    // The four guest tables share their EPT PML4E/PDPTE/PDE: A is set once, by the first walk;
    // each table's EPT leaf gets A|D (guest-table accesses are writes).
    const bool first = l == 4;
    ept_walk(expect, fx_.guest_entry_gpa(kVa, l), l, {first, first, first, true});
    expect.push_back(guest_ref(fx_.guest_entry_hpa(kVa, l), l));
    expect.push_back(guest_ref(fx_.guest_entry_hpa(kVa, l), l, true));
  }
  ept_walk(expect, final_gpa, 0, {true, true, true, true});
  EXPECT_EQ(to_vector(r.refs), expect);

  for (unsigned l = 4; l >= 1; --l) {
    const gpa_t frame = table_frame(l);
    EXPECT_EQ(fx_.ept_entry(frame, 1) & (ept::kA | ept::kD), ept::kA | ept::kD) << "level " << l;
    for (unsigned e = 4; e >= 2; --e)
      EXPECT_EQ(fx_.ept_entry(frame, e) & (ept::kA | ept::kD), ept::kA) << "EPT level " << e;
  }
  EXPECT_EQ(fx_.ept_entry(final_gpa, 1) & (ept::kA | ept::kD), ept::kA);  // a read: no D

  // Second read: nothing to update anywhere.
  r = run(AccessType::kRead);
  EXPECT_EQ(writes(r), 0u);
  // A write: D on the guest leaf (after its read) and D on the final EPT leaf (after its read).
  r = run(AccessType::kWrite);
  ASSERT_TRUE(r.ok());
  expect.clear();
  for (unsigned l = 4; l >= 1; --l) {
    ept_walk(expect, fx_.guest_entry_gpa(kVa, l), l, {false, false, false, false});
    expect.push_back(guest_ref(fx_.guest_entry_hpa(kVa, l), l));
    if (l == 1) expect.push_back(guest_ref(fx_.guest_entry_hpa(kVa, l), l, true));
  }
  ept_walk(expect, final_gpa, 0, {false, false, false, true});
  EXPECT_EQ(to_vector(r.refs), expect);
  EXPECT_EQ(fx_.ept_entry(final_gpa, 1) & (ept::kA | ept::kD), ept::kA | ept::kD);
  r = run(AccessType::kWrite);
  EXPECT_EQ(writes(r), 0u);
}

TEST_F(NestedAd, WithoutEptAdAnUpdateToAReadOnlyGuestTableIsAnEptViolation) {
  for (unsigned level = 4; level >= 1; --level) {
    SCOPED_TRACE(::testing::Message() << "guest level " << level);
    WalkFixture fx;
    arch::GoldenTranslator gt(fx.mem);
    fx.map_guest(kVa & ~0xfffull, kData, PageSize::k4K);
    fx.back(kData, PageSize::k4K);
    arch::TranslationContext ctx = fx.context(Mode::kNested);
    ctx.ad_updates = true;
    const gpa_t entry = fx.guest_entry_gpa(kVa, level);
    const gpa_t frame = entry & ~(arch::kPage4K - 1);
    const std::uint64_t leaf = fx.ept_entry(frame, 1);
    fx.set_ept_entry(frame, 1, (leaf & ~ept::kRWX) | ept::kR);  // read-only guest table

    // Reading it is fine; the A update it needs is a write: EPT violation at the EPT leaf.
    const TranslationResult r = gt.translate(ctx, {kVa, AccessType::kRead, true});
    EXPECT_EQ(r.fault, make_fault(FaultKind::kEptViolation, FaultStage::kGuestTable, 1,
                                  eptq::kWrite | eptq::kGvaValid | eptq::kReadable, kVa, entry));
    ASSERT_FALSE(r.refs.empty());
    EXPECT_EQ(r.refs[r.refs.size() - 1], guest_ref(fx.guest_entry_hpa(kVa, level), level));
    EXPECT_EQ(fx.guest_entry(kVa, level) & pte::kA, 0u);

    // With A already set nothing needs writing: the read-only table is usable.
    fx.set_guest_entry(kVa, level, fx.guest_entry(kVa, level) | pte::kA);
    const TranslationResult ok = gt.translate(ctx, {kVa, AccessType::kRead, true});
    EXPECT_TRUE(ok.ok()) << arch::describe(ok.fault);
    // ... except for the leaf of a write, which still needs D.
    const TranslationResult w = gt.translate(ctx, {kVa, AccessType::kWrite, true});
    if (level == 1) {
      EXPECT_EQ(w.fault.kind, FaultKind::kEptViolation);
      EXPECT_EQ(w.fault.gpa, entry);
    } else {
      EXPECT_TRUE(w.ok()) << arch::describe(w.fault);
    }
    // With A/D updates off, nothing is written, so nothing faults.
    fx.set_guest_entry(kVa, level, fx.guest_entry(kVa, level) & ~(pte::kA | pte::kD));
    ctx.ad_updates = false;
    EXPECT_TRUE(gt.translate(ctx, {kVa, AccessType::kWrite, true}).ok());
  }
}

TEST_F(NestedAd, WithEptAdAReadOnlyGuestTableFaultsOnItsAccess) {
  for (bool ad_updates : {true, false}) {
    SCOPED_TRACE(ad_updates ? "A/D updates on" : "A/D updates off");
    WalkFixture fx;
    arch::GoldenTranslator gt(fx.mem);
    fx.map_guest(kVa & ~0xfffull, kData, PageSize::k4K);
    fx.back(kData, PageSize::k4K);
    arch::TranslationContext ctx = fx.context(Mode::kNested);
    ctx.eptp = fx.eptp(true);
    ctx.ad_updates = ad_updates;
    const gpa_t entry = fx.guest_entry_gpa(kVa, 3);
    const gpa_t frame = entry & ~(arch::kPage4K - 1);
    fx.set_ept_entry(frame, 1, (fx.ept_entry(frame, 1) & ~ept::kRWX) | ept::kR);
    const std::vector<std::uint8_t> snap = fx.snapshot();

    const TranslationResult r = gt.translate(ctx, {kVa, AccessType::kRead, true});
    EXPECT_EQ(r.fault, make_fault(FaultKind::kEptViolation, FaultStage::kGuestTable, 1,
                                  eptq::kRead | eptq::kWrite | eptq::kGvaValid | eptq::kReadable,
                                  kVa, entry));
    EXPECT_EQ(r.refs[r.refs.size() - 1], ept_ref(fx.ept_entry_hpa(frame, 1), 1, 3));
    if (!ad_updates) {
      EXPECT_EQ(writes(r), 0u);
      EXPECT_EQ(fx.snapshot(), snap);
    }
  }
}

// ---- A/D off: nothing is written, in any mode
// ----------------------------------------------------

TEST(AdOff, NoWritesAndMemoryUnchangedInEveryMode) {
  for (unsigned m = 0; m < arch::kModeCount; ++m) {
    const Mode mode = static_cast<Mode>(m);
    if (mode == Mode::kFlatNested) continue;  // the fixture builds 4-level EPTs: flat_ept_test.cpp
    SCOPED_TRACE(std::string(arch::to_string(mode)));
    FixtureOptions o;
    o.virtualized = arch::is_virtualized(mode);
    WalkFixture fx(o);
    arch::GoldenTranslator gt(fx.mem);
    fx.map_guest(kVa & ~0xfffull, kData, PageSize::k4K);
    fx.map_guest(kVa2M & ~(arch::kPage2M - 1), kData2M, PageSize::k2M);
    if (o.virtualized) {
      fx.back(kData, PageSize::k4K);
      fx.back(kData2M, PageSize::k2M);
    }
    arch::TranslationContext ctx = fx.context(mode);
    if (o.virtualized) ctx.eptp = fx.eptp(true);  // EPT A/D enabled: still nothing written
    ctx.guest_seg = {kVa2M & ~(arch::kPage2M - 1), (kVa2M & ~(arch::kPage2M - 1)) + arch::kPage2M,
                     kData2M - (kVa2M & ~(arch::kPage2M - 1))};
    ctx.vmm_seg = {0, 0x80'0000'0000ull, kVmRamHpa};  // the tables, not the data
    const std::vector<std::uint8_t> snap = fx.snapshot();
    const std::size_t frames = fx.mem.frames_allocated();
    std::size_t translations = 0;
    for (gva_t va : {kVa, kVa2M})
      for (AccessType t : {AccessType::kRead, AccessType::kWrite, AccessType::kExecute})
        for (bool user : {true, false}) {
          const TranslationResult r = gt.translate(ctx, {va, t, user});
          EXPECT_EQ(writes(r), 0u);
          translations += r.ok() ? 1 : 0;
        }
    EXPECT_GE(translations, 8u);  // the accesses did translate (segment fetches fault)
    EXPECT_EQ(fx.snapshot(), snap);
    EXPECT_EQ(fx.mem.frames_allocated(), frames);
  }
}

TEST(AdOn, VmmSegmentTablesAreUpdatedAtTheirSegmentAddress) {
  WalkFixture fx;
  arch::GoldenTranslator gt(fx.mem);
  fx.map_guest(kVa & ~0xfffull, kData, PageSize::k4K);
  arch::TranslationContext ctx = fx.context(Mode::kVmmDirect);
  ctx.vmm_seg = {0, 0x100'0000'0000ull, kVmRamHpa};
  ctx.ad_updates = true;
  const TranslationResult r = gt.translate(ctx, {kVa, AccessType::kWrite, true});
  ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
  std::vector<arch::MemRef> expect;
  for (unsigned l = 4; l >= 1; --l) {
    const hpa_t at = fx.guest_entry_gpa(kVa, l) + kVmRamHpa;
    expect.push_back(guest_ref(at, l));
    expect.push_back(guest_ref(at, l, true));
  }
  EXPECT_EQ(to_vector(r.refs), expect);
  EXPECT_EQ(fx.guest_entry(kVa, 1) & (pte::kA | pte::kD), pte::kA | pte::kD);
}

TEST(AdOn, GuestSegmentHitWritesNothing) {
  FixtureOptions o;
  o.virtualized = false;
  WalkFixture fx(o);
  arch::GoldenTranslator gt(fx.mem);
  fx.map_guest(kVa & ~0xfffull, kData, PageSize::k4K);
  arch::TranslationContext ctx = fx.context(Mode::kNativeDs);
  ctx.ad_updates = true;
  ctx.guest_seg = {kVa & ~0xfffull, (kVa & ~0xfffull) + arch::kPage4K, 0x1000};
  const std::vector<std::uint8_t> snap = fx.snapshot();
  const TranslationResult r = gt.translate(ctx, {kVa, AccessType::kWrite, true});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.refs.empty());
  EXPECT_EQ(fx.snapshot(), snap);
}

}  // namespace
}  // namespace mmuvp::golden
