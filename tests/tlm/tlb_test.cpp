// The per-core TLBs: geometry defaults and validation, LRU, tag isolation (VMID, PCID, global),
// the dirty rule, page-size arrays, the L2 (4K only by default), every invalidation op, counters.
#include "tlm/tlb.h"

#include <gtest/gtest.h>

#include <array>
#include <stdexcept>
#include <string>
#include <vector>

namespace mmuvp::tlm {
namespace {

using arch::AccessType;
using arch::Invalidation;
using arch::PageSize;
using arch::Perms;
using arch::regs::InvOp;

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no exception)";
}

constexpr Perms kRwu{true, true, false, true};
constexpr std::uint64_t kGpaFlip = 1ull << 32;  // gPA frame = hPA frame ^ 4 GiB in these tests
constexpr auto kRead = AccessType::kRead;
constexpr auto kWrite = AccessType::kWrite;

TlbEntry entry(arch::gva_t va, PageSize size, arch::hpa_t hpa, std::uint16_t vmid = 1,
               std::uint16_t pcid = 1, bool global = false, bool dirty = true) {
  TlbEntry e;
  e.va = va;
  e.size = size;
  e.hpa = hpa;
  e.gpa = hpa ^ kGpaFlip;
  e.vmid = vmid;
  e.pcid = pcid;
  e.global = global;
  e.dirty = dirty;
  e.perms = kRwu;
  return e;
}

// Is (va, vmid, pcid) in the L1 array of `size`, with frame `hpa`?
bool in_l1(const Tlb& t, arch::gva_t va, PageSize size, std::uint16_t vmid, std::uint16_t pcid,
           arch::hpa_t hpa) {
  const TlbEntry* e = t.l1().array_for(size)->peek(va, vmid, pcid);
  return e != nullptr && e->size == size && e->hpa == hpa;
}
bool in_l2(const Tlb& t, arch::gva_t va, std::uint16_t vmid, std::uint16_t pcid, arch::hpa_t hpa) {
  const TlbEntry* e = t.l2().peek(va, vmid, pcid);
  return e != nullptr && e->hpa == hpa;
}

TEST(TlbConfig, DefaultsAreSandyBridge) {
  const Tlb tlb;
  const auto& l1 = tlb.l1().arrays();
  ASSERT_EQ(l1.size(), 3u);
  EXPECT_EQ(l1[0].geometry().entries, 64u);
  EXPECT_EQ(l1[0].geometry().ways, 4u);
  EXPECT_EQ(l1[0].sizes(), PageSizeSet{PageSize::k4K});
  EXPECT_EQ(l1[1].geometry().entries, 32u);
  EXPECT_EQ(l1[1].geometry().ways, 4u);
  EXPECT_EQ(l1[1].sizes(), PageSizeSet{PageSize::k2M});
  EXPECT_EQ(l1[2].geometry().entries, 4u);
  EXPECT_EQ(l1[2].geometry().sets(), 1u);  // fully associative
  EXPECT_EQ(l1[2].sizes(), PageSizeSet{PageSize::k1G});
  ASSERT_EQ(tlb.l2().arrays().size(), 1u);
  EXPECT_EQ(tlb.l2().arrays()[0].geometry().entries, 512u);
  EXPECT_EQ(tlb.l2().arrays()[0].geometry().sets(), 128u);
  EXPECT_TRUE(tlb.l2().holds(PageSize::k4K));
  EXPECT_FALSE(tlb.l2().holds(PageSize::k2M));
  EXPECT_FALSE(tlb.l2().holds(PageSize::k1G));
}

TEST(TlbConfig, ValidationNamesTheField) {
  TlbConfig c;
  c.l1_2m = Geometry{30, 4};
  EXPECT_EQ(error_of([&] { Tlb t(c); }),
            "TlbConfig.l1_2m: entries 30 are not a multiple of ways 4");
  c = TlbConfig{};
  c.l2 = Geometry{384, 4};
  EXPECT_EQ(error_of([&] { c.validate(); }),
            "TlbConfig.l2: set count 96 (entries 384 / ways 4) is not a power of two");
  c = TlbConfig{};
  c.l1_4k.ways = 0;
  EXPECT_EQ(error_of([&] { c.validate(); }),
            "TlbConfig.l1_4k: ways must be at least 1 (entries 64)");
  c = TlbConfig{};
  c.l2_sizes = PageSizeSet{};
  EXPECT_EQ(error_of([&] { c.validate(); }),
            "TlbConfig.l2_sizes: no page size, but l2 has 512 entries");
  c.l2 = Geometry::disabled();  // a disabled L2 needs no page size
  EXPECT_NO_THROW(Tlb{c});
}

