// The register block's MMIO rules (arch/mmu_regs.h, docs/register-map.md): reset values, every
// refusal code and that a refusal changes nothing, staged segments and SEG_COMMIT atomicity,
// STATUS, the escape filter and INV_CMD decoding as delivered to on_invalidate, CONFIG, faults.
#include "arch/register_block.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <iterator>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "arch/ept.h"

namespace {

using namespace mmuvp::arch;
using regs::InvOp;
using regs::RegStatus;

constexpr std::uint64_t k4K = 0x1000;
constexpr std::uint64_t kGuestInputLimit = 1ull << 47;

// Everything MMIO can observe except STATUS, plus the context and the filter bits.
struct Snapshot {
  std::vector<std::uint64_t> regs;
  Mode mode;
  std::uint64_t cr3, eptp;
  std::uint16_t pcid, vmid;
  Segment guest, vmm;
  bool ad;
  std::vector<std::uint64_t> filter_words;
  unsigned filter_added;

  bool operator==(const Snapshot& o) const {
    auto same = [](const Segment& a, const Segment& b) {
      return a.base == b.base && a.limit == b.limit && a.offset == b.offset;
    };
    return regs == o.regs && mode == o.mode && cr3 == o.cr3 && eptp == o.eptp && pcid == o.pcid &&
           vmid == o.vmid && same(guest, o.guest) && same(vmm, o.vmm) && ad == o.ad &&
           filter_words == o.filter_words && filter_added == o.filter_added;
  }
};

class RegisterBlockTest : public ::testing::Test {
 protected:
  void SetUp() override { watch(blk); }

  void watch(RegisterBlock& b) {
    b.on_invalidate = [this](const Invalidation& inv) { invs.push_back(inv); };
  }

  Snapshot snapshot(RegisterBlock& b) {
    Snapshot s;
    for (const regs::RegDesc& r : regs::kRegisters)
      if (r.offset != regs::kStatus) s.regs.push_back(b.read(r.offset));
    const TranslationContext& c = b.context();
    s.mode = c.mode;
    s.cr3 = c.cr3;
    s.eptp = c.eptp;
    s.pcid = c.pcid;
    s.vmid = c.vmid;
    s.guest = c.guest_seg;
    s.vmm = c.vmm_seg;
    s.ad = c.ad_updates;
    s.filter_words = b.filter().words();
    s.filter_added = b.filter().added();
    return s;
  }

  void ok(std::uint32_t offset, std::uint64_t value) {
    ASSERT_EQ(blk.write(offset, value), RegStatus::kOk)
        << "offset 0x" << std::hex << offset << " value 0x" << value;
  }

  void write_guest(std::uint64_t base, std::uint64_t limit, std::uint64_t offset) {
    ok(regs::kBaseG, base);
    ok(regs::kLimitG, limit);
    ok(regs::kOffsetG, offset);
  }
  void write_vmm(std::uint64_t base, std::uint64_t limit, std::uint64_t offset) {
    ok(regs::kBaseV, base);
    ok(regs::kLimitV, limit);
    ok(regs::kOffsetV, offset);
  }

  static std::uint64_t commit_bits(bool guest, bool vmm) {
    return regs::put(regs::field::kCommitGuest, guest ? 1 : 0) |
           regs::put(regs::field::kCommitVmm, vmm ? 1 : 0);
  }

  static std::uint64_t status(RegStatus code, std::uint32_t offset, std::uint64_t count) {
    return static_cast<std::uint64_t>(code) | (static_cast<std::uint64_t>(offset) << 8) |
           (count << 32);
  }

  RegisterBlock blk;
  std::vector<Invalidation> invs;
};

bool same_segment(const Segment& a, const Segment& b) {
  return a.base == b.base && a.limit == b.limit && a.offset == b.offset;
}

// ---- reset and parameters ----------------------------------------------------------------------

TEST_F(RegisterBlockTest, ResetValuesComeFromTheRegisterTable) {
  for (const regs::RegDesc& r : regs::kRegisters) {
    const std::uint64_t expected = r.access == regs::RegAccess::kWO ? 0 : r.reset;
    EXPECT_EQ(blk.read(r.offset), expected) << r.name;
  }
  EXPECT_EQ(blk.read(regs::kId), 0x4d4d555650000001ull);
  EXPECT_EQ(blk.read(regs::kConfig), 0x3401u);       // A/D on, MAXPHYADDR 52
  EXPECT_EQ(blk.read(regs::kFilterCtrl), 0x04000100u);  // m = 256, k = 4, none added
  const TranslationContext& c = blk.context();
  EXPECT_EQ(c.mode, Mode::kNative);
  EXPECT_TRUE(c.ad_updates);
  EXPECT_EQ(c.maxphyaddr, 52u);
  EXPECT_EQ(c.filter, &blk.filter());
  EXPECT_FALSE(c.guest_seg.enabled());
  EXPECT_FALSE(c.vmm_seg.enabled());
  EXPECT_TRUE(invs.empty());
}

TEST_F(RegisterBlockTest, ParametersShowInConfigAndFilterCtrl) {
  RegisterBlock b(MmuParams{40, 1024, 2});
  EXPECT_EQ(b.read(regs::kConfig), 0x2801u);
  EXPECT_EQ(b.read(regs::kFilterCtrl), (2ull << 24) | 1024u);
  EXPECT_EQ(b.context().maxphyaddr, 40u);
  EXPECT_EQ(b.params().maxphyaddr, 40u);
  EXPECT_EQ(b.filter().bits(), 1024u);
  EXPECT_EQ(b.filter().hashes(), 2u);
}

TEST(RegisterBlockParams, BadParametersThrow) {
  EXPECT_THROW(RegisterBlock(MmuParams{31, 256, 4}), std::invalid_argument);
  EXPECT_THROW(RegisterBlock(MmuParams{53, 256, 4}), std::invalid_argument);
  EXPECT_THROW(RegisterBlock(MmuParams{52, 100, 4}), std::invalid_argument);
  EXPECT_THROW(RegisterBlock(MmuParams{52, 256, 9}), std::invalid_argument);
  EXPECT_NO_THROW(RegisterBlock(MmuParams{32, 2, 1}));
  try {
    RegisterBlock b(MmuParams{60, 256, 4});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("MAXPHYADDR 60"), std::string::npos) << e.what();
  }
}

