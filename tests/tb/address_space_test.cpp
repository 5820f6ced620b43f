// The address-space lister against hand-built tables (native and nested, every page size, holes,
// upper-half addresses, XD / read-only / supervisor at every level, bad entries), checked against
// the descriptions of the scenarios and, mapping by mapping, against the golden translator.
#include "arch/address_space.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "arch/golden_translator.h"
#include "arch/image_memory.h"
#include "tests/tb/scenarios.h"

namespace mmuvp::arch {
namespace {

using test::NativeScenario;
using test::NestedScenario;
using test::TempDir;

struct Expected {
  gva_t va;
  hpa_t pa;
  PageSize size;
  std::string flags;
};

std::string text(const Mapping& m) {
  return fmt::format("0x{:016x} 0x{:x} {} {}", m.va, m.pa, to_string(m.size),
                     flag_letters(m.flags));
}
std::string text(const Expected& e) {
  return fmt::format("0x{:016x} 0x{:x} {} {}", e.va, e.pa, to_string(e.size), e.flags);
}

TranslationContext context(const AddressSpaceRoots& roots) {
  TranslationContext ctx;
  ctx.mode = roots.nested ? Mode::kNested : Mode::kNative;
  ctx.cr3 = roots.cr3;
  ctx.eptp = roots.eptp;
  ctx.maxphyaddr = roots.maxphyaddr;
  ctx.ad_updates = false;
  return ctx;
}

// Every listed mapping translates (supervisor read, or fetch where it is not readable) to its pa
// with the same size and flags; every issue is the fault the golden walk raises at its address;
// and addresses around them that no mapping covers do not translate.
void check_against_golden(PhysMem& mem, const AddressSpaceRoots& roots,
                          const std::vector<Mapping>& maps, const std::vector<ListIssue>& issues) {
  GoldenTranslator golden(mem);
  const TranslationContext ctx = context(roots);
  for (std::size_t i = 0; i + 1 < maps.size(); ++i) {
    ASSERT_LE(maps[i].va + page_bytes(maps[i].size), maps[i + 1].va) << "order/overlap at " << i;
  }
  for (const Mapping& m : maps) {
    const std::uint64_t bytes = page_bytes(m.size);
    const AccessType type = (m.flags & mapping_flag::kR) ? AccessType::kRead : AccessType::kExecute;
    for (std::uint64_t off : {std::uint64_t{0}, bytes / 2 + 8, bytes - 8}) {
      const TranslationResult r = golden.translate(ctx, Access{m.va + off, type, false});
      ASSERT_TRUE(r.ok()) << text(m) << ": " << describe(r.fault);
      EXPECT_EQ(r.hpa, m.pa + off) << text(m);
      EXPECT_EQ(r.gpa, m.gpa + off) << text(m);
      EXPECT_EQ(r.size, m.size) << text(m);
      EXPECT_EQ(mapping_flags(r.perms, r.guest_leaf), m.flags) << text(m);
    }
  }
  for (const ListIssue& issue : issues) {
    const TranslationResult r = golden.translate(ctx, Access{issue.va, AccessType::kRead, false});
    EXPECT_EQ(r.fault, issue.fault) << describe(issue) << " vs golden " << describe(r.fault);
    const TranslationResult last =
        golden.translate(ctx, Access{issue.va + issue.span - 8, AccessType::kRead, false});
    EXPECT_EQ(last.fault.kind, issue.fault.kind) << describe(issue);
    EXPECT_EQ(last.fault.level, issue.fault.level) << describe(issue);
  }
  // Random addresses near the mappings: covered <=> translates.
  std::mt19937_64 rng(12345);
  auto covered = [&](gva_t va) {
    auto it = std::upper_bound(maps.begin(), maps.end(), va,
                               [](gva_t v, const Mapping& m) { return v < m.va; });
    if (it == maps.begin()) return false;
    --it;
    return va - it->va < page_bytes(it->size);
  };
  for (int n = 0; n < 4000 && !maps.empty(); ++n) {
    const Mapping& m = maps[rng() % maps.size()];
    const std::uint64_t bytes = page_bytes(m.size);
    const gva_t va = (m.va + (rng() % (4 * bytes)) - 2 * bytes) & ~7ull;
    if (!is_canonical(va)) continue;
    const TranslationResult r = golden.translate(ctx, Access{va, AccessType::kRead, false});
    if (!covered(va)) {
      EXPECT_FALSE(r.ok()) << fmt::format("0x{:x} translates but is not listed", va);
    }
  }
}

ListStats collect(PhysMem& mem, const AddressSpaceRoots& roots, std::vector<Mapping>& maps,
                  std::vector<ListIssue>& issues) {
  class Sink final : public MappingSink {
   public:
    Sink(std::vector<Mapping>& m, std::vector<ListIssue>& i) : maps_(m), issues_(i) {}
    bool on_mapping(const Mapping& m) override {
      maps_.push_back(m);
      return true;
    }
    void on_issue(const ListIssue& issue) override { issues_.push_back(issue); }

   private:
    std::vector<Mapping>& maps_;
    std::vector<ListIssue>& issues_;
  } sink(maps, issues);
  return list_mappings(mem, roots, sink);
}

TEST(MappingFlags, LettersInOrder) {
  EXPECT_EQ(flag_letters(0), "");
  EXPECT_EQ(flag_letters(0x7f), "rwxugad");
  EXPECT_EQ(flag_letters(mapping_flag::kR | mapping_flag::kA), "ra");
  EXPECT_EQ(
      mapping_flags(Perms{true, false, true, true}, pte::kG | pte::kD),
      mapping_flag::kR | mapping_flag::kX | mapping_flag::kU | mapping_flag::kG | mapping_flag::kD);
}

class NativeList : public ::testing::Test {
 protected:
  void SetUp() override {
    sc_.save(dir_.file("mem.bin"));
    mem_.add(dir_.file("mem.bin"));
    roots_.cr3 = sc_.cr3();
    stats_ = collect(mem_, roots_, maps_, issues_);
  }
  NativeScenario sc_;
  TempDir dir_;
  ImageMemory mem_;
  AddressSpaceRoots roots_;
  std::vector<Mapping> maps_;
  std::vector<ListIssue> issues_;
  ListStats stats_;
};

TEST_F(NativeList, ListsEveryLeafAscendingWithFlags) {
  const std::vector<Expected> want = {
      {0x0000000000400000, 0x100000, PageSize::k4K, "rwxuad"},
      {0x0000000000401000, 0x105000, PageSize::k4K, "rxu"},
      {0x0000000000403000, 0x200000, PageSize::k4K, "rw"},
      {0x0000000000404000, 0x220000, PageSize::k4K, "rwxu"},
      {0x0000000040000000, 0x80000000, PageSize::k2M, "rwxuga"},
      {0x0000008000000000, 0x100000000, PageSize::k1G, "ru"},
      {0x0000010000000000, 0x300000, PageSize::k4K, "rwu"},
      {0x0000010040000000, 0x310000, PageSize::k4K, "rxu"},
      {0x0000018000000000, 0x320000, PageSize::k4K, "rwx"},
      {0xffff888000000000, 0x0, PageSize::k2M, "rwgad"},
      {0xffff888000200000, 0x200000, PageSize::k2M, "rwgad"},
      {0xffffffff81000000, 0x1000000, PageSize::k2M, "rxga"},
  };
  ASSERT_EQ(maps_.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(text(maps_[i]), text(want[i]));
    EXPECT_EQ(maps_[i].gpa, maps_[i].pa);
    EXPECT_EQ(maps_[i].guest_size, maps_[i].size);
    EXPECT_EQ(maps_[i].ept_leaf, 0u);
  }
  EXPECT_EQ(stats_.mappings, want.size());
  EXPECT_EQ(stats_.guest_leaves, want.size());
  EXPECT_FALSE(stats_.stopped);
  // PML4; index 0: PDPT, PD + PT of the 4K pages, PD of the 2M pages; index 1: PDPT of the 1G;
  // index 2: PDPT, 2 PDs, 2 PTs; index 3: PDPT, PD, PT; index 273 (0xffff888...): PDPT, PD;
  // index 511: PDPT, PD. Not the PDPT outside the image, nor anything below a reserved entry.
  EXPECT_EQ(stats_.guest_tables, 1u + 4 + 1 + 5 + 3 + 2 + 2);
}

TEST_F(NativeList, ReportsBadEntriesAsTheFaultsAWalkRaises) {
  ASSERT_EQ(issues_.size(), 3u);
  EXPECT_EQ(stats_.issues, 3u);
  // The 2M PDE with a reserved address bit.
  EXPECT_EQ(issues_[0].va, 0x40200000u);
  EXPECT_EQ(issues_[0].span, kPage2M);
  EXPECT_EQ(issues_[0].fault.kind, FaultKind::kGuestPageFault);
  EXPECT_EQ(issues_[0].fault.stage, FaultStage::kGuestTable);
  EXPECT_EQ(issues_[0].fault.level, 2);
  EXPECT_EQ(issues_[0].fault.code, pf::kP | pf::kRsvd);
  EXPECT_EQ(issues_[0].entry & bit_range(51, 12), 0x80200000u | (1u << 13));
  // The PML4E with PS.
  EXPECT_EQ(issues_[1].va, 0x28000000000u);
  EXPECT_EQ(issues_[1].span, 1ull << 39);
  EXPECT_EQ(issues_[1].fault.level, 4);
  EXPECT_EQ(issues_[1].fault.code, pf::kP | pf::kRsvd);
  EXPECT_EQ(issues_[1].entry_addr, sc_.cr3() + 8 * 5);
  // The PDPT outside the image: the whole table is one issue.
  EXPECT_EQ(issues_[2].va, 0x30000000000u);
  EXPECT_EQ(issues_[2].span, 1ull << 39);
  EXPECT_EQ(issues_[2].fault.kind, FaultKind::kMemoryError);
  EXPECT_EQ(issues_[2].fault.level, 3);
  EXPECT_EQ(issues_[2].fault.gpa, NativeScenario::kOutsidePdpt);
  EXPECT_EQ(describe(issues_[0]).find('\n'), std::string::npos);
  EXPECT_NE(describe(issues_[0]).find("0x0000000040200000 +2M: guest #PF"), std::string::npos);
}

TEST_F(NativeList, AgreesWithTheGoldenTranslator) {
  check_against_golden(mem_, roots_, maps_, issues_);
}

TEST_F(NativeList, SinkCanStopTheEnumeration) {
  class FirstThree final : public MappingSink {
   public:
    bool on_mapping(const Mapping&) override { return ++n < 3; }
    void on_issue(const ListIssue&) override {}
    int n = 0;
  } sink;
  const ListStats s = list_mappings(mem_, roots_, sink);
  EXPECT_EQ(sink.n, 3);
  EXPECT_EQ(s.mappings, 3u);
  EXPECT_TRUE(s.stopped);
}

TEST(NativeListMaxPhyAddr, AddressBitsAboveMaxPhyAddrAreReserved) {
  NativeScenario sc;
  const std::uint64_t pte_addr = sc.pt.entry_addr(0x401000, 1);
  sc.pt.write(pte_addr, sc.pt.read(pte_addr) | (1ull << 46));
  TempDir dir;
  sc.save(dir.file("mem.bin"));
  ImageMemory mem;
  mem.add(dir.file("mem.bin"));
  AddressSpaceRoots roots;
  roots.cr3 = sc.cr3();
  for (unsigned m : {52u, 46u}) {
    roots.maxphyaddr = m;
    std::vector<ListIssue> issues;
    const std::vector<Mapping> maps = list_mappings(mem, roots, &issues);
    const bool listed =
        std::any_of(maps.begin(), maps.end(), [](const Mapping& x) { return x.va == 0x401000; });
    EXPECT_EQ(listed, m == 52) << m;
    EXPECT_EQ(issues.size(), m == 52 ? 3u : 4u) << m;
    if (m == 52) {  // bit 46 is an address bit: the page is there
      EXPECT_EQ(maps[1].pa, 0x105000u | (1ull << 46));
    } else {
      EXPECT_EQ(issues[0].va, 0x401000u);
      EXPECT_EQ(issues[0].fault.code, pf::kP | pf::kRsvd);
    }
    check_against_golden(mem, roots, maps, issues);
  }
}

TEST(NativeListTruncated, ATableCutByTheImageEndIsOneIssue) {
  // The PT of 0x7f0000000000 is the last page allocated; its upper half is cut off.
  test::TableBuilder::Kind guest = test::TableBuilder::Kind::kGuest;
  SparseMemory sparse;
  test::TableBuilder pt(sparse, guest, 0x1000);
  for (unsigned i = 0; i < 512; ++i) {
    pt.map(0x7f0000000000 + i * kPage4K, 0x800000 + i * kPage4K, PageSize::k4K,
           pte::kRW | pte::kUS);
  }
  TempDir dir;
  test::save_image(sparse, 0, pt.alloc_end() - 2048, dir.file("cut.bin"));
  ImageMemory mem;
  mem.add(dir.file("cut.bin"));
  AddressSpaceRoots roots;
  roots.cr3 = pt.root();
  std::vector<ListIssue> issues;
  const std::vector<Mapping> maps = list_mappings(mem, roots, &issues);
  ASSERT_EQ(maps.size(), 256u);
  EXPECT_EQ(maps.back().va, 0x7f0000000000u + 255 * kPage4K);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].va, 0x7f0000000000u + 256 * kPage4K);
  EXPECT_EQ(issues[0].span, 256 * kPage4K);
  EXPECT_EQ(issues[0].fault.kind, FaultKind::kMemoryError);
  EXPECT_EQ(issues[0].fault.level, 1);
  EXPECT_EQ(issues[0].fault.gpa, pt.alloc_end() - 2048);
  check_against_golden(mem, roots, maps, issues);
}