TEST(TlbLevel, RejectsTwoArraysForOneSize) {
  EXPECT_EQ(error_of([] {
              TlbLevel l("lvl", {{"a", Geometry{8, 4}, PageSizeSet{PageSize::k4K}},
                                 {"b", Geometry{8, 4}, PageSizeSet::all()}});
            }),
            "lvl: array b holds page sizes (4K|2M|1G) already held by another array of the "
            "level");
}

TEST(Tlb, HitTranslatesEveryPageSize) {
  Tlb tlb;
  tlb.fill(entry(0x7f0000123456, PageSize::k4K, 0xabc456));  // unaligned: stored aligned
  tlb.fill(entry(0x7f0000400000, PageSize::k2M, 0x40000000));
  tlb.fill(entry(0x7f0040000000, PageSize::k1G, 0x80000000));

  TlbLookup r = tlb.lookup(0x7f0000123abc, 1, 1, kRead);
  ASSERT_TRUE(r.hit());
  EXPECT_EQ(r.level, TlbHitLevel::kL1);
  EXPECT_EQ(r.entry->va, 0x7f0000123000u);
  EXPECT_EQ(r.entry->translate(0x7f0000123abc), 0xabcabcu);
  EXPECT_EQ(r.entry->translate_gpa(0x7f0000123abc), 0x100abcabcu);

  r = tlb.lookup(0x7f00005fffff, 1, 1, kRead);
  ASSERT_TRUE(r.hit());
  EXPECT_EQ(r.entry->size, PageSize::k2M);
  EXPECT_EQ(r.entry->translate(0x7f00005fffff), 0x401fffffu);

  r = tlb.lookup(0x7f007fffffff, 1, 1, kRead);
  ASSERT_TRUE(r.hit());
  EXPECT_EQ(r.entry->size, PageSize::k1G);
  EXPECT_EQ(r.entry->translate(0x7f007fffffff), 0xbfffffffu);

  r = tlb.lookup(0x7f0000124000, 1, 1, kRead);  // next 4K page: in no filled page
  EXPECT_FALSE(r.hit());
  EXPECT_EQ(r.level, TlbHitLevel::kMiss);

  const TlbLevelCounters& l1 = tlb.l1().counters();
  EXPECT_EQ(l1.lookups, 4u);
  EXPECT_EQ(l1.hits, 3u);
  EXPECT_EQ(l1.misses, 1u);
  EXPECT_EQ(l1.hits_by_size, (std::array<std::uint64_t, 3>{1, 1, 1}));
  const TlbLevelCounters& l2 = tlb.l2().counters();
  EXPECT_EQ(l2.lookups, 1u);  // only the L1 miss reaches L2
  EXPECT_EQ(l2.hits, 0u);
  EXPECT_EQ(l2.misses, 1u);
}

TEST(Tlb, UpperHalfCanonicalAddresses) {
  Tlb tlb;
  tlb.fill(entry(0xffff800000001000, PageSize::k4K, 0x5000));
  const TlbLookup r = tlb.lookup(0xffff800000001008, 1, 1, kRead);
  ASSERT_TRUE(r.hit());
  EXPECT_EQ(r.entry->translate(0xffff800000001008), 0x5008u);
  EXPECT_FALSE(tlb.lookup(0x0000000000001008, 1, 1, kRead).hit());  // the lower-half twin
}

