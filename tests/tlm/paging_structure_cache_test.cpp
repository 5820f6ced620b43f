// Paging-structure caches: deepest hit, keys per level, permission accumulation, tags, LRU,
// disabling, invalidation, counters.
#include "tlm/paging_structure_cache.h"

#include <gtest/gtest.h>

#include <array>
#include <stdexcept>
#include <string>

namespace mmuvp::tlm {
namespace {

using arch::Invalidation;
using arch::Perms;
using arch::regs::InvOp;
namespace pte = arch::pte;

constexpr Perms kAll{true, true, true, true};

// va = PML4 index 1, PDPT index 2, PD index 3, PT index 4.
constexpr arch::gva_t kVa = (1ull << 39) | (2ull << 30) | (3ull << 21) | (4ull << 12);

Invalidation inv(InvOp op, std::uint16_t pcid, std::uint16_t vmid, arch::gva_t addr = 0) {
  Invalidation i;
  i.op = op;
  i.addr = addr;
  i.pcid = pcid;
  i.vmid = vmid;
  return i;
}

// Fills the three levels for (va, vmid, pcid) with tables 0x1000 * (10 * level).
void fill_all(PagingStructureCache& c, arch::gva_t va, std::uint16_t vmid, std::uint16_t pcid) {
  for (unsigned level = 4; level >= 2; --level) {
    c.fill(level, va, vmid, pcid, 0x10000ull * level, kAll);
  }
}

TEST(Pwc, DefaultsAndValidation) {
  const PagingStructureCache c;
  EXPECT_EQ(c.config().pml4.entries, 2u);
  EXPECT_EQ(c.config().pml4.sets(), 1u);
  EXPECT_EQ(c.config().pdpt.entries, 4u);
  EXPECT_EQ(c.config().pdpt.sets(), 1u);
  EXPECT_EQ(c.config().pd.entries, 32u);
  EXPECT_EQ(c.config().pd.ways, 4u);
  PwcConfig bad;
  bad.pd = Geometry{24, 4};
  try {
    PagingStructureCache p(bad);
    FAIL() << "accepted 6 sets";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "PwcConfig.pd: set count 6 (entries 24 / ways 4) is not a power of two");
  }
  PagingStructureCache ok;
  EXPECT_THROW(ok.fill(1, kVa, 0, 0, 0x1000, kAll), std::invalid_argument);
  EXPECT_THROW(ok.fill(5, kVa, 0, 0, 0x1000, kAll), std::invalid_argument);
}

TEST(Pwc, LookupReturnsTheDeepestHit) {
  PagingStructureCache c;
  PwcHit h = c.lookup(kVa, 1, 1);
  EXPECT_FALSE(h.hit());
  EXPECT_EQ(h.next_level(), 4u);

  c.fill(4, kVa, 1, 1, 0x4000, kAll);
  h = c.lookup(kVa, 1, 1);
  EXPECT_EQ(h.level, 4u);
  EXPECT_EQ(h.next_level(), 3u);
  EXPECT_EQ(h.table, 0x4000u);

  c.fill(3, kVa, 1, 1, 0x3000, kAll);
  h = c.lookup(kVa, 1, 1);
  EXPECT_EQ(h.level, 3u);
  EXPECT_EQ(h.table, 0x3000u);

  c.fill(2, kVa, 1, 1, 0x2fff, kAll);  // the low 12 bits are not an address
  h = c.lookup(kVa, 1, 1);
  EXPECT_EQ(h.level, 2u);
  EXPECT_EQ(h.next_level(), 1u);
  EXPECT_EQ(h.table, 0x2000u);

  const PwcCounters& n = c.counters();
  EXPECT_EQ(n.lookups, 4u);
  EXPECT_EQ(n.hits, 3u);
  EXPECT_EQ(n.misses, 1u);
  EXPECT_EQ(n.hits_by_level, (std::array<std::uint64_t, 3>{1, 1, 1}));
  EXPECT_EQ(n.fills, (std::array<std::uint64_t, 3>{1, 1, 1}));
}

TEST(Pwc, EachLevelIsKeyedByItsVaBits) {
  PagingStructureCache c;
  fill_all(c, kVa, 1, 1);
  // Same 2M region (other PT index, other page offset): PD hit.
  EXPECT_EQ(c.lookup(kVa + (7ull << 12) + 0x123, 1, 1).level, 2u);
  // Other PD index, same 1G region: PDPT hit.
  EXPECT_EQ(c.lookup(kVa + (1ull << 21), 1, 1).level, 3u);
  // Other PDPT index, same 512G region: PML4 hit.
  EXPECT_EQ(c.lookup(kVa + (1ull << 30), 1, 1).level, 4u);
  // Other PML4 index: miss.
  EXPECT_FALSE(c.lookup(kVa + (1ull << 39), 1, 1).hit());
  // Bits 63:48 of a canonical address are not part of any key.
  PagingStructureCache d;
  const arch::gva_t upper = 0xffff800000000000ull | kVa;
  d.fill(2, upper, 1, 1, 0x5000, kAll);
  EXPECT_EQ(d.lookup(upper, 1, 1).level, 2u);
  EXPECT_FALSE(d.lookup(kVa, 1, 1).hit());
}

TEST(Pwc, PermissionsAccumulateDownTheLevels) {
  // PML4E: writable, user. PDPTE: read-only, user. PDE: writable, supervisor, XD.
  const std::uint64_t pml4e = pte::make_table(0x1000, /*w=*/true, /*u=*/true);
  const std::uint64_t pdpte = pte::make_table(0x2000, /*w=*/false, /*u=*/true);
  const std::uint64_t pde = pte::make_table(0x3000, /*w=*/true, /*u=*/false) | pte::kXD;
  const Perms p4 = PagingStructureCache::accumulate(PagingStructureCache::kNoRestriction, pml4e);
  const Perms p3 = PagingStructureCache::accumulate(p4, pdpte);
  const Perms p2 = PagingStructureCache::accumulate(p3, pde);
  EXPECT_EQ(p4, (Perms{true, true, true, true}));
  EXPECT_EQ(p3, (Perms{true, false, true, true}));
  EXPECT_EQ(p2, (Perms{true, false, false, false}));
  // Read-only at level 3 is not undone by a writable PDE.
  EXPECT_FALSE(PagingStructureCache::accumulate(p3, pte::make_table(0x4000, true, true)).w);

  PagingStructureCache c;
  c.fill(4, kVa, 0, 0, 0x1000, p4);
  c.fill(3, kVa, 0, 0, 0x2000, p3);
  c.fill(2, kVa, 0, 0, 0x3000, p2);
  EXPECT_EQ(c.lookup(kVa, 0, 0).perms, p2);
  EXPECT_EQ(c.lookup(kVa + (1ull << 21), 0, 0).perms, p3);
  EXPECT_EQ(c.lookup(kVa + (1ull << 30), 0, 0).perms, p4);
  // The cache stores r = 1 whatever the caller passed.
  c.fill(2, kVa + (1ull << 21), 0, 0, 0x6000, Perms{false, true, false, true});
  EXPECT_EQ(c.lookup(kVa + (1ull << 21), 0, 0).perms, (Perms{true, true, false, true}));
}

TEST(Pwc, TagsIsolateVmidAndPcid) {
  PagingStructureCache c;
  c.fill(2, kVa, 1, 1, 0x1000, kAll);
  c.fill(2, kVa, 1, 2, 0x2000, kAll);
  c.fill(2, kVa, 2, 1, 0x3000, kAll);
  EXPECT_EQ(c.lookup(kVa, 1, 1).table, 0x1000u);
  EXPECT_EQ(c.lookup(kVa, 1, 2).table, 0x2000u);
  EXPECT_EQ(c.lookup(kVa, 2, 1).table, 0x3000u);
  EXPECT_FALSE(c.lookup(kVa, 2, 2).hit());
  EXPECT_FALSE(c.lookup(kVa, 1, 3).hit());
  EXPECT_EQ(c.valid_entries(2), 3u);
}

TEST(Pwc, SmallCachesEvictLeastRecentlyUsed) {
  PagingStructureCache c;  // PML4 cache: 2 entries, fully associative
  const arch::gva_t a = 1ull << 39, b = 2ull << 39, d = 3ull << 39;
  c.fill(4, a, 0, 0, 0xa000, kAll);
  c.fill(4, b, 0, 0, 0xb000, kAll);
  EXPECT_EQ(c.lookup(a, 0, 0).level, 4u);  // a becomes MRU
  c.fill(4, d, 0, 0, 0xd000, kAll);        // evicts b
  EXPECT_TRUE(c.lookup(a, 0, 0).hit());
  EXPECT_FALSE(c.lookup(b, 0, 0).hit());
  EXPECT_TRUE(c.lookup(d, 0, 0).hit());
  EXPECT_EQ(c.counters().evictions, (std::array<std::uint64_t, 3>{1, 0, 0}));
  // A refill of a cached key replaces it in place.
  c.fill(4, a, 0, 0, 0xe000, kAll);
  EXPECT_EQ(c.valid_entries(4), 2u);
  EXPECT_EQ(c.lookup(a, 0, 0).table, 0xe000u);
}

TEST(Pwc, DisabledCachesAreSkipped) {
  PagingStructureCache off(PwcConfig::disabled_all());
  fill_all(off, kVa, 0, 0);
  EXPECT_FALSE(off.lookup(kVa, 0, 0).hit());
  EXPECT_FALSE(off.enabled(2) || off.enabled(3) || off.enabled(4));
  EXPECT_EQ(off.counters().fills, (std::array<std::uint64_t, 3>{0, 0, 0}));

  PwcConfig no_pd;
  no_pd.pd = Geometry::disabled();
  PagingStructureCache c(no_pd);
  fill_all(c, kVa, 0, 0);
  EXPECT_EQ(c.lookup(kVa, 0, 0).level, 3u);
  EXPECT_EQ(c.valid_entries(2), 0u);
}

struct PwcInvCase {
  const char* name;
  Invalidation inv;
  // Surviving entries among (vmid 1, pcid 1), (vmid 1, pcid 2), (vmid 2, pcid 1): bit 0..2.
  unsigned survivors;
};

const PwcInvCase kPwcInv[] = {
    {"None", inv(InvOp::kNone, 1, 1), 0b111},
    // INVLPG drops every entry of the PCID, not only those on the path of the address.
    {"Invlpg", inv(InvOp::kInvlpg, 1, 1, 0x1000), 0b110},
    {"InvpcidAddr", inv(InvOp::kInvpcidAddr, 2, 1, 0x1000), 0b101},
    {"InvpcidContext", inv(InvOp::kInvpcidContext, 1, 1), 0b110},
    {"InvpcidAllGlobal", inv(InvOp::kInvpcidAllGlobal, 0, 1), 0b100},
    {"InvpcidAll", inv(InvOp::kInvpcidAll, 0, 1), 0b100},
    {"InveptSingle", inv(InvOp::kInveptSingle, 0, 2), 0b011},
    {"InveptAll", inv(InvOp::kInveptAll, 0, 0), 0},
    {"FlushAll", inv(InvOp::kFlushAll, 0, 0), 0},
};

class PwcInvalidation : public ::testing::TestWithParam<PwcInvCase> {};

TEST_P(PwcInvalidation, DropsExactlyTheNamedEntries) {
  const PwcInvCase& c = GetParam();
  PagingStructureCache pwc;
  constexpr std::array<std::pair<std::uint16_t, std::uint16_t>, 3> kTags = {
      {{1, 1}, {1, 2}, {2, 1}}};
  // One entry per level for each tag; different PML4 indices keep the 2-entry PML4 cache and the
  // 4-entry PDPT cache from evicting (each tag uses its own va; only 3 entries per level).
  auto va_of = [](unsigned i) { return (arch::gva_t{i} + 1) << 39; };
  for (unsigned i = 0; i < kTags.size(); ++i) {
    for (unsigned level : {3u, 2u}) {
      pwc.fill(level, va_of(i), kTags[i].first, kTags[i].second, 0x1000 * (i + 1), kAll);
    }
  }
  const std::uint32_t n = pwc.invalidate(c.inv);
  unsigned dropped = 0;
  for (unsigned i = 0; i < kTags.size(); ++i) {
    const bool survives = (c.survivors >> i) & 1u;
    const PwcHit h = pwc.lookup(va_of(i), kTags[i].first, kTags[i].second);
    EXPECT_EQ(h.level, survives ? 2u : 0u) << "tag " << i;
    dropped += survives ? 0 : 2;
  }
  EXPECT_EQ(n, dropped);
  const auto& inv_counts = pwc.counters().invalidated;
  EXPECT_EQ(inv_counts[0] + inv_counts[1] + inv_counts[2], dropped);
}

INSTANTIATE_TEST_SUITE_P(AllOps, PwcInvalidation, ::testing::ValuesIn(kPwcInv),
                         [](const ::testing::TestParamInfo<PwcInvCase>& i) {
                           return std::string(i.param.name);
                         });

}  // namespace
}  // namespace mmuvp::tlm
