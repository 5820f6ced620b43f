// Every fault kind of the golden translator with its attribution (SPEC §1, Intel SDM §4.7,
// §29.3.3): non-canonical gVA; guest #PF (not present at each level, reserved bits, protection)
// with the exact error code; EPT violations on guest-table and final accesses with the exact exit
// qualification; EPT misconfigurations; memory errors. Each check also proves that the walk
// stopped at the first fault: the reference list ends with the faulting reference.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "arch/golden_translator.h"
#include "arch/pte.h"
#include "tests/golden/bounded_memory.h"
#include "tests/golden/golden_test_util.h"
#include "tests/golden/walk_fixture.h"

namespace mmuvp::golden {
namespace {

namespace ept = arch::ept;
namespace pf = arch::pf;
namespace eptq = arch::eptq;
namespace pte = arch::pte;
using arch::AccessType;
using arch::FaultKind;
using arch::FaultStage;
using arch::Mode;
using arch::PageSize;
using arch::TranslationResult;

constexpr gva_t kVa = 0x0000'1234'5678'9abcull;  // 4 KiB page
constexpr gva_t kVa2M = 0x0000'2000'0020'0000ull + 0x1'2345;
constexpr gva_t kVa1G = 0x0000'3000'4000'0000ull + 0x123'4567;
// Data gPAs above 512 GiB: their EPT path leaves the PML4 through slot 1, the guest tables' through
// slot 0, so corrupting a data-path EPT entry never touches a table's translation.
constexpr gpa_t kData4K = 0x81'0000'3000ull;
constexpr gpa_t kData2M = 0x82'0040'0000ull;
constexpr gpa_t kData1G = 0x83'0000'0000ull;
constexpr std::uint64_t kVmRamBytes = 0x100'0000'0000ull;

struct AccessKind {
  AccessType type;
  bool user;
  const char* name;
};
constexpr AccessKind kAccesses[] = {
    {AccessType::kRead, true, "user read"},     {AccessType::kWrite, true, "user write"},
    {AccessType::kExecute, true, "user fetch"}, {AccessType::kRead, false, "sup read"},
    {AccessType::kWrite, false, "sup write"},   {AccessType::kExecute, false, "sup fetch"}};

std::uint32_t pf_bits(const AccessKind& a) {
  return (a.type == AccessType::kWrite ? pf::kW : 0) | (a.user ? pf::kU : 0) |
         (a.type == AccessType::kExecute ? pf::kI : 0);
}
std::uint32_t eptq_bits(AccessType t) {
  return t == AccessType::kWrite     ? eptq::kWrite
         : t == AccessType::kExecute ? eptq::kFetch
                                     : eptq::kRead;
}
constexpr gpa_t page_of(gpa_t a) { return a & ~(arch::kPage4K - 1); }

// A guest address space with one 4K, one 2M and one 1G page, in `mode`.
class Space {
 public:
  Space(Mode mode, unsigned maxphyaddr) : fx(options(mode, maxphyaddr)), gt(fx.mem) {
    fx.map_guest(kVa & ~0xfffull, kData4K, PageSize::k4K);
    fx.map_guest(kVa2M & ~(arch::kPage2M - 1), kData2M, PageSize::k2M);
    fx.map_guest(kVa1G & ~(arch::kPage1G - 1), kData1G, PageSize::k1G);
    if (arch::is_virtualized(mode)) {
      fx.back(gpa_of(kVa), PageSize::k4K);
      fx.back(gpa_of(kVa2M), PageSize::k4K);
      fx.back(gpa_of(kVa1G), PageSize::k4K);
    }
    ctx = fx.context(mode);
    if (mode == Mode::kVmmDirect) ctx.vmm_seg = {0, kVmRamBytes, kVmRamHpa};
  }
  static FixtureOptions options(Mode mode, unsigned maxphyaddr) {
    FixtureOptions o;
    o.virtualized = arch::is_virtualized(mode);
    o.maxphyaddr = maxphyaddr;
    return o;
  }
  bool virt() const { return arch::is_virtualized(ctx.mode); }
  bool ept_walks() const { return virt() && ctx.mode != Mode::kVmmDirect; }
  static gpa_t gpa_of(gva_t va) {
    if (va == kVa) return kData4K + (va & 0xfff);
    if (va == kVa2M) return kData2M + (va & (arch::kPage2M - 1));
    return kData1G + (va & (arch::kPage1G - 1));
  }