TEST_F(RegisterBlockTest, ResetRestoresThePowerOnState) {
  ok(regs::kMode, 3);
  ok(regs::kCr3, 0x5000);
  write_guest(0x10000, 0x20000, 0x1000);
  ok(regs::kSegCommit, commit_bits(true, false));
  ok(regs::kFilterAdd, 0x77);
  EXPECT_NE(blk.write(regs::kCr3, 1), RegStatus::kOk);
  blk.record_fault(Fault{FaultKind::kNonCanonical, FaultStage::kNone, 0, 0, 0x8000'0000'0000ull, 0});
  invs.clear();
  blk.reset();
  for (const regs::RegDesc& r : regs::kRegisters)
    EXPECT_EQ(blk.read(r.offset), r.access == regs::RegAccess::kWO ? 0 : r.reset) << r.name;
  EXPECT_TRUE(blk.filter().empty());
  EXPECT_TRUE(invs.empty());
  // The staged guest segment is zero again: committing it keeps the segment disabled.
  ok(regs::kSegCommit, commit_bits(true, true));
  EXPECT_FALSE(blk.context().guest_seg.enabled());
}

TEST_F(RegisterBlockTest, CopiesOwnTheirFilter) {
  ok(regs::kFilterAdd, 0x10);
  RegisterBlock copy(blk);
  EXPECT_EQ(copy.context().filter, &copy.filter());
  ok(regs::kFilterAdd, 0x20);
  EXPECT_TRUE(copy.filter().maybe_contains(0x10));
  EXPECT_EQ(copy.filter().added(), 1u);
  EXPECT_EQ(blk.filter().added(), 2u);
  RegisterBlock assigned(MmuParams{40, 64, 1});
  assigned = blk;
  EXPECT_EQ(assigned.context().filter, &assigned.filter());
  EXPECT_EQ(assigned.filter().added(), 2u);
  EXPECT_EQ(assigned.context().maxphyaddr, 52u);
}

// ---- identity registers --------------------------------------------------------------------------

TEST_F(RegisterBlockTest, ModeAcceptsEveryEncodedMode) {
  for (unsigned m = 0; m < kModeCount; ++m) {
    ok(regs::kMode, m);
    EXPECT_EQ(blk.context().mode, static_cast<Mode>(m));
    EXPECT_EQ(blk.read(regs::kMode), m);
  }
  const std::uint64_t bad_modes[] = {kModeCount, 0xff, 1ull << 32, (1ull << 63) | 1};
  for (std::uint64_t bad : bad_modes) {
    EXPECT_EQ(blk.write(regs::kMode, bad), RegStatus::kBadMode) << bad;
    EXPECT_EQ(blk.context().mode, static_cast<Mode>(kModeCount - 1));
  }
}

TEST_F(RegisterBlockTest, ModeChangeInvalidatesOnlyWhenItChanges) {
  ok(regs::kPcid, 7);
  ok(regs::kVmid, 9);
  ok(regs::kMode, static_cast<unsigned>(Mode::kNative));  // unchanged
  EXPECT_TRUE(invs.empty());
  ok(regs::kMode, static_cast<unsigned>(Mode::kNested));
  ASSERT_EQ(invs.size(), 1u);
  EXPECT_EQ(invs[0], (Invalidation{InvOp::kFlushAll, 0, 7, 9}));
}

TEST_F(RegisterBlockTest, Cr3MustBeAlignedAndInsidePhysicalSpace) {
  ok(regs::kCr3, 0x1000);
  EXPECT_EQ(blk.context().cr3, 0x1000u);
  ok(regs::kCr3, (1ull << 52) - k4K);
  EXPECT_EQ(blk.read(regs::kCr3), (1ull << 52) - k4K);
  for (std::uint64_t bad : {0x1001ull, 0x1008ull, 1ull << 52, ~0ull & ~(k4K - 1)}) {
    EXPECT_EQ(blk.write(regs::kCr3, bad), RegStatus::kBadCr3) << std::hex << bad;
    EXPECT_EQ(blk.context().cr3, (1ull << 52) - k4K);
  }
  RegisterBlock small(MmuParams{40, 256, 4});
  EXPECT_EQ(small.write(regs::kCr3, 1ull << 40), RegStatus::kBadCr3);
  EXPECT_EQ(small.write(regs::kCr3, (1ull << 40) - k4K), RegStatus::kOk);
}