// In the 4K array (16 sets x 4 ways), pages 16 apart share a set. L2 (128 sets) keeps them apart.
TEST(Tlb, L1EvictsLeastRecentlyUsedAndL2RefillsIt) {
  Tlb tlb;
  constexpr arch::gva_t kStride = 16 * arch::kPage4K;
  auto va = [](unsigned i) { return 0x10000000 + i * kStride; };
  auto pa = [](unsigned i) { return 0x200000 + i * arch::kPage4K; };
  for (unsigned i = 0; i < 4; ++i) tlb.fill(entry(va(i), PageSize::k4K, pa(i)));
  const TlbArray& a4k = *tlb.l1().array_for(PageSize::k4K);
  EXPECT_EQ(a4k.lru_order(va(0), PageSize::k4K), (std::vector<std::uint32_t>{3, 2, 1, 0}));
  ASSERT_EQ(tlb.lookup(va(0), 1, 1, kRead).level, TlbHitLevel::kL1);  // touch page 0
  tlb.fill(entry(va(4), PageSize::k4K, pa(4)));                       // evicts page 1
  EXPECT_FALSE(in_l1(tlb, va(1), PageSize::k4K, 1, 1, pa(1)));
  for (unsigned i : {0u, 2u, 3u, 4u}) EXPECT_TRUE(in_l1(tlb, va(i), PageSize::k4K, 1, 1, pa(i)));
  EXPECT_EQ(a4k.counters().evictions, 1u);
  EXPECT_EQ(tlb.l2().valid_entries(), 5u);

  // Page 1 is still in L2: an L2 hit refills L1, evicting the LRU page 2.
  const TlbLookup r = tlb.lookup(va(1) + 0x10, 1, 1, kRead);
  ASSERT_EQ(r.level, TlbHitLevel::kL2);
  EXPECT_EQ(r.entry->translate(va(1) + 0x10), pa(1) + 0x10);
  EXPECT_TRUE(in_l1(tlb, va(1), PageSize::k4K, 1, 1, pa(1)));
  EXPECT_FALSE(in_l1(tlb, va(2), PageSize::k4K, 1, 1, pa(2)));
  EXPECT_EQ(tlb.lookup(va(1), 1, 1, kRead).level, TlbHitLevel::kL1);
  EXPECT_EQ(a4k.counters().fills, 6u);  // 5 walks + 1 refill from L2
  EXPECT_EQ(tlb.l2().counters().hits, 1u);
}

TEST(Tlb, TagsIsolateVmidAndPcidAndGlobalSpansPcids) {
  Tlb tlb;
  tlb.fill(entry(0x400000, PageSize::k4K, 0x11000, /*vmid=*/1, /*pcid=*/1));
  tlb.fill(entry(0x400000, PageSize::k4K, 0x22000, /*vmid=*/1, /*pcid=*/2));
  tlb.fill(entry(0x800000, PageSize::k4K, 0x33000, /*vmid=*/1, /*pcid=*/1, /*global=*/true));

  EXPECT_EQ(tlb.lookup(0x400000, 1, 1, kRead).entry->hpa, 0x11000u);
  EXPECT_EQ(tlb.lookup(0x400000, 1, 2, kRead).entry->hpa, 0x22000u);
  EXPECT_FALSE(tlb.lookup(0x400000, 1, 3, kRead).hit());              // other PCID
  EXPECT_FALSE(tlb.lookup(0x400000, 2, 1, kRead).hit());              // other VMID
  EXPECT_EQ(tlb.lookup(0x800000, 1, 3, kRead).entry->hpa, 0x33000u);  // global: any PCID
  EXPECT_EQ(tlb.lookup(0x800000, 1, 0xfff, kRead).entry->hpa, 0x33000u);
  EXPECT_FALSE(tlb.lookup(0x800000, 2, 1, kRead).hit());  // global stays within its VMID
  EXPECT_EQ(tlb.l1().valid_entries(), 3u);
}

TEST(Tlb, WriteToCleanEntryMissesAndTheRefillIsInPlace) {
  Tlb tlb;
  tlb.fill(entry(0x600000, PageSize::k4K, 0x9000, 1, 1, false, /*dirty=*/false));
  EXPECT_EQ(tlb.lookup(0x600010, 1, 1, kRead).level, TlbHitLevel::kL1);
  EXPECT_FALSE(tlb.lookup(0x600010, 1, 1, kWrite).hit());
  EXPECT_EQ(tlb.l1().counters().dirty_misses, 1u);
  EXPECT_EQ(tlb.l1().counters().misses, 1u);
  EXPECT_EQ(tlb.l2().counters().dirty_misses, 1u);
  EXPECT_EQ(tlb.l2().counters().misses, 1u);

  tlb.fill(entry(0x600000, PageSize::k4K, 0x9000, 1, 1, false, /*dirty=*/true));  // walker set D
  EXPECT_EQ(tlb.l1().valid_entries(), 1u);
  EXPECT_EQ(tlb.l2().valid_entries(), 1u);
  EXPECT_EQ(tlb.l1().array_for(PageSize::k4K)->counters().refills, 1u);
  EXPECT_EQ(tlb.l2().arrays()[0].counters().refills, 1u);
  const TlbLookup r = tlb.lookup(0x600010, 1, 1, kWrite);
  EXPECT_EQ(r.level, TlbHitLevel::kL1);
  EXPECT_TRUE(r.entry->dirty);
  EXPECT_EQ(tlb.l1().counters().lookups, 3u);
  EXPECT_EQ(tlb.l1().counters().hits, 2u);
}