class NestedList : public ::testing::Test {
 protected:
  void load(bool ept_ad) {
    sc_.save_host(dir_.file("host.bin"));
    mem_.add(dir_.file("host.bin"), NestedScenario::kEptBase);
    roots_.cr3 = sc_.cr3();
    roots_.nested = true;
    roots_.eptp = sc_.eptp(ept_ad);
    stats_ = collect(mem_, roots_, maps_, issues_);
  }
  const Mapping* at(gva_t va) const {
    for (const Mapping& m : maps_) {
      if (m.va == va) return &m;
    }
    return nullptr;
  }
  NestedScenario sc_;
  TempDir dir_;
  ImageMemory mem_;
  AddressSpaceRoots roots_;
  std::vector<Mapping> maps_;
  std::vector<ListIssue> issues_;
  ListStats stats_;
};

TEST_F(NestedList, GuestPagesSplitAlongEptPages) {
  load(false);
  ASSERT_EQ(maps_.size(), 511u + 1 + 1 + 1 + 3);
  // The 2M guest page over 4K EPT pages: 511 lines of 4K, EPT page 5 missing.
  for (unsigned i = 0; i < 512; ++i) {
    const Mapping* m = at(0x200000 + i * kPage4K);
    if (i == 5) {
      EXPECT_EQ(m, nullptr);
      continue;
    }
    ASSERT_NE(m, nullptr) << i;
    EXPECT_EQ(m->size, PageSize::k4K);
    EXPECT_EQ(m->guest_size, PageSize::k2M);
    EXPECT_EQ(m->gpa, 0x40400000u + i * kPage4K);
    EXPECT_EQ(m->pa, 0x90000000u + (511 - i) * kPage4K);
    EXPECT_EQ(flag_letters(m->flags), i == 6 ? "rxuad" : i == 7 ? "xuad" : "rwxuad") << i;
  }
  EXPECT_EQ(maps_[0].va, 0x200000u);
  EXPECT_EQ(text(maps_[511]), text(Expected{0x400000, 0x80005000, PageSize::k4K, "rwxua"}));
  EXPECT_EQ(text(maps_[512]), text(Expected{0x600000, 0xa0000000, PageSize::k4K, "rwxua"}));
  EXPECT_EQ(text(maps_[513]), text(Expected{0x40000000, 0x200000000, PageSize::k1G, "rwxua"}));
  const std::uint64_t m2 = kPage2M;
  EXPECT_EQ(text(maps_[514]), text(Expected{0x80000000, 0x400000000 + m2, PageSize::k2M, "rwxu"}));
  EXPECT_EQ(text(maps_[515]), text(Expected{0x80000000 + m2, 0x400000000, PageSize::k2M, "rwxu"}));
  EXPECT_EQ(text(maps_[516]),
            text(Expected{0x80000000 + 511 * m2, 0x400000000 + 510 * m2, PageSize::k2M, "rwxu"}));
  EXPECT_EQ(maps_[516].guest_size, PageSize::k1G);
  EXPECT_EQ(stats_.ept_unmapped_bytes, kPage4K + 509 * kPage2M);
  EXPECT_EQ(stats_.guest_leaves, 6u);
}