TEST_F(RegisterBlockTest, PcidAndVmidWidths) {
  ok(regs::kPcid, 0xfff);
  ok(regs::kVmid, 0xffff);
  EXPECT_EQ(blk.write(regs::kPcid, 0x1000), RegStatus::kBadValue);
  EXPECT_EQ(blk.write(regs::kVmid, 0x10000), RegStatus::kBadValue);
  EXPECT_EQ(blk.write(regs::kVmid, 1ull << 63), RegStatus::kBadValue);
  EXPECT_EQ(blk.context().pcid, 0xfff);
  EXPECT_EQ(blk.context().vmid, 0xffff);
  EXPECT_EQ(blk.read(regs::kPcid), 0xfffu);
  EXPECT_EQ(blk.read(regs::kVmid), 0xffffu);
}

TEST_F(RegisterBlockTest, EptpValidity) {
  const std::uint64_t good = ept::eptp::make(0x7000, true);
  ok(regs::kEptp, good);
  EXPECT_EQ(blk.context().eptp, good);
  ok(regs::kEptp, 0);  // no EPT
  EXPECT_EQ(blk.read(regs::kEptp), 0u);
  ok(regs::kEptp, 0x7000 | 0 | (3u << 3));  // UC, no A/D
  const std::uint64_t base = 0x7000 | 6 | (3u << 3);
  const std::vector<std::uint64_t> bad = {
      0x7000 | 1 | (3u << 3),  // memory type 1 (WC)
      0x7000 | 6 | (2u << 3),  // 3-level walk
      base | (1u << 7),        // reserved bit 7
      base | (1u << 11),       // reserved bit 11
      base | (1ull << 52),     // beyond MAXPHYADDR
      0x7000,                  // memory type UC but walk length 0
  };
  for (std::uint64_t v : bad) {
    EXPECT_EQ(blk.write(regs::kEptp, v), RegStatus::kBadEptp) << std::hex << v;
    EXPECT_EQ(blk.context().eptp, 0x7000u | (3u << 3));
  }
  RegisterBlock small(MmuParams{40, 256, 4});
  EXPECT_EQ(small.write(regs::kEptp, base | (1ull << 40)), RegStatus::kBadEptp);
  EXPECT_EQ(small.write(regs::kEptp, base | (1ull << 39)), RegStatus::kOk);
}

// ---- segments ------------------------------------------------------------------------------------

TEST_F(RegisterBlockTest, SegmentWritesAreStagedUntilCommit) {
  write_guest(0x40000000, 0x80000000, 0x100000000);
  write_vmm(0x100000000, 0x200000000, 0x1000);
  for (std::uint32_t r : {regs::kBaseG, regs::kLimitG, regs::kOffsetG, regs::kBaseV,
                          regs::kLimitV, regs::kOffsetV})
    EXPECT_EQ(blk.read(r), 0u) << r;  // reads return the committed values
  EXPECT_FALSE(blk.context().guest_seg.enabled());
  EXPECT_FALSE(blk.context().vmm_seg.enabled());
  EXPECT_TRUE(invs.empty());

  ok(regs::kSegCommit, commit_bits(true, false));
  EXPECT_TRUE(same_segment(blk.context().guest_seg, Segment{0x40000000, 0x80000000, 0x100000000}));
  EXPECT_FALSE(blk.context().vmm_seg.enabled());
  EXPECT_EQ(blk.read(regs::kBaseG), 0x40000000u);
  EXPECT_EQ(blk.read(regs::kLimitG), 0x80000000u);
  EXPECT_EQ(blk.read(regs::kOffsetG), 0x100000000u);
  EXPECT_EQ(blk.read(regs::kBaseV), 0u);

  ok(regs::kSegCommit, commit_bits(false, true));
  EXPECT_TRUE(same_segment(blk.context().vmm_seg, Segment{0x100000000, 0x200000000, 0x1000}));
  EXPECT_EQ(blk.read(regs::kOffsetV), 0x1000u);
}

TEST_F(RegisterBlockTest, MisalignedSegmentWriteIsRefusedAndStagedCopyKept) {
  write_guest(0x10000, 0x20000, 0x5000);
  for (std::uint32_t r : {regs::kBaseG, regs::kLimitG, regs::kOffsetG, regs::kBaseV,
                          regs::kLimitV, regs::kOffsetV})
    EXPECT_EQ(blk.write(r, 0x30008), RegStatus::kSegMisaligned) << r;
  ok(regs::kSegCommit, commit_bits(true, true));
  EXPECT_TRUE(same_segment(blk.context().guest_seg, Segment{0x10000, 0x20000, 0x5000}));
  EXPECT_FALSE(blk.context().vmm_seg.enabled());
}

TEST_F(RegisterBlockTest, TwosComplementOffsetMapsDownwards) {
  const std::uint64_t minus_64k = ~0ull - 0xffff;  // -0x10000
  write_guest(0x7f0000000000, 0x7f0000100000, minus_64k);
  ok(regs::kSegCommit, commit_bits(true, false));
  EXPECT_EQ(blk.context().guest_seg.translate(0x7f0000000000), 0x7effffff0000u);
  EXPECT_EQ(blk.read(regs::kOffsetG), minus_64k);
}

struct CommitCase {
  const char* name;
  bool vmm;  // which segment: guest (false) or VMM (true)
  Segment seg;
  RegStatus expected;
};

void PrintTo(const CommitCase& c, std::ostream* os) { *os << c.name; }

class SegmentCommitRules : public RegisterBlockTest,
                           public ::testing::WithParamInterface<CommitCase> {};