TEST(Tlb, PageSizeArraysAreIndependent) {
  Tlb tlb;
  for (unsigned i = 0; i < 64; ++i) {  // fills the 4K array exactly (16 sets x 4)
    tlb.fill(entry(0x1000000 + i * arch::kPage4K, PageSize::k4K, 0x100000 + i * arch::kPage4K));
  }
  for (unsigned i = 0; i < 32; ++i) {  // fills the 2M array exactly (8 sets x 4)
    tlb.fill(entry(0x40000000 + i * arch::kPage2M, PageSize::k2M, i * arch::kPage2M));
  }
  for (unsigned i = 0; i < 4; ++i) {
    tlb.fill(entry((8ull + i) * arch::kPage1G, PageSize::k1G, (16ull + i) * arch::kPage1G));
  }
  const TlbArray& a4k = *tlb.l1().array_for(PageSize::k4K);
  const TlbArray& a2m = *tlb.l1().array_for(PageSize::k2M);
  const TlbArray& a1g = *tlb.l1().array_for(PageSize::k1G);
  EXPECT_EQ(a4k.valid_entries(), 64u);
  EXPECT_EQ(a2m.valid_entries(), 32u);
  EXPECT_EQ(a1g.valid_entries(), 4u);
  EXPECT_EQ(a4k.counters().evictions + a2m.counters().evictions + a1g.counters().evictions, 0u);

  // A fifth 1G page evicts the LRU 1G page (the first), nothing else.
  ASSERT_TRUE(tlb.lookup(9 * arch::kPage1G, 1, 1, kRead).hit());
  ASSERT_TRUE(tlb.lookup(10 * arch::kPage1G, 1, 1, kRead).hit());
  ASSERT_TRUE(tlb.lookup(11 * arch::kPage1G, 1, 1, kRead).hit());
  tlb.fill(entry(12 * arch::kPage1G, PageSize::k1G, 20 * arch::kPage1G));
  EXPECT_FALSE(in_l1(tlb, 8 * arch::kPage1G, PageSize::k1G, 1, 1, 16 * arch::kPage1G));
  EXPECT_TRUE(in_l1(tlb, 12 * arch::kPage1G, PageSize::k1G, 1, 1, 20 * arch::kPage1G));
  EXPECT_EQ(a1g.counters().evictions, 1u);
  EXPECT_EQ(a4k.valid_entries(), 64u);
  EXPECT_EQ(a2m.valid_entries(), 32u);
  EXPECT_EQ(tlb.l1().valid_entries(), 100u);
  EXPECT_EQ(tlb.l2().valid_entries(), 64u);  // the 4K pages only
}

TEST(Tlb, L2HoldsOnly4KByDefault) {
  Tlb tlb;
  // 2M array: 8 sets; 2M pages 8 apart share a set. Five of them evict the first from L1.
  auto va = [](unsigned i) { return 0x40000000 + i * 8 * arch::kPage2M; };
  for (unsigned i = 0; i < 5; ++i) tlb.fill(entry(va(i), PageSize::k2M, i * arch::kPage2M));
  EXPECT_EQ(tlb.l2().valid_entries(), 0u);
  EXPECT_FALSE(tlb.lookup(va(0), 1, 1, kRead).hit());  // gone from L1, never in L2
  tlb.fill(entry(0x1000, PageSize::k4K, 0x7000));
  EXPECT_EQ(tlb.l2().valid_entries(), 1u);
  EXPECT_EQ(tlb.l2().arrays()[0].counters().fills_by_size, (std::array<std::uint64_t, 3>{1, 0, 0}));
  EXPECT_EQ(tlb.l1().array_for(PageSize::k2M)->counters().fills_by_size,
            (std::array<std::uint64_t, 3>{0, 5, 0}));
}