  // References of a walk of `va` from level 4 down to guest level `last` (inclusive).
  std::vector<arch::MemRef> guest_refs(gva_t va, unsigned last) const {
    std::vector<arch::MemRef> out;
    for (unsigned l = 4; l >= last; --l) {
      if (ept_walks()) {
        const gpa_t entry = fx.guest_entry_gpa(va, l);
        for (unsigned e = 4; e >= 1; --e) out.push_back(ept_ref(fx.ept_entry_hpa(entry, e), e, l));
      }
      out.push_back(guest_ref(fx.guest_entry_hpa(va, l), l));
    }
    return out;
  }
  // ... followed by the EPT walk of the final gPA down to EPT level `last`.
  void add_final_refs(std::vector<arch::MemRef>& out, gpa_t gpa, unsigned last) const {
    for (unsigned e = 4; e >= last; --e) out.push_back(ept_ref(fx.ept_entry_hpa(gpa, e), e, 0));
  }

  TranslationResult run(gva_t va, const AccessKind& a) {
    return gt.translate(ctx, {va, a.type, a.user});
  }

  WalkFixture fx;
  arch::GoldenTranslator gt;
  arch::TranslationContext ctx;
};

// ---- non-canonical ------------------------------------------------------------------------------

TEST(Faults, NonCanonicalInEveryMode) {
  for (unsigned m = 0; m < arch::kModeCount; ++m) {
    const Mode mode = static_cast<Mode>(m);
    SCOPED_TRACE(std::string(arch::to_string(mode)));
    Space s(mode, arch::kDefaultMaxPhyAddr);
    s.ctx.guest_seg = {0, 0x8000'0000'0000ull, 0};  // even a segment over the whole lower half
    for (gva_t va : {0x0000'8000'0000'0000ull, 0xffff'7fff'ffff'f000ull, 0x7fff'ffff'ffff'ffffull,
                     0x8000'0000'0000'0000ull}) {
      const TranslationResult r = s.run(va, kAccesses[0]);
      EXPECT_EQ(r.fault, make_fault(FaultKind::kNonCanonical, FaultStage::kNone, 0, 0, va, 0));
      EXPECT_TRUE(r.refs.empty());
      EXPECT_TRUE(r.adds.empty());
    }
  }
}

TEST(Faults, HighCanonicalAddressTranslates) {
  Space s(Mode::kNative, arch::kDefaultMaxPhyAddr);
  const gva_t va = 0xffff'8000'0000'1000ull;
  s.fx.map_guest(va, 0x7000, PageSize::k4K, true, false, true);
  const TranslationResult r = s.run(va + 4, kAccesses[3]);
  ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
  EXPECT_EQ(r.hpa, 0x7004u);
}

// ---- guest #PF: not present, reserved bits --------------------------------------------------

class GuestFaults : public ::testing::TestWithParam<Mode> {};

TEST_P(GuestFaults, NotPresentAtEachLevel) {
  for (unsigned level = 4; level >= 1; --level) {
    for (const AccessKind& a : kAccesses) {
      SCOPED_TRACE(::testing::Message() << "level " << level << ", " << a.name);
      Space s(GetParam(), arch::kDefaultMaxPhyAddr);
      const std::vector<arch::MemRef> refs = s.guest_refs(kVa, level);
      s.fx.set_guest_entry(kVa, level, s.fx.guest_entry(kVa, level) & ~pte::kP);
      const TranslationResult r = s.run(kVa, a);
      EXPECT_EQ(r.fault, make_fault(FaultKind::kGuestPageFault, FaultStage::kGuestTable, level,
                                    pf_bits(a), kVa, 0));
      EXPECT_EQ(to_vector(r.refs), refs);
    }
  }
}

TEST_P(GuestFaults, ReservedAddressBitAboveMaxPhyAddrAtEachLevel) {
  constexpr unsigned kMaxPhy = 46;
  for (unsigned level = 4; level >= 1; --level) {
    for (unsigned bit : {kMaxPhy, 51u}) {
      for (const AccessKind& a : kAccesses) {
        SCOPED_TRACE(::testing::Message() << "level " << level << " bit " << bit << ", " << a.name);
        Space s(GetParam(), kMaxPhy);
        const std::vector<arch::MemRef> refs = s.guest_refs(kVa, level);
        s.fx.set_guest_entry(kVa, level, s.fx.guest_entry(kVa, level) | (1ull << bit));
        const TranslationResult r = s.run(kVa, a);
        EXPECT_EQ(r.fault, make_fault(FaultKind::kGuestPageFault, FaultStage::kGuestTable, level,
                                      pf::kP | pf::kRsvd | pf_bits(a), kVa, 0));
        EXPECT_EQ(to_vector(r.refs), refs);
      }
    }
  }
}

TEST_P(GuestFaults, ReservedPsInPml4eAndLowFrameBitsOfLargePages) {
  struct Case {
    gva_t va;
    unsigned level;
    std::uint64_t bit;
  };
  const Case cases[] = {{kVa, 4, pte::kPS},
                        {kVa2M, 2, 1ull << 13},
                        {kVa2M, 2, 1ull << 20},
                        {kVa1G, 3, 1ull << 13},
                        {kVa1G, 3, 1ull << 29}};
  for (const Case& c : cases) {
    for (const AccessKind& a : {kAccesses[1], kAccesses[5]}) {
      SCOPED_TRACE(::testing::Message() << "level " << c.level << " bits 0x" << std::hex << c.bit);
      Space s(GetParam(), arch::kDefaultMaxPhyAddr);
      const std::vector<arch::MemRef> refs = s.guest_refs(c.va, c.level);
      s.fx.set_guest_entry(c.va, c.level, s.fx.guest_entry(c.va, c.level) | c.bit);
      const TranslationResult r = s.run(c.va, a);
      EXPECT_EQ(r.fault, make_fault(FaultKind::kGuestPageFault, FaultStage::kGuestTable, c.level,
                                    pf::kP | pf::kRsvd | pf_bits(a), c.va, 0));
      EXPECT_EQ(to_vector(r.refs), refs);
    }
  }
}

TEST_P(GuestFaults, BitsThatAreNotReserved) {
  // PAT (bit 12) on large pages, ignored bits 62:52, XD (NXE = 1), PS/PAT bit 7 in a 4K PTE.
  struct Case {
    gva_t va;
    unsigned level;
    std::uint64_t bits;
  };
  const Case cases[] = {{kVa2M, 2, pte::kPATLarge},
                        {kVa1G, 3, pte::kPATLarge},
                        {kVa, 1, arch::bit_range(62, 52)},
                        {kVa, 4, arch::bit_range(62, 52)},
                        {kVa, 1, pte::kPS}};
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "level " << c.level << " bits 0x" << std::hex << c.bits);
    Space s(GetParam(), 46);
    s.fx.set_guest_entry(c.va, c.level, s.fx.guest_entry(c.va, c.level) | c.bits);
    const TranslationResult r = s.run(c.va, kAccesses[1]);
    ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
    EXPECT_EQ(r.gpa, Space::gpa_of(c.va));
  }
}

// ---- guest #PF: protection ----------------------------------------------------------------------

TEST_P(GuestFaults, ProtectionAtTheLeaf) {
  struct Case {
    const char* name;
    bool w, u, x;
    AccessKind access;
    bool faults;
  };
  const Case cases[] = {
      {"user read of supervisor page", true, false, true, kAccesses[0], true},
      {"user write to supervisor page", true, false, true, kAccesses[1], true},
      {"user fetch from supervisor page", true, false, true, kAccesses[2], true},
      {"supervisor read of supervisor page", true, false, true, kAccesses[3], false},
      {"supervisor read of user page (no SMAP)", true, true, true, kAccesses[3], false},
      {"supervisor fetch from user page (no SMEP)", true, true, true, kAccesses[5], false},
      {"user write to read-only page", false, true, true, kAccesses[1], true},
      {"supervisor write to read-only page (WP=1)", false, true, true, kAccesses[4], true},
      {"user read of read-only page", false, true, true, kAccesses[0], false},
      {"user fetch from XD page", true, true, false, kAccesses[2], true},
      {"supervisor fetch from XD page", true, true, false, kAccesses[5], true},
      {"user read of XD page", true, true, false, kAccesses[0], false},
  };
  const gva_t vas[] = {kVa, kVa2M, kVa1G};
  const unsigned leaf_levels[] = {1, 2, 3};
  for (unsigned i = 0; i < 3; ++i) {
    for (const Case& c : cases) {
      SCOPED_TRACE(::testing::Message() << c.name << " at level " << leaf_levels[i]);
      Space s(GetParam(), arch::kDefaultMaxPhyAddr);
      const gva_t va = vas[i];
      const unsigned leaf = leaf_levels[i];
      const std::uint64_t e = s.fx.guest_entry(va, leaf);
      s.fx.set_guest_entry(va, leaf,
                           (e & ~(pte::kRW | pte::kUS | pte::kXD)) | (c.w ? pte::kRW : 0) |
                               (c.u ? pte::kUS : 0) | (c.x ? 0 : pte::kXD));
      const TranslationResult r = s.run(va, c.access);
      if (!c.faults) {
        ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
        EXPECT_EQ(r.perms, (arch::Perms{true, c.w, c.x, c.u}));
        continue;
      }
      EXPECT_EQ(r.fault, make_fault(FaultKind::kGuestPageFault, FaultStage::kFinal, leaf,
                                    pf::kP | pf_bits(c.access), va, 0));
      EXPECT_EQ(to_vector(r.refs), s.guest_refs(va, leaf));  // no final EPT walk
    }
  }
}

TEST_P(GuestFaults, ProtectionAccumulatesOverNonLeafLevels) {
  struct Case {
    unsigned level;
    std::uint64_t clear, set;
    AccessKind access;
  };
  const Case cases[] = {{3, pte::kUS, 0, kAccesses[0]},
                        {4, pte::kRW, 0, kAccesses[4]},
                        {2, 0, pte::kXD, kAccesses[2]},
                        {4, 0, pte::kXD, kAccesses[5]}};
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "non-leaf level " << c.level);
    Space s(GetParam(), arch::kDefaultMaxPhyAddr);
    s.fx.set_guest_entry(kVa, c.level, (s.fx.guest_entry(kVa, c.level) & ~c.clear) | c.set);
    const TranslationResult r = s.run(kVa, c.access);
    EXPECT_EQ(r.fault, make_fault(FaultKind::kGuestPageFault, FaultStage::kFinal, 1,
                                  pf::kP | pf_bits(c.access), kVa, 0));
    EXPECT_EQ(to_vector(r.refs), s.guest_refs(kVa, 1));
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, GuestFaults,
                         ::testing::Values(Mode::kNative, Mode::kNested, Mode::kVmmDirect),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           std::string n(arch::to_string(info.param));
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

// ---- EPT violations -----------------------------------------------------------------------------

TEST(EptViolation, NotPresentOnTheGuestTableOfEachLevel) {
  for (unsigned level = 4; level >= 1; --level) {
    for (const AccessKind& a : kAccesses) {
      SCOPED_TRACE(::testing::Message() << "guest level " << level << ", " << a.name);
      Space s(Mode::kNested, arch::kDefaultMaxPhyAddr);
      const gpa_t entry = s.fx.guest_entry_gpa(kVa, level);
      std::vector<arch::MemRef> refs = s.guest_refs(kVa, level);
      refs.pop_back();  // the guest entry itself is never read
      s.fx.set_ept_entry(page_of(entry), 1, 0);
      const TranslationResult r = s.run(kVa, a);
      // Guest paging-structure reads are data reads whatever the access (EPT A/D off).
      EXPECT_EQ(r.fault, make_fault(FaultKind::kEptViolation, FaultStage::kGuestTable, 1,
                                    eptq::kRead | eptq::kGvaValid, kVa, entry));
      EXPECT_EQ(to_vector(r.refs), refs);
    }
  }
}

TEST(EptViolation, NotPresentOnTheFinalGpaAtEachEptLevel) {
  for (unsigned level = 4; level >= 1; --level) {
    for (const AccessKind& a : kAccesses) {
      SCOPED_TRACE(::testing::Message() << "EPT level " << level << ", " << a.name);
      Space s(Mode::kNested, arch::kDefaultMaxPhyAddr);
      const gpa_t gpa = Space::gpa_of(kVa);
      std::vector<arch::MemRef> refs = s.guest_refs(kVa, 1);
      s.add_final_refs(refs, gpa, level);
      // The data gPA has its own EPT path below the PML4 (slot 0 holds the tables' path).
      ASSERT_NE(index_at(gpa, 4), index_at(kGuestTablesGpa, 4));
      s.fx.set_ept_entry(gpa, level, 0);
      const TranslationResult r = s.run(kVa, a);
      EXPECT_EQ(r.fault, make_fault(FaultKind::kEptViolation, FaultStage::kFinal, level,
                                    eptq_bits(a.type) | eptq::kGvaValid | eptq::kFinal, kVa, gpa));
      EXPECT_EQ(to_vector(r.refs), refs);
    }
  }
}

TEST(EptViolation, PermissionsOfTheFinalPage) {
  struct Case {
    const char* name;
    std::uint64_t leaf_rwx;
    std::uint64_t pde_rwx;  // permissions of the non-leaf EPT PDE above it
    AccessType type;
    bool faults;
    std::uint32_t perm_bits;  // exit-qualification bits 5:3 on a violation
  };
  const Case cases[] = {
      {"write to read-only", ept::kR, ept::kRWX, AccessType::kWrite, true, eptq::kReadable},
      {"fetch from non-executable", ept::kR | ept::kW, ept::kRWX, AccessType::kExecute, true,
       eptq::kReadable | eptq::kWritable},
      {"read of execute-only", ept::kX, ept::kRWX, AccessType::kRead, true, eptq::kExecutable},
      {"write through a read/execute PDE", ept::kRWX, ept::kR | ept::kX, AccessType::kWrite, true,
       eptq::kReadable | eptq::kExecutable},
      {"fetch from execute-only", ept::kX, ept::kRWX, AccessType::kExecute, false, 0},
      {"read of read-only", ept::kR, ept::kRWX, AccessType::kRead, false, 0},
      {"write to read/write", ept::kR | ept::kW, ept::kR | ept::kW, AccessType::kWrite, false, 0},
  };
  for (const Case& c : cases) {
    for (bool user : {true, false}) {
      SCOPED_TRACE(::testing::Message() << c.name << (user ? " (user)" : " (supervisor)"));
      Space s(Mode::kNested, arch::kDefaultMaxPhyAddr);
      const gpa_t gpa = Space::gpa_of(kVa);
      const std::uint64_t leaf = s.fx.ept_entry(gpa, 1);
      s.fx.set_ept_entry(gpa, 1, (leaf & ~ept::kRWX) | c.leaf_rwx);
      const std::uint64_t pde = s.fx.ept_entry(gpa, 2);
      s.fx.set_ept_entry(gpa, 2, (pde & ~ept::kRWX) | c.pde_rwx);
      const TranslationResult r = s.gt.translate(s.ctx, {kVa, c.type, user});
      if (!c.faults) {
        ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
        EXPECT_EQ(r.perms.r, (c.leaf_rwx & c.pde_rwx & ept::kR) != 0);
        EXPECT_EQ(r.perms.w, (c.leaf_rwx & c.pde_rwx & ept::kW) != 0);
        EXPECT_EQ(r.perms.x, (c.leaf_rwx & c.pde_rwx & ept::kX) != 0);
        continue;
      }
      std::vector<arch::MemRef> refs = s.guest_refs(kVa, 1);
      s.add_final_refs(refs, gpa, 1);
      EXPECT_EQ(
          r.fault,
          make_fault(FaultKind::kEptViolation, FaultStage::kFinal, 1,
                     eptq_bits(c.type) | eptq::kGvaValid | eptq::kFinal | c.perm_bits, kVa, gpa));
      EXPECT_EQ(to_vector(r.refs), refs);
    }
  }
}

TEST(EptViolation, GuestTableOnAnExecuteOnlyPage) {
  for (unsigned level = 4; level >= 1; --level) {
    SCOPED_TRACE(::testing::Message() << "guest level " << level);
    Space s(Mode::kNested, arch::kDefaultMaxPhyAddr);
    const gpa_t entry = s.fx.guest_entry_gpa(kVa, level);
    std::vector<arch::MemRef> refs = s.guest_refs(kVa, level);
    refs.pop_back();
    const std::uint64_t leaf = s.fx.ept_entry(page_of(entry), 1);
    s.fx.set_ept_entry(page_of(entry), 1, (leaf & ~ept::kRWX) | ept::kX);
    const TranslationResult r = s.run(kVa, kAccesses[2]);
    EXPECT_EQ(r.fault, make_fault(FaultKind::kEptViolation, FaultStage::kGuestTable, 1,
                                  eptq::kRead | eptq::kGvaValid | eptq::kExecutable, kVa, entry));
    EXPECT_EQ(to_vector(r.refs), refs);
  }
}

TEST(EptViolation, GpaBeyondTheFourLevelEptIsNotAliased) {
  // A guest leaf pointing at gPA 2^48 + x (legal with MAXPHYADDR 52) must not be translated
  // through the EPT entries of x.
  Space s(Mode::kNested, arch::kDefaultMaxPhyAddr);
  const gpa_t high = (1ull << 48) + kData4K;
  s.fx.set_guest_entry(kVa, 1, pte::make_leaf(high, 1, true, true, true));
  const TranslationResult r = s.run(kVa, kAccesses[0]);
  EXPECT_EQ(r.fault,
            make_fault(FaultKind::kEptViolation, FaultStage::kFinal, 4,
                       eptq::kRead | eptq::kGvaValid | eptq::kFinal, kVa, high + (kVa & 0xfff)));
  EXPECT_EQ(to_vector(r.refs), s.guest_refs(kVa, 1));
  // The VMM segment may still cover such a gPA (dual-direct / vmm-direct).
  s.ctx.mode = Mode::kVmmDirect;
  s.ctx.vmm_seg = {1ull << 48, (1ull << 48) + kVmRamBytes, kVmRamHpa};
  const TranslationResult seg = s.run(kVa, kAccesses[0]);
  ASSERT_TRUE(seg.ok()) << arch::describe(seg.fault);
  EXPECT_EQ(seg.hpa, high + (kVa & 0xfff) + kVmRamHpa);
}

// ---- EPT misconfigurations ----------------------------------------------------------------------

TEST(EptMisconfig, FinalGpaEntries) {
  constexpr unsigned kMaxPhy = 46;
  struct Case {
    const char* name;
    gva_t va;
    unsigned level;
    std::uint64_t clear, set;
  };
  auto mt = [](std::uint64_t t) { return t << ept::kMemTypeShift; };
  const std::uint64_t kMt = arch::bit_range(5, 3);
  const Case cases[] = {
      {"write-only leaf", kVa, 1, ept::kRWX, ept::kW},
      {"write/execute leaf without read", kVa, 1, ept::kRWX, ept::kW | ept::kX},
      {"memory type 2", kVa, 1, kMt, mt(2)},
      {"memory type 3", kVa, 1, kMt, mt(3)},
      {"memory type 7", kVa, 1, kMt, mt(7)},
      {"memory type 7 on a read-only leaf", kVa, 1, kMt | ept::kW | ept::kX, mt(7)},
      {"address bit above MAXPHYADDR in the leaf", kVa, 1, 0, 1ull << kMaxPhy},
      {"address bit above MAXPHYADDR in the PDPTE", kVa, 3, 0, 1ull << 51},
      {"large bit in the PML4E", kVa, 4, 0, ept::kLarge},
      {"memory-type bits in a non-leaf PDE", kVa, 2, 0, mt(6)},
      {"ignore-PAT bit in a non-leaf PDPTE", kVa, 3, 0, ept::kIgnorePat},
      {"write-only non-leaf PDE", kVa, 2, ept::kRWX, ept::kW},
  };
  for (const Case& c : cases) {
    for (AccessType t : {AccessType::kRead, AccessType::kWrite}) {
      SCOPED_TRACE(::testing::Message() << c.name << (t == AccessType::kWrite ? " (write)" : ""));
      Space s(Mode::kNested, kMaxPhy);
      const gpa_t gpa = Space::gpa_of(c.va);
      std::vector<arch::MemRef> refs = s.guest_refs(c.va, 1);
      s.add_final_refs(refs, gpa, c.level);
      s.fx.set_ept_entry(gpa, c.level, (s.fx.ept_entry(gpa, c.level) & ~c.clear) | c.set);
      const TranslationResult r = s.gt.translate(s.ctx, {c.va, t, true});
      EXPECT_EQ(r.fault,
                make_fault(FaultKind::kEptMisconfig, FaultStage::kFinal, c.level, 0, c.va, gpa));
      EXPECT_EQ(to_vector(r.refs), refs);
    }
  }
}

TEST(EptMisconfig, LowFrameBitsOfLargeEptPages) {
  for (PageSize size : {PageSize::k2M, PageSize::k1G}) {
    const unsigned level = size == PageSize::k1G ? 3 : 2;
    for (unsigned bit : {12u, level == 3 ? 29u : 20u}) {
      SCOPED_TRACE(::testing::Message() << arch::to_string(size) << " bit " << bit);
      WalkFixture fx;
      arch::GoldenTranslator gt(fx.mem);
      const gpa_t gpa = 0x40'0000'0000ull;
      fx.map_guest(kVa & ~0xfffull, gpa, PageSize::k4K);
      fx.back(gpa, size);
      fx.set_ept_entry(gpa, level, fx.ept_entry(gpa, level) | (1ull << bit));
      const TranslationResult r =
          gt.translate(fx.context(Mode::kNested), {kVa, AccessType::kRead, true});
      EXPECT_EQ(r.fault, make_fault(FaultKind::kEptMisconfig, FaultStage::kFinal, level, 0, kVa,
                                    gpa + (kVa & 0xfff)));
      EXPECT_EQ(r.refs[r.refs.size() - 1], ept_ref(fx.ept_entry_hpa(gpa, level), level, 0));
    }
  }
}

TEST(EptMisconfig, GuestTableEntryAndPrecedence) {
  Space s(Mode::kNested, arch::kDefaultMaxPhyAddr);
  const gpa_t entry = s.fx.guest_entry_gpa(kVa, 2);
  std::vector<arch::MemRef> refs = s.guest_refs(kVa, 2);
  refs.pop_back();
  const std::uint64_t leaf = s.fx.ept_entry(page_of(entry), 1);
  s.fx.set_ept_entry(page_of(entry), 1, (leaf & ~ept::kRWX) | ept::kW);
  TranslationResult r = s.run(kVa, kAccesses[0]);
  EXPECT_EQ(r.fault,
            make_fault(FaultKind::kEptMisconfig, FaultStage::kGuestTable, 1, 0, kVa, entry));
  EXPECT_EQ(to_vector(r.refs), refs);

  // A not-present entry is a violation even with reserved bits set: they are ignored.
  s.fx.set_ept_entry(page_of(entry), 1, (leaf & ~ept::kRWX) | (7ull << ept::kMemTypeShift));
  r = s.run(kVa, kAccesses[0]);
  EXPECT_EQ(r.fault.kind, FaultKind::kEptViolation);
  // Execute-only is supported: not a misconfiguration (a read of it is a violation).
  s.fx.set_ept_entry(page_of(entry), 1, (leaf & ~ept::kRWX) | ept::kX);
  r = s.run(kVa, kAccesses[0]);
  EXPECT_EQ(r.fault.kind, FaultKind::kEptViolation);
}

// ---- memory errors ------------------------------------------------------------------------------

constexpr std::uint64_t kMemLimit = 0x200'0000'0000ull;  // 2 TiB: above every fixture frame
constexpr std::uint64_t kBeyond = 0x400'0000'0000ull;

TEST(MemoryError, GuestTableBeyondMemoryNative) {
  Space s(Mode::kNative, arch::kDefaultMaxPhyAddr);
  BoundedMemory mem(s.fx.mem, kMemLimit);
  arch::GoldenTranslator gt(mem);
  s.fx.set_guest_entry(kVa, 4, pte::make_table(kBeyond));
  const TranslationResult r = gt.translate(s.ctx, {kVa, AccessType::kRead, true});
  const hpa_t pa = kBeyond + 8 * index_at(kVa, 3);
  EXPECT_EQ(r.fault, make_fault(FaultKind::kMemoryError, FaultStage::kGuestTable, 3, 0, kVa, pa));
  const std::vector<arch::MemRef> refs = {guest_ref(s.fx.guest_entry_hpa(kVa, 4), 4),
                                          guest_ref(pa, 3)};
  EXPECT_EQ(to_vector(r.refs), refs);
}

TEST(MemoryError, GuestTableMappedBeyondMemoryNested) {
  Space s(Mode::kNested, arch::kDefaultMaxPhyAddr);
  BoundedMemory mem(s.fx.mem, kMemLimit);
  arch::GoldenTranslator gt(mem);
  const gpa_t entry = s.fx.guest_entry_gpa(kVa, 2);
  s.fx.set_ept_entry(page_of(entry), 1, ept::make_leaf(kBeyond, 1));
  const hpa_t pa = kBeyond + (entry & 0xfff);
  std::vector<arch::MemRef> refs = s.guest_refs(kVa, 2);
  refs.back() = guest_ref(pa, 2);
  const TranslationResult r = gt.translate(s.ctx, {kVa, AccessType::kWrite, false});
  EXPECT_EQ(r.fault, make_fault(FaultKind::kMemoryError, FaultStage::kGuestTable, 2, 0, kVa, pa));
  EXPECT_EQ(to_vector(r.refs), refs);
}

TEST(MemoryError, EptTableBeyondMemory) {
  Space s(Mode::kNested, arch::kDefaultMaxPhyAddr);
  BoundedMemory mem(s.fx.mem, kMemLimit);
  arch::GoldenTranslator gt(mem);
  const gpa_t gpa = Space::gpa_of(kVa);
  s.fx.set_ept_entry(gpa, 3, ept::make_table(kBeyond));  // final gPA's EPT PD beyond memory
  const hpa_t pa = kBeyond + 8 * index_at(gpa, 2);
  std::vector<arch::MemRef> refs = s.guest_refs(kVa, 1);
  s.add_final_refs(refs, gpa, 3);
  refs.push_back(ept_ref(pa, 2, 0));
  const TranslationResult r = gt.translate(s.ctx, {kVa, AccessType::kRead, true});
  EXPECT_EQ(r.fault, make_fault(FaultKind::kMemoryError, FaultStage::kFinal, 2, 0, kVa, pa));
  EXPECT_EQ(to_vector(r.refs), refs);
}

}  // namespace
}  // namespace mmuvp::golden