TEST_F(NestedList, EptProblemsAreIssues) {
  load(false);
  ASSERT_EQ(issues_.size(), 2u);
  // The guest page whose EPT leaf has W without R.
  EXPECT_EQ(issues_[0].va, 0xffff800000000000u);
  EXPECT_EQ(issues_[0].span, kPage4K);
  EXPECT_EQ(issues_[0].fault.kind, FaultKind::kEptMisconfig);
  EXPECT_EQ(issues_[0].fault.stage, FaultStage::kFinal);
  EXPECT_EQ(issues_[0].fault.level, 2);
  EXPECT_EQ(issues_[0].fault.gpa, 0x40600000u);
  // The guest PDPT at a gPA the EPT does not map: the whole 512G it covers.
  EXPECT_EQ(issues_[1].va, 0xffff960000000000u);
  EXPECT_EQ(issues_[1].span, 1ull << 39);
  EXPECT_EQ(issues_[1].fault.kind, FaultKind::kEptViolation);
  EXPECT_EQ(issues_[1].fault.stage, FaultStage::kGuestTable);
  EXPECT_EQ(issues_[1].fault.level, 2);  // the EPT PD has no entry for 0x70000000
  EXPECT_EQ(issues_[1].fault.gpa, NestedScenario::kUnmappedPdpt);
  EXPECT_EQ(issues_[1].fault.code, eptq::kRead | eptq::kGvaValid);
}

