// The nested TLB (gPA -> hPA): page sizes, VMID tags, the dirty rule, LRU, disabling, INVEPT.
#include "tlm/nested_tlb.h"

#include <gtest/gtest.h>

#include <array>
#include <stdexcept>
#include <string>

namespace mmuvp::tlm {
namespace {

using arch::AccessType;
using arch::Invalidation;
using arch::PageSize;
using arch::Perms;
using arch::regs::InvOp;

constexpr Perms kRwx{true, true, true, false};

NestedTlbEntry nentry(arch::gpa_t gpa, PageSize size, arch::hpa_t hpa, std::uint16_t vmid = 1,
                      bool dirty = true, Perms perms = kRwx) {
  NestedTlbEntry e;
  e.gpa = gpa;
  e.hpa = hpa;
  e.size = size;
  e.vmid = vmid;
  e.dirty = dirty;
  e.perms = perms;
  return e;
}

Invalidation inv(InvOp op, std::uint16_t vmid) {
  Invalidation i;
  i.op = op;
  i.vmid = vmid;
  i.pcid = 1;
  i.addr = 0x200000;
  return i;
}

TEST(NestedTlb, DefaultsAndValidation) {
  const NestedTlb n;
  EXPECT_TRUE(n.enabled());
  EXPECT_EQ(n.config().geometry.entries, 32u);
  EXPECT_EQ(n.config().geometry.ways, 4u);
  EXPECT_EQ(n.config().sizes, PageSizeSet::all());
  NestedTlbConfig c;
  c.geometry = Geometry{32, 3};
  try {
    NestedTlb bad(c);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "NestedTlbConfig.geometry: entries 32 are not a multiple of ways 3");
  }
  c = NestedTlbConfig{};
  c.sizes = PageSizeSet{};
  EXPECT_THROW(NestedTlb{c}, std::invalid_argument);
}

TEST(NestedTlb, EachSizeCoversItsWholeRange) {
  NestedTlb n;
  EXPECT_TRUE(n.fill(nentry(0x12345678, PageSize::k4K, 0xaaaa5000)));  // unaligned inputs
  EXPECT_TRUE(n.fill(nentry(0x40000000, PageSize::k2M, 0x80200000)));
  EXPECT_TRUE(n.fill(nentry(0x1c0000000, PageSize::k1G, 0x300000000)));

  const NestedTlbEntry* e = n.lookup(0x12345ff8, 1, AccessType::kRead);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->gpa, 0x12345000u);
  EXPECT_EQ(e->translate(0x12345ff8), 0xaaaa5ff8u);
  EXPECT_EQ(n.lookup(0x12346000, 1, AccessType::kRead), nullptr);

  e = n.lookup(0x401ffff8, 1, AccessType::kRead);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->size, PageSize::k2M);
  EXPECT_EQ(e->translate(0x401ffff8), 0x803ffff8u);
  EXPECT_EQ(n.lookup(0x40200000, 1, AccessType::kRead), nullptr);

  e = n.lookup(0x1fffffff8, 1, AccessType::kRead);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->size, PageSize::k1G);
  EXPECT_EQ(e->translate(0x1fffffff8), 0x33ffffff8u);
  EXPECT_EQ(e->perms, kRwx);

  const NestedTlbCounters& c = n.counters();
  EXPECT_EQ(c.lookups, 5u);
  EXPECT_EQ(c.hits, 3u);
  EXPECT_EQ(c.misses, 2u);
  EXPECT_EQ(c.hits_by_size, (std::array<std::uint64_t, 3>{1, 1, 1}));
  EXPECT_EQ(c.fills_by_size, (std::array<std::uint64_t, 3>{1, 1, 1}));
}

TEST(NestedTlb, SizesParameterRestrictsFills) {
  NestedTlbConfig cfg;
  cfg.sizes = PageSizeSet{PageSize::k4K};
  NestedTlb n(cfg);
  EXPECT_FALSE(n.fill(nentry(0x40000000, PageSize::k2M, 0x80000000)));
  EXPECT_FALSE(n.fill(nentry(0x40000000, PageSize::k1G, 0x80000000)));
  EXPECT_TRUE(n.fill(nentry(0x40000000, PageSize::k4K, 0x80000000)));
  EXPECT_EQ(n.valid_entries(), 1u);
  EXPECT_EQ(n.lookup(0x40001000, 1, AccessType::kRead), nullptr);
  EXPECT_EQ(n.counters().fills, 1u);
}