TEST_P(SegmentCommitRules, RefusedCommitChangesNothing) {
  const CommitCase& c = GetParam();
  // A committed segment that a refused commit must leave alone.
  const Segment before{0x200000, 0x400000, 0x1000000};
  if (c.vmm) {
    write_vmm(before.base, before.limit, before.offset);
  } else {
    write_guest(before.base, before.limit, before.offset);
  }
  ok(regs::kSegCommit, commit_bits(!c.vmm, c.vmm));
  invs.clear();
  if (c.vmm) {
    write_vmm(c.seg.base, c.seg.limit, c.seg.offset);
  } else {
    write_guest(c.seg.base, c.seg.limit, c.seg.offset);
  }
  const Snapshot snap = snapshot(blk);
  const RegStatus st = blk.write(regs::kSegCommit, commit_bits(!c.vmm, c.vmm));
  EXPECT_EQ(st, c.expected);
  if (c.expected != RegStatus::kOk) {
    EXPECT_TRUE(snapshot(blk) == snap);
    EXPECT_TRUE(invs.empty());
    EXPECT_EQ(blk.read(regs::kStatus), status(c.expected, regs::kSegCommit, 1));
    // The staged copy still holds the refused values: fixing LIMIT alone makes it valid.
    ok(c.vmm ? regs::kBaseV : regs::kBaseG, 0x1000);
    ok(c.vmm ? regs::kLimitV : regs::kLimitG, 0x2000);
    ok(c.vmm ? regs::kOffsetV : regs::kOffsetG, 0);
    ok(regs::kSegCommit, commit_bits(!c.vmm, c.vmm));
  } else {
    const Segment& now = c.vmm ? blk.context().vmm_seg : blk.context().guest_seg;
    EXPECT_TRUE(same_segment(now, c.seg));
    ASSERT_EQ(invs.size(), 1u);
    EXPECT_EQ(invs[0].op, InvOp::kFlushAll);
  }
}

constexpr std::uint64_t kPhys = 1ull << 52;
const CommitCase kCommitCases[] = {
    {"GuestLimitBelowBase", false, {0x3000, 0x2000, 0}, RegStatus::kSegLimitBelowBase},
    {"GuestBeyondUserHalf", false, {0x1000, kGuestInputLimit + k4K, 0},
     RegStatus::kSegInputOutOfRange},
    {"GuestUpToUserHalf", false, {kGuestInputLimit - 0x10000, kGuestInputLimit, 0},
     RegStatus::kOk},
    {"GuestOutputBeyondPhys", false, {0x1000, 0x3000, kPhys - 0x1000},
     RegStatus::kSegOutputOutOfRange},
    {"GuestOutputWrapsBelowZero", false, {0x1000, 0x3000, ~0ull - 0x1fff},
     RegStatus::kSegOutputOutOfRange},
    {"GuestDisabledAnyOffset", false, {0x5000, 0x5000, ~0ull - 0xfff}, RegStatus::kOk},
    {"VmmLimitBelowBase", true, {0x10000, 0x8000, 0}, RegStatus::kSegLimitBelowBase},
    // gPAs go up to 2^MAXPHYADDR: the guest segment's 2^47 input limit does not apply.
    {"VmmAboveUserHalf", true, {kGuestInputLimit, kGuestInputLimit * 2, 0}, RegStatus::kOk},
    {"VmmBeyondPhys", true, {0x1000, kPhys + k4K, 0}, RegStatus::kSegInputOutOfRange},
    {"VmmOutputBeyondPhys", true, {kPhys - 0x4000, kPhys, 0x2000},
     RegStatus::kSegOutputOutOfRange},
    {"VmmWholeSpace", true, {0, kPhys, 0}, RegStatus::kOk},
};