TEST_F(NestedList, AgreesWithTheGoldenTranslator) {
  load(false);
  check_against_golden(mem_, roots_, maps_, issues_);
}

TEST_F(NestedList, WithEptAdGuestTablesNeedEptWrite) {
  // The guest PT of gVA 0x400000 becomes read-only in the EPT: fine for plain reads, an EPT
  // violation once EPTP enables A/D (guest table accesses are then writes).
  const gpa_t pt_gpa = sc_.gpt.read(sc_.gpt.entry_addr(0x400000, 2)) & bit_range(51, 12);
  const std::uint64_t ept_pte = sc_.ept_pt.entry_addr(pt_gpa, 1);
  sc_.ept_pt.write(ept_pte, sc_.ept_pt.read(ept_pte) & ~ept::kW);
  load(false);
  EXPECT_NE(at(0x400000), nullptr);
  EXPECT_EQ(issues_.size(), 2u);

  maps_.clear();
  issues_.clear();
  ImageMemory again;
  again.add(dir_.file("host.bin"), NestedScenario::kEptBase);
  roots_.eptp = sc_.eptp(true);
  collect(again, roots_, maps_, issues_);
  EXPECT_EQ(at(0x400000), nullptr);
  ASSERT_EQ(issues_.size(), 3u);
  EXPECT_EQ(issues_[0].va, 0x400000u);  // the PT covers [0x400000, 0x600000)
  EXPECT_EQ(issues_[0].span, kPage2M);
  EXPECT_EQ(issues_[0].fault.kind, FaultKind::kEptViolation);
  EXPECT_EQ(issues_[0].fault.code,
            eptq::kRead | eptq::kWrite | eptq::kGvaValid | eptq::kReadable | eptq::kExecutable);
  check_against_golden(again, roots_, maps_, issues_);
}