TEST(Tlb, L2HoldsLargePagesWhenConfigured) {
  TlbConfig c;
  c.l2_sizes = PageSizeSet{PageSize::k4K, PageSize::k2M};
  Tlb tlb(c);
  auto va = [](unsigned i) { return 0x40000000 + i * 8 * arch::kPage2M; };
  for (unsigned i = 0; i < 5; ++i) tlb.fill(entry(va(i), PageSize::k2M, i * arch::kPage2M));
  EXPECT_EQ(tlb.l2().valid_entries(), 5u);
  const TlbLookup r = tlb.lookup(va(0) + 0x12345, 1, 1, kRead);
  ASSERT_EQ(r.level, TlbHitLevel::kL2);
  EXPECT_EQ(r.entry->translate(va(0) + 0x12345), 0x12345u);
  EXPECT_EQ(tlb.l2().counters().hits_by_size, (std::array<std::uint64_t, 3>{0, 1, 0}));
  EXPECT_EQ(tlb.lookup(va(0), 1, 1, kRead).level, TlbHitLevel::kL1);
  // A 4K page and a 2M page whose page numbers index the same L2 set coexist.
  tlb.fill(entry(0x0, PageSize::k4K, 0xf000));
  EXPECT_TRUE(in_l2(tlb, 0x0, 1, 1, 0xf000));
}

TEST(Tlb, CountersResetAndDisabledL2) {
  TlbConfig c;
  c.l2 = Geometry::disabled();
  Tlb tlb(c);
  tlb.fill(entry(0x1000, PageSize::k4K, 0x2000));
  EXPECT_EQ(tlb.l2().valid_entries(), 0u);
  EXPECT_TRUE(tlb.lookup(0x1000, 1, 1, kRead).hit());
  EXPECT_FALSE(tlb.lookup(0x3000, 1, 1, kRead).hit());
  EXPECT_EQ(tlb.l2().counters().lookups, 1u);
  EXPECT_EQ(tlb.l2().counters().misses, 1u);
  tlb.reset_counters();
  EXPECT_EQ(tlb.l1().counters().lookups, 0u);
  EXPECT_EQ(tlb.l2().counters().lookups, 0u);
  EXPECT_EQ(tlb.l1().array_for(PageSize::k4K)->counters().fills, 0u);
  EXPECT_EQ(tlb.l1().valid_entries(), 1u);  // contents survive a counter reset
}

// ---- invalidation: one population, every op -----------------------------------------------

constexpr arch::gva_t kV = 0x40000000;  // 1G aligned: a 4K, a 2M and a 1G page start here
constexpr arch::gva_t kG = 0x70000000;
constexpr arch::gva_t kW = 0x80000000;

struct Pop {
  arch::gva_t va;
  PageSize size;
  arch::hpa_t hpa;
  std::uint16_t vmid, pcid;
  bool global;
};
// E1..E8. The 4K ones (E1, E2, E5, E6, E7) are in L2 too.
constexpr std::array<Pop, 8> kPop = {{
    {kV, PageSize::k4K, 0x1000000, 1, 1, false},           // E1
    {kV, PageSize::k4K, 0x2000000, 1, 2, false},           // E2: other PCID
    {kV, PageSize::k2M, 0x40000000, 1, 1, false},          // E3: 2M page at the same va
    {kV, PageSize::k1G, 0x80000000, 1, 1, false},          // E4: 1G page at the same va
    {kV + 0x1000, PageSize::k4K, 0x3000000, 1, 1, false},  // E5: next page
    {kG, PageSize::k4K, 0x4000000, 1, 1, true},            // E6: global
    {kV, PageSize::k4K, 0x5000000, 2, 1, false},           // E7: other VMID
    {kW, PageSize::k2M, 0xc0000000, 1, 2, false},          // E8: 2M page of PCID 2
}};

struct InvCase {
  const char* name;
  Invalidation inv;
  unsigned dropped;  // bit i: E(i+1) is invalidated
};

constexpr unsigned E(unsigned n) { return 1u << (n - 1); }