TEST(NestedTlb, VmidTagsAndDirtyRule) {
  NestedTlb n;
  n.fill(nentry(0x5000, PageSize::k4K, 0x9000, /*vmid=*/1, /*dirty=*/false));
  n.fill(nentry(0x5000, PageSize::k4K, 0xa000, /*vmid=*/2, /*dirty=*/true));
  EXPECT_EQ(n.lookup(0x5000, 1, AccessType::kRead)->hpa, 0x9000u);
  EXPECT_EQ(n.lookup(0x5000, 2, AccessType::kRead)->hpa, 0xa000u);
  EXPECT_EQ(n.lookup(0x5000, 3, AccessType::kRead), nullptr);
  EXPECT_EQ(n.lookup(0x5000, 1, AccessType::kWrite), nullptr);  // clean: the walker must set D
  EXPECT_NE(n.lookup(0x5000, 2, AccessType::kWrite), nullptr);
  EXPECT_EQ(n.counters().dirty_misses, 1u);
  EXPECT_EQ(n.counters().misses, 2u);
  n.fill(nentry(0x5000, PageSize::k4K, 0x9000, 1, /*dirty=*/true));
  EXPECT_EQ(n.counters().refills, 1u);
  EXPECT_EQ(n.valid_entries(), 2u);
  EXPECT_NE(n.lookup(0x5000, 1, AccessType::kWrite), nullptr);
}

TEST(NestedTlb, EvictsLeastRecentlyUsedInASet) {
  NestedTlb n;  // 8 sets x 4 ways: 4K frames 8 apart share a set
  auto gpa = [](unsigned i) { return arch::gpa_t{i} * 8 * arch::kPage4K; };
  for (unsigned i = 0; i < 4; ++i) n.fill(nentry(gpa(i), PageSize::k4K, 0x100000 + gpa(i)));
  ASSERT_NE(n.lookup(gpa(0), 1, AccessType::kRead), nullptr);
  n.fill(nentry(gpa(4), PageSize::k4K, 0x100000 + gpa(4)));
  EXPECT_EQ(n.peek(gpa(1), 1), nullptr);
  for (unsigned i : {0u, 2u, 3u, 4u}) EXPECT_NE(n.peek(gpa(i), 1), nullptr) << i;
  EXPECT_EQ(n.counters().evictions, 1u);
}

TEST(NestedTlb, DisabledHoldsNothing) {
  NestedTlbConfig cfg;
  cfg.geometry = Geometry::disabled();
  NestedTlb n(cfg);
  EXPECT_FALSE(n.enabled());
  EXPECT_FALSE(n.fill(nentry(0x1000, PageSize::k4K, 0x2000)));
  EXPECT_EQ(n.lookup(0x1000, 1, AccessType::kRead), nullptr);
  EXPECT_EQ(n.counters().lookups, 1u);
  EXPECT_EQ(n.counters().misses, 1u);
  EXPECT_EQ(n.invalidate(inv(InvOp::kFlushAll, 0)), 0u);
}

struct NestedInvCase {
  const char* name;
  Invalidation inv;
  unsigned survivors;  // bit 0: vmid 1 entries (2), bit 1: vmid 2 entry (1)
};

const NestedInvCase kNestedInv[] = {
    {"None", inv(InvOp::kNone, 1), 0b11},
    {"Invlpg", inv(InvOp::kInvlpg, 1), 0b11},
    {"InvpcidAddr", inv(InvOp::kInvpcidAddr, 1), 0b11},
    {"InvpcidContext", inv(InvOp::kInvpcidContext, 1), 0b11},
    {"InvpcidAllGlobal", inv(InvOp::kInvpcidAllGlobal, 1), 0b11},
    {"InvpcidAll", inv(InvOp::kInvpcidAll, 1), 0b11},
    {"InveptSingle1", inv(InvOp::kInveptSingle, 1), 0b10},
    {"InveptSingle2", inv(InvOp::kInveptSingle, 2), 0b01},
    {"InveptAll", inv(InvOp::kInveptAll, 0), 0},
    {"FlushAll", inv(InvOp::kFlushAll, 0), 0},
};

class NestedTlbInvalidation : public ::testing::TestWithParam<NestedInvCase> {};

TEST_P(NestedTlbInvalidation, OnlyInveptAndFlushDrop) {
  const NestedInvCase& c = GetParam();
  NestedTlb n;
  n.fill(nentry(0x200000, PageSize::k4K, 0x1000, 1));
  n.fill(nentry(0x200000, PageSize::k2M, 0x400000, 1));
  n.fill(nentry(0x200000, PageSize::k4K, 0x3000, 2));
  const std::uint32_t dropped = n.invalidate(c.inv);
  const bool keep1 = c.survivors & 1u, keep2 = c.survivors & 2u;
  EXPECT_EQ(n.peek(0x200000, 1) != nullptr, keep1);
  EXPECT_EQ(n.peek(0x200000, 2) != nullptr, keep2);
  EXPECT_EQ(n.valid_entries(), (keep1 ? 2u : 0u) + (keep2 ? 1u : 0u));
  EXPECT_EQ(dropped, 3u - n.valid_entries());
  EXPECT_EQ(n.counters().invalidated, dropped);
}

INSTANTIATE_TEST_SUITE_P(AllOps, NestedTlbInvalidation, ::testing::ValuesIn(kNestedInv),
                         [](const ::testing::TestParamInfo<NestedInvCase>& i) {
                           return std::string(i.param.name);
                         });

}  // namespace
}  // namespace mmuvp::tlm