TEST_F(NestedList, GuestPagesBeyondTheEptInputRangeAreIssues) {
  // A 4-level EPT translates 48 gPA bits: a guest page at gPA 2^48 has no EPT entry at all.
  const std::uint64_t leaf = sc_.gpt.entry_addr(0x400000, 1);
  sc_.gpt.write(leaf, (sc_.gpt.read(leaf) & ~bit_range(51, 12)) | (1ull << 48));
  test::copy_range(sc_.guest, sc_.gpt.alloc_base(), sc_.gpt.alloc_end(), sc_.host,
                   NestedScenario::kTableOffset + sc_.gpt.alloc_base());
  load(false);
  EXPECT_EQ(at(0x400000), nullptr);
  ASSERT_EQ(issues_.size(), 3u);
  EXPECT_EQ(issues_[0].va, 0x400000u);
  EXPECT_EQ(issues_[0].span, kPage4K);
  EXPECT_EQ(issues_[0].fault.kind, FaultKind::kEptViolation);
  EXPECT_EQ(issues_[0].fault.stage, FaultStage::kFinal);
  EXPECT_EQ(issues_[0].fault.level, 4);
  EXPECT_EQ(issues_[0].fault.gpa, 1ull << 48);
  EXPECT_FALSE(issues_[0].entry_read);
  check_against_golden(mem_, roots_, maps_, issues_);
}