INSTANTIATE_TEST_SUITE_P(Commit, SegmentCommitRules, ::testing::ValuesIn(kCommitCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(RegisterBlockTest, TwoSegmentCommitIsAtomic) {
  const Segment good_guest{0x10000, 0x20000, 0x100000};
  const Segment good_vmm{0x100000, 0x200000, 0x40000000};
  // Guest valid, VMM invalid: neither applied.
  write_guest(good_guest.base, good_guest.limit, good_guest.offset);
  write_vmm(0x300000, 0x200000, 0);
  EXPECT_EQ(blk.write(regs::kSegCommit, commit_bits(true, true)), RegStatus::kSegLimitBelowBase);
  EXPECT_FALSE(blk.context().guest_seg.enabled());
  EXPECT_FALSE(blk.context().vmm_seg.enabled());
  // Guest invalid, VMM valid: neither applied; the guest's error is reported.
  write_guest(0x10000, kGuestInputLimit + k4K, 0);
  write_vmm(good_vmm.base, good_vmm.limit, good_vmm.offset);
  EXPECT_EQ(blk.write(regs::kSegCommit, commit_bits(true, true)),
            RegStatus::kSegInputOutOfRange);
  EXPECT_FALSE(blk.context().guest_seg.enabled());
  EXPECT_FALSE(blk.context().vmm_seg.enabled());
  // Both invalid: the guest's error comes first.
  write_vmm(0x300000, 0x200000, 0);
  EXPECT_EQ(blk.write(regs::kSegCommit, commit_bits(true, true)),
            RegStatus::kSegInputOutOfRange);
  EXPECT_TRUE(invs.empty());
  // One bit commits one segment: a valid VMM segment is applied while the staged guest segment
  // is still invalid.
  write_vmm(good_vmm.base, good_vmm.limit, good_vmm.offset);
  ok(regs::kSegCommit, commit_bits(false, true));
  EXPECT_TRUE(same_segment(blk.context().vmm_seg, good_vmm));
  EXPECT_FALSE(blk.context().guest_seg.enabled());
  // Both valid: both applied, one invalidation.
  write_guest(good_guest.base, good_guest.limit, good_guest.offset);
  write_vmm(0x400000, 0x800000, 0);
  invs.clear();
  ok(regs::kSegCommit, commit_bits(true, true));
  EXPECT_TRUE(same_segment(blk.context().guest_seg, good_guest));
  EXPECT_TRUE(same_segment(blk.context().vmm_seg, Segment{0x400000, 0x800000, 0}));
  EXPECT_EQ(invs.size(), 1u);
}

TEST_F(RegisterBlockTest, CommitInvalidatesOnlyOnChange) {
  ok(regs::kPcid, 0x21);
  ok(regs::kVmid, 0x43);
  write_guest(0x10000, 0x20000, 0);
  ok(regs::kSegCommit, commit_bits(true, false));
  ASSERT_EQ(invs.size(), 1u);
  EXPECT_EQ(invs[0], (Invalidation{InvOp::kFlushAll, 0, 0x21, 0x43}));
  ok(regs::kSegCommit, commit_bits(true, true));  // nothing changes
  EXPECT_EQ(invs.size(), 1u);
  ok(regs::kSegCommit, 0);  // no bit: nothing to do
  EXPECT_EQ(invs.size(), 1u);
  EXPECT_EQ(blk.write(regs::kSegCommit, 0x4), RegStatus::kBadValue);
  EXPECT_EQ(blk.write(regs::kSegCommit, (1ull << 63) | 1), RegStatus::kBadValue);
  EXPECT_EQ(invs.size(), 1u);
}

TEST_F(RegisterBlockTest, ContextSwitchRestoresSavedSegment) {
  // Process A's segment, committed; the OS saves it by reading the registers.
  write_guest(0x40000000, 0x80000000, 0x1'0000'0000);
  ok(regs::kSegCommit, commit_bits(true, false));
  const std::uint64_t saved[3] = {blk.read(regs::kBaseG), blk.read(regs::kLimitG),
                                  blk.read(regs::kOffsetG)};
  // Process B: only BASE and LIMIT are written; the staged OFFSET is still A's (staged equals
  // committed after a commit).
  ok(regs::kBaseG, 0x1000);
  ok(regs::kLimitG, 0x9000);
  ok(regs::kSegCommit, commit_bits(true, false));
  EXPECT_TRUE(same_segment(blk.context().guest_seg, Segment{0x1000, 0x9000, 0x1'0000'0000}));
  // Back to A: write the saved values and commit.
  ok(regs::kBaseG, saved[0]);
  ok(regs::kLimitG, saved[1]);
  ok(regs::kOffsetG, saved[2]);
  ok(regs::kSegCommit, commit_bits(true, false));
  EXPECT_TRUE(same_segment(blk.context().guest_seg,
                           Segment{0x40000000, 0x80000000, 0x1'0000'0000}));
}

TEST_F(RegisterBlockTest, SegmentLimitsFollowMaxPhyAddr) {
  RegisterBlock small(MmuParams{40, 256, 4});
  const std::uint64_t phys = 1ull << 40;
  small.write(regs::kBaseV, 0);
  small.write(regs::kLimitV, phys + k4K);
  EXPECT_EQ(small.write(regs::kSegCommit, commit_bits(false, true)),
            RegStatus::kSegInputOutOfRange);
  small.write(regs::kLimitV, phys);
  EXPECT_EQ(small.write(regs::kSegCommit, commit_bits(false, true)), RegStatus::kOk);
  small.write(regs::kBaseG, 0x1000);
  small.write(regs::kLimitG, 0x2000);
  small.write(regs::kOffsetG, phys - 0x1000);
  EXPECT_EQ(small.write(regs::kSegCommit, commit_bits(true, false)),
            RegStatus::kSegOutputOutOfRange);
  small.write(regs::kOffsetG, phys - 0x2000);
  EXPECT_EQ(small.write(regs::kSegCommit, commit_bits(true, false)), RegStatus::kOk);
}

// ---- escape filter -------------------------------------------------------------------------------

TEST_F(RegisterBlockTest, FilterAddAndClearThroughMmio) {
  const std::uint64_t frame = 0x12345;
  ASSERT_FALSE(blk.context().filter->maybe_contains(frame));
  ok(regs::kFilterAdd, frame);
  EXPECT_TRUE(blk.context().filter->maybe_contains(frame));
  EXPECT_EQ(blk.read(regs::kFilterCtrl), (1ull << 32) | (4ull << 24) | 256u);
  ok(regs::kFilterAdd, (1ull << 40) - 1);  // the largest frame below 2^52
  EXPECT_EQ(blk.read(regs::kFilterCtrl) >> 32, 2u);
  ASSERT_EQ(invs.size(), 2u);
  EXPECT_EQ(invs[0].op, InvOp::kFlushAll);
  EXPECT_EQ(invs[1].op, InvOp::kFlushAll);

  ok(regs::kFilterCtrl, 0);  // no CLEAR bit: nothing happens
  EXPECT_TRUE(blk.context().filter->maybe_contains(frame));
  EXPECT_EQ(invs.size(), 2u);

  ok(regs::kFilterCtrl, 1);
  EXPECT_FALSE(blk.context().filter->maybe_contains(frame));
  EXPECT_TRUE(blk.filter().empty());
  EXPECT_EQ(blk.read(regs::kFilterCtrl), (4ull << 24) | 256u);
  EXPECT_EQ(invs.size(), 3u);
  EXPECT_EQ(invs[2].op, InvOp::kFlushAll);
}

TEST_F(RegisterBlockTest, FilterRefusals) {
  ok(regs::kFilterAdd, 0x99);
  invs.clear();
  const Snapshot snap = snapshot(blk);
  EXPECT_EQ(blk.write(regs::kFilterAdd, 1ull << 40), RegStatus::kBadValue);
  EXPECT_EQ(blk.write(regs::kFilterCtrl, 0x2), RegStatus::kBadValue);
  EXPECT_EQ(blk.write(regs::kFilterCtrl, 0x3), RegStatus::kBadValue);  // CLEAR + reserved
  EXPECT_TRUE(snapshot(blk) == snap);
  EXPECT_TRUE(blk.filter().maybe_contains(0x99));
  EXPECT_TRUE(invs.empty());
  RegisterBlock small(MmuParams{40, 256, 4});
  EXPECT_EQ(small.write(regs::kFilterAdd, 1ull << 28), RegStatus::kBadValue);
  EXPECT_EQ(small.write(regs::kFilterAdd, (1ull << 28) - 1), RegStatus::kOk);
}

// ---- invalidation commands -----------------------------------------------------------------------

struct InvCase {
  InvOp op;
  Invalidation expected;  // with current PCID 0x123, VMID 0x4567, INV_ADDR 0x7f00'1234'5000
};

TEST_F(RegisterBlockTest, InvCmdDecodesEveryOperation) {
  constexpr std::uint64_t kAddr = 0x7f0012345000;
  ok(regs::kPcid, 0x123);
  ok(regs::kVmid, 0x4567);
  ok(regs::kInvAddr, kAddr);
  const InvCase cases[] = {
      {InvOp::kInvlpg, {InvOp::kInvlpg, kAddr, 0x123, 0x4567}},
      {InvOp::kInvpcidAddr, {InvOp::kInvpcidAddr, kAddr, 0xabc, 0x4567}},
      {InvOp::kInvpcidContext, {InvOp::kInvpcidContext, 0, 0xabc, 0x4567}},
      {InvOp::kInvpcidAllGlobal, {InvOp::kInvpcidAllGlobal, 0, 0xabc, 0x4567}},
      {InvOp::kInvpcidAll, {InvOp::kInvpcidAll, 0, 0xabc, 0x4567}},
      {InvOp::kInveptSingle, {InvOp::kInveptSingle, 0, 0x123, 0x89ab}},
      {InvOp::kInveptAll, {InvOp::kInveptAll, 0, 0x123, 0x4567}},
      {InvOp::kFlushAll, {InvOp::kFlushAll, 0, 0x123, 0x4567}},
  };
  ASSERT_EQ(std::size(cases), regs::kInvOpCount - 1);
  for (const InvCase& c : cases) {
    invs.clear();
    // OP at 3:0, PCID at 27:16, VMID at 47:32.
    const std::uint64_t cmd =
        static_cast<std::uint64_t>(c.op) | (0xabcull << 16) | (0x89abull << 32);
    ASSERT_EQ(blk.write(regs::kInvCmd, cmd), RegStatus::kOk) << static_cast<int>(c.op);
    ASSERT_EQ(invs.size(), 1u) << static_cast<int>(c.op);
    const Invalidation& got = invs[0];
    EXPECT_EQ(got.op, c.expected.op);
    EXPECT_EQ(got.addr, c.expected.addr) << static_cast<int>(c.op);
    EXPECT_EQ(got.pcid, c.expected.pcid) << static_cast<int>(c.op);
    EXPECT_EQ(got.vmid, c.expected.vmid) << static_cast<int>(c.op);
    EXPECT_EQ(blk.read(regs::kInvCmd), 0u);  // write-only
  }
  EXPECT_EQ(blk.read(regs::kStatus), 0u);
}

TEST_F(RegisterBlockTest, InvCmdRefusesUnknownOpsAndReservedBits) {
  const std::uint64_t bad_cmds[] = {
      0, 9, 15,
      1 | (1ull << 4),   // reserved bit 4
      1 | (1ull << 28),  // above PCID
      6 | (1ull << 48),  // above VMID
      8 | (1ull << 63),
  };
  for (std::uint64_t cmd : bad_cmds) {
    EXPECT_EQ(blk.write(regs::kInvCmd, cmd), RegStatus::kBadInvCommand) << std::hex << cmd;
  }
  EXPECT_TRUE(invs.empty());
  EXPECT_EQ(blk.read(regs::kStatus), status(RegStatus::kBadInvCommand, regs::kInvCmd, 7));
}

TEST_F(RegisterBlockTest, InvAddrIsPlainReadWrite) {
  for (std::uint64_t v : {0x1ull, 0xffff'8000'0000'0123ull, ~0ull, 0ull}) {
    ok(regs::kInvAddr, v);
    EXPECT_EQ(blk.read(regs::kInvAddr), v);
  }
  EXPECT_TRUE(invs.empty());
}

// ---- STATUS, read-only and unknown registers -----------------------------------------------------

TEST_F(RegisterBlockTest, StatusRecordsRefusalsAndAnyWriteClears) {
  EXPECT_EQ(blk.write(regs::kCr3, 0x1234), RegStatus::kBadCr3);
  EXPECT_EQ(blk.read(regs::kStatus), status(RegStatus::kBadCr3, regs::kCr3, 1));
  ok(regs::kCr3, 0x2000);  // an accepted write leaves STATUS alone
  EXPECT_EQ(blk.read(regs::kStatus), status(RegStatus::kBadCr3, regs::kCr3, 1));
  EXPECT_EQ(blk.write(regs::kMode, 99), RegStatus::kBadMode);
  EXPECT_EQ(blk.read(regs::kStatus), 0x0000'0002'0000'0805ull);  // count 2, MODE, BadMode
  EXPECT_EQ(blk.write(regs::kStatus, 0xdead'beef), RegStatus::kOk);
  EXPECT_EQ(blk.read(regs::kStatus), 0u);
  EXPECT_EQ(blk.write(regs::kId, 0), RegStatus::kReadOnly);
  EXPECT_EQ(blk.read(regs::kStatus), status(RegStatus::kReadOnly, regs::kId, 1));
  ok(regs::kStatus, 0);
  EXPECT_EQ(blk.read(regs::kStatus), 0u);
  EXPECT_EQ(blk.context().cr3, 0x2000u);
}

TEST_F(RegisterBlockTest, ReadOnlyRegistersRefuseWrites) {
  blk.record_fault(Fault{FaultKind::kGuestPageFault, FaultStage::kFinal, 1, 0x7, 0x4000, 0});
  const Snapshot snap = snapshot(blk);
  for (std::uint32_t r : {regs::kId, regs::kFaultInfo, regs::kFaultGva, regs::kFaultGpa}) {
    EXPECT_EQ(blk.write(r, 0x1000), RegStatus::kReadOnly) << r;
    EXPECT_EQ(blk.write(r, 0), RegStatus::kReadOnly) << r;
  }
  EXPECT_TRUE(snapshot(blk) == snap);
  EXPECT_EQ(blk.read(regs::kStatus), status(RegStatus::kReadOnly, regs::kFaultGpa, 8));
}

TEST_F(RegisterBlockTest, UnknownOrUnalignedOffsets) {
  const Snapshot snap = snapshot(blk);
  std::uint64_t count = 0;
  for (std::uint32_t off : {0x0b0u, 0x0f8u, 0x100u, 0x00cu, 0x001u, 0x0aau, 0x1234u}) {
    EXPECT_EQ(blk.write(off, 0), RegStatus::kBadOffset) << off;
    EXPECT_EQ(blk.read(regs::kStatus), status(RegStatus::kBadOffset, off, ++count));
    EXPECT_EQ(blk.read(off), 0u) << off;  // a read records the bad offset too
    EXPECT_EQ(blk.read(regs::kStatus), status(RegStatus::kBadOffset, off, ++count));
  }
  EXPECT_TRUE(snapshot(blk) == snap);
  // STATUS.OFFSET is 16 bits wide.
  EXPECT_EQ(blk.write(0x12345678u, 1), RegStatus::kBadOffset);
  EXPECT_EQ(blk.read(regs::kStatus), status(RegStatus::kBadOffset, 0x5678, ++count));
}

TEST_F(RegisterBlockTest, WriteOnlyRegistersReadZero) {
  write_guest(0x1000, 0x2000, 0);
  ok(regs::kSegCommit, commit_bits(true, false));
  ok(regs::kFilterAdd, 0x55);
  ok(regs::kInvCmd, static_cast<std::uint64_t>(InvOp::kFlushAll));
  for (const regs::RegDesc& r : regs::kRegisters) {
    if (r.access == regs::RegAccess::kWO) {
      EXPECT_EQ(blk.read(r.offset), 0u) << r.name;
    }
  }
  EXPECT_EQ(blk.read(regs::kStatus), 0u);
}

// A refusal leaves every register but STATUS as it was, the staged segments included.
TEST_F(RegisterBlockTest, RefusedWritesChangeNothing) {
  ok(regs::kMode, static_cast<unsigned>(Mode::kDualDirect));
  ok(regs::kCr3, 0x3000);
  ok(regs::kPcid, 5);
  ok(regs::kEptp, ept::eptp::make(0x9000, false));
  ok(regs::kVmid, 6);
  write_guest(0x10000, 0x20000, 0x1000);
  write_vmm(0x100000, 0x200000, 0x1000000);
  ok(regs::kSegCommit, commit_bits(true, true));
  ok(regs::kFilterAdd, 0x101);
  ok(regs::kInvAddr, 0xabc000);
  ok(regs::kConfig, 0x3400);
  // Staged copies that differ from the committed ones.
  write_guest(0x30000, 0x40000, 0x2000);
  write_vmm(0x300000, 0x400000, 0x2000000);
  blk.record_fault(Fault{FaultKind::kEptViolation, FaultStage::kGuestTable, 2, 0x181, 0x5000,
                         0x6000});
  invs.clear();
  const Snapshot snap = snapshot(blk);

  struct Bad {
    std::uint32_t offset;
    std::uint64_t value;
    RegStatus expected;
  };
  const Bad bad[] = {
      {regs::kMode, kModeCount, RegStatus::kBadMode},
      {regs::kCr3, 0x3008, RegStatus::kBadCr3},
      {regs::kPcid, 0x1000, RegStatus::kBadValue},
      {regs::kEptp, 0x9000, RegStatus::kBadEptp},
      {regs::kVmid, 0x10000, RegStatus::kBadValue},
      {regs::kBaseG, 0x30001, RegStatus::kSegMisaligned},
      {regs::kLimitV, 0x400800, RegStatus::kSegMisaligned},
      {regs::kSegCommit, 0x6, RegStatus::kBadValue},
      {regs::kFilterCtrl, 0x8001, RegStatus::kBadValue},
      {regs::kFilterAdd, 1ull << 45, RegStatus::kBadValue},
      {regs::kInvCmd, 0xa, RegStatus::kBadInvCommand},
      {regs::kConfig, 0x3401 | (1u << 20), RegStatus::kBadValue},
      {regs::kConfig, 0x0001, RegStatus::kReadOnly},
      {regs::kId, 1, RegStatus::kReadOnly},
      {regs::kFaultInfo, 0, RegStatus::kReadOnly},
      {0x0c0, 0, RegStatus::kBadOffset},
  };
  std::uint64_t count = 0;
  for (const Bad& b : bad) {
    EXPECT_EQ(blk.write(b.offset, b.value), b.expected) << std::hex << b.offset;
    EXPECT_TRUE(snapshot(blk) == snap) << std::hex << b.offset;
    EXPECT_EQ(blk.read(regs::kStatus), status(b.expected, b.offset, ++count));
  }
  EXPECT_TRUE(invs.empty());
  // The staged copies survived every refusal: committing them now applies exactly them.
  ok(regs::kSegCommit, commit_bits(true, true));
  EXPECT_TRUE(same_segment(blk.context().guest_seg, Segment{0x30000, 0x40000, 0x2000}));
  EXPECT_TRUE(same_segment(blk.context().vmm_seg, Segment{0x300000, 0x400000, 0x2000000}));
}

// ---- CONFIG and faults ---------------------------------------------------------------------------

TEST_F(RegisterBlockTest, ConfigAdBitReachesContext) {
  ok(regs::kConfig, 0x3400);  // MAXPHYADDR 52, A/D off
  EXPECT_FALSE(blk.context().ad_updates);
  EXPECT_EQ(blk.read(regs::kConfig), 0x3400u);
  ok(regs::kConfig, 0x3401);
  EXPECT_TRUE(blk.context().ad_updates);
  EXPECT_EQ(blk.read(regs::kConfig), 0x3401u);
  // MAXPHYADDR is read-only: a different value is refused, the A/D bit untouched.
  EXPECT_EQ(blk.write(regs::kConfig, 0x0000), RegStatus::kReadOnly);
  EXPECT_EQ(blk.write(regs::kConfig, 0x2800), RegStatus::kReadOnly);
  EXPECT_EQ(blk.write(regs::kConfig, 0x3402), RegStatus::kBadValue);
  EXPECT_EQ(blk.write(regs::kConfig, 0x13400), RegStatus::kBadValue);
  EXPECT_TRUE(blk.context().ad_updates);
  RegisterBlock small(MmuParams{40, 256, 4});
  EXPECT_EQ(small.write(regs::kConfig, 0x2800), RegStatus::kOk);
  EXPECT_FALSE(small.context().ad_updates);
  EXPECT_EQ(small.write(regs::kConfig, 0x3400), RegStatus::kReadOnly);
  EXPECT_TRUE(invs.empty());
}

TEST_F(RegisterBlockTest, RecordFaultEncodesFaultInfo) {
  blk.record_fault(Fault{FaultKind::kEptViolation, FaultStage::kGuestTable, 3,
                         0x18b, 0x7fff'1234'5678ull, 0x8'9abc'd000ull});
  // KIND 7:0 = 3, STAGE 9:8 = 1, LEVEL 14:12 = 3, CODE 63:32 = 0x18b.
  EXPECT_EQ(blk.read(regs::kFaultInfo), 0x0000'018b'0000'3103ull);
  EXPECT_EQ(blk.read(regs::kFaultGva), 0x7fff'1234'5678ull);
  EXPECT_EQ(blk.read(regs::kFaultGpa), 0x8'9abc'd000ull);
  blk.record_fault(Fault{FaultKind::kGuestPageFault, FaultStage::kFinal, 1,
                         pf::kP | pf::kW | pf::kU, 0x1000, 0});
  EXPECT_EQ(blk.read(regs::kFaultInfo), 0x0000'0007'0000'1202ull);
  EXPECT_EQ(blk.read(regs::kFaultGva), 0x1000u);
  EXPECT_EQ(blk.read(regs::kFaultGpa), 0u);
  blk.record_fault(Fault{FaultKind::kMemoryError, FaultStage::kGuestTable, 4, 0,
                         0xffff'8000'0000'0000ull, 0xffff'f000ull});
  EXPECT_EQ(blk.read(regs::kFaultInfo), 0x0000'0000'0000'4105ull);
  EXPECT_EQ(blk.read(regs::kFaultGpa), 0xffff'f000ull);
  EXPECT_EQ(blk.read(regs::kStatus), 0u);
}

TEST(RegStatusNames, EveryCodeHasItsOwnName) {
  std::set<std::string> names;
  for (unsigned v = 0; v <= static_cast<unsigned>(RegStatus::kBadInvCommand); ++v) {
    const std::string n(regs::to_string(static_cast<RegStatus>(v)));
    EXPECT_NE(n, "?") << v;
    EXPECT_TRUE(names.insert(n).second) << n;
  }
  EXPECT_EQ(regs::to_string(static_cast<RegStatus>(200)), "?");
  std::set<std::string> ops;
  for (unsigned v = 0; v < regs::kInvOpCount; ++v)
    EXPECT_TRUE(ops.insert(std::string(regs::to_string(static_cast<InvOp>(v)))).second) << v;
  EXPECT_EQ(regs::to_string(static_cast<InvOp>(regs::kInvOpCount)), "?");
}

}  // namespace