Invalidation inv(InvOp op, arch::gva_t addr, std::uint16_t pcid, std::uint16_t vmid) {
  Invalidation i;
  i.op = op;
  i.addr = addr;
  i.pcid = pcid;
  i.vmid = vmid;
  return i;
}

const InvCase kInvCases[] = {
    {"None", inv(InvOp::kNone, kV, 1, 1), 0},
    {"InvlpgAllSizesOfThePcid", inv(InvOp::kInvlpg, kV, 1, 1), E(1) | E(3) | E(4)},
    {"InvlpgInsideLargePages", inv(InvOp::kInvlpg, kV + 0x1234, 1, 1), E(3) | E(4) | E(5)},
    {"InvlpgDropsGlobalOfAnyPcid", inv(InvOp::kInvlpg, kG + 8, 5, 1), E(6)},
    {"InvlpgOtherVmid", inv(InvOp::kInvlpg, kV, 1, 2), E(7)},
    {"InvpcidAddr", inv(InvOp::kInvpcidAddr, kV, 1, 1), E(1) | E(3) | E(4)},
    // kG lies in E4's 1G page (PCID 1): that goes; the global 4K entry E6 at kG stays.
    {"InvpcidAddrKeepsGlobal", inv(InvOp::kInvpcidAddr, kG, 1, 1), E(4)},
    {"InvpcidContext1", inv(InvOp::kInvpcidContext, 0, 1, 1), E(1) | E(3) | E(4) | E(5)},
    {"InvpcidContext2", inv(InvOp::kInvpcidContext, 0, 2, 1), E(2) | E(8)},
    {"InvpcidAllInclGlobal", inv(InvOp::kInvpcidAllGlobal, 0, 0, 1),
     E(1) | E(2) | E(3) | E(4) | E(5) | E(6) | E(8)},
    {"InvpcidAllNonGlobal", inv(InvOp::kInvpcidAll, 0, 0, 1),
     E(1) | E(2) | E(3) | E(4) | E(5) | E(8)},
    {"InveptSingle1", inv(InvOp::kInveptSingle, 0, 0, 1),
     E(1) | E(2) | E(3) | E(4) | E(5) | E(6) | E(8)},
    {"InveptSingle2", inv(InvOp::kInveptSingle, 0, 0, 2), E(7)},
    {"InveptAll", inv(InvOp::kInveptAll, 0, 0, 0), 0xff},
    {"FlushAll", inv(InvOp::kFlushAll, 0, 0, 0), 0xff},
};

class TlbInvalidation : public ::testing::TestWithParam<InvCase> {};

TEST_P(TlbInvalidation, DropsExactlyTheNamedEntries) {
  const InvCase& c = GetParam();
  Tlb tlb;
  for (const Pop& p : kPop) tlb.fill(entry(p.va, p.size, p.hpa, p.vmid, p.pcid, p.global));
  ASSERT_EQ(tlb.l1().valid_entries(), 8u);
  ASSERT_EQ(tlb.l2().valid_entries(), 5u);

  const std::uint32_t n = tlb.invalidate(c.inv);

  unsigned expected_count = 0;
  for (unsigned i = 0; i < kPop.size(); ++i) {
    const Pop& p = kPop[i];
    const bool dropped = (c.dropped >> i) & 1u;
    EXPECT_EQ(in_l1(tlb, p.va, p.size, p.vmid, p.pcid, p.hpa), !dropped) << "L1 E" << i + 1;
    if (p.size == PageSize::k4K) {
      EXPECT_EQ(in_l2(tlb, p.va, p.vmid, p.pcid, p.hpa), !dropped) << "L2 E" << i + 1;
      expected_count += dropped;
    }
    expected_count += dropped;
  }
  EXPECT_EQ(n, expected_count);
  std::uint64_t counted = tlb.l2().arrays()[0].counters().invalidated;
  for (const TlbArray& a : tlb.l1().arrays()) counted += a.counters().invalidated;
  EXPECT_EQ(counted, expected_count);
}

INSTANTIATE_TEST_SUITE_P(AllOps, TlbInvalidation, ::testing::ValuesIn(kInvCases),
                         [](const ::testing::TestParamInfo<InvCase>& i) {
                           return std::string(i.param.name);
                         });

}  // namespace
}  // namespace mmuvp::tlm