TEST_F(NestedList, GuestImageServesTheGuestTables) {
  load(false);
  // Same address space, but the host image holds only the EPT: the guest tables come from a gpa:
  // image, while the EPT still places them (at hPAs outside every host image).
  sc_.save_ept_only(dir_.file("ept.bin"));
  sc_.save_guest(dir_.file("guest.bin"));
  ImageMemory split;
  split.add(dir_.file("ept.bin"), NestedScenario::kEptBase, ImageSpace::kHost);
  split.add(dir_.file("guest.bin"), 0, ImageSpace::kGuest);
  std::vector<Mapping> maps;
  std::vector<ListIssue> issues;
  collect(split, roots_, maps, issues);
  ASSERT_EQ(maps.size(), maps_.size());
  for (std::size_t i = 0; i < maps.size(); ++i) EXPECT_EQ(text(maps[i]), text(maps_[i]));
  ASSERT_EQ(issues.size(), issues_.size());
  for (std::size_t i = 0; i < issues.size(); ++i) EXPECT_EQ(issues[i].fault, issues_[i].fault);
  check_against_golden(split, roots_, maps, issues);

  // Without the gpa: image those reads fall outside the host image.
  ImageMemory ept_only;
  ept_only.add(dir_.file("ept.bin"), NestedScenario::kEptBase);
  std::vector<ListIssue> cut;
  EXPECT_TRUE(list_mappings(ept_only, roots_, &cut).empty());
  ASSERT_EQ(cut.size(), 1u);
  EXPECT_EQ(cut[0].fault.kind, FaultKind::kMemoryError);
  EXPECT_EQ(cut[0].span, 512 * (1ull << 39));  // all 512 PML4 entries unreadable
}

}  // namespace
}  // namespace mmuvp::arch
