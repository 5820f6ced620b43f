#include "sw-stub/scenario.h"

#include <gtest/gtest.h>

#include <string>

#include "arch/golden_translator.h"
#include "arch/mmu_regs.h"
#include "sw-stub/stub_error.h"
#include "tb/direct_bus.h"
#include "tests/sw-stub/stub_test_util.h"

namespace mmuvp::stub {
namespace {

using arch::AccessType;
using arch::Mode;
using arch::PageSize;
using testing::probe;

struct Cost {
  Mode mode;
  std::size_t refs;
  std::size_t adds;
};

// The 4K+4K cost of one translation inside the region, caches off (SPEC §2).
constexpr Cost kCosts[] = {
    {Mode::kNative, 4, 0},     {Mode::kNativeDs, 0, 1},  {Mode::kNested, 24, 0},
    {Mode::kDualDirect, 0, 2}, {Mode::kVmmDirect, 4, 5}, {Mode::kGuestDirect, 4, 1},
};

enum class Ad { kOff, kPreset, kWriteBack };

struct CostCase {
  Cost cost;
  Ad ad;
};

class ScenarioCost : public ::testing::TestWithParam<CostCase> {};

TEST_P(ScenarioCost, FourKTranslationCostsWhatTheModeSays) {
  const CostCase c = GetParam();
  tb::DirectMachine m;
  ScenarioConfig cfg;
  cfg.mode = c.cost.mode;
  cfg.footprint = 64ull << 20;
  cfg.ad_updates = c.ad != Ad::kOff;
  cfg.preset_ad = c.ad == Ad::kPreset;
  cfg.ept_ad = c.ad != Ad::kOff;
  Scenario s(m.bus, cfg);
  EXPECT_EQ(m.context(0).mode, c.cost.mode);
  EXPECT_EQ(m.context(0).ad_updates, cfg.ad_updates);
  EXPECT_EQ(m.context(0).guest_seg.enabled(), arch::uses_guest_segment(c.cost.mode));
  EXPECT_EQ(m.context(0).vmm_seg.enabled(), arch::uses_vmm_segment(c.cost.mode));

  arch::GoldenTranslator g(m.memory);
  for (AccessType type : {AccessType::kRead, AccessType::kWrite}) {
    const arch::gva_t va = s.region().lo + 0x2345678 + (type == AccessType::kWrite ? 0x100000 : 0);
    arch::TranslationResult r = probe(g, m.context(0), va, type);
    ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
    if (c.ad == Ad::kWriteBack) {
      // The first walk writes A/D bits back; the second finds them set.
      EXPECT_GE(r.refs.size(), c.cost.refs);
      if (c.cost.refs > 0) {
        EXPECT_GT(r.refs.size(), r.read_refs());
      }
      r = probe(g, m.context(0), va, type);
      ASSERT_TRUE(r.ok());
    }
    EXPECT_EQ(r.refs.size(), c.cost.refs);
    EXPECT_EQ(r.read_refs(), c.cost.refs);
    EXPECT_EQ(r.adds.size(), c.cost.adds);
    const Leaf leaf = *s.process().mappings().find(va);
    EXPECT_EQ(r.gpa, leaf.translate(va));
    EXPECT_EQ(r.hpa, s.vm() ? s.vm()->gpa_to_hpa(r.gpa) : r.gpa);
    EXPECT_EQ(r.guest_seg_hit, arch::uses_guest_segment(c.cost.mode));
    EXPECT_EQ(r.vmm_seg_hit, arch::uses_vmm_segment(c.cost.mode));
    // 4 KiB pages; a segment maps its hit like a page of its largest aligned block (2 MiB here:
    // 64 MiB region and guest memory, both 2 MiB aligned).
    const bool seg_block = arch::uses_guest_segment(c.cost.mode);
    EXPECT_EQ(r.guest_size, seg_block ? PageSize::k2M : PageSize::k4K);
    EXPECT_EQ(r.size, arch::min_size(r.guest_size, s.vm() ? r.host_size : r.guest_size));
  }
}

std::vector<CostCase> all_cost_cases() {
  std::vector<CostCase> v;
  for (const Cost& c : kCosts)
    for (Ad ad : {Ad::kOff, Ad::kPreset, Ad::kWriteBack}) v.push_back({c, ad});
  return v;
}

INSTANTIATE_TEST_SUITE_P(Modes, ScenarioCost, ::testing::ValuesIn(all_cost_cases()),
                         [](const auto& info) {
                           std::string n(arch::to_string(info.param.cost.mode));
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n + (info.param.ad == Ad::kOff      ? "_AdOff"
                                       : info.param.ad == Ad::kPreset ? "_AdPreset"
                                                                      : "_AdWriteBack");
                         });

TEST(Scenario, LargePagesShortenTheWalks) {
  tb::DirectMachine m;
  ScenarioConfig cfg;
  cfg.mode = Mode::kVmmDirect;
  cfg.guest_pages = PagePolicy::k2M;
  cfg.host_pages = PageSize::k2M;
  cfg.footprint = 8ull << 20;
  Scenario s(m.bus, cfg);
  arch::GoldenTranslator g(m.memory);
  const arch::TranslationResult r = probe(g, m.context(0), s.region().lo + 0x345678);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.refs.size(), 3u);  // PML4, PDPT, PD
  EXPECT_EQ(r.adds.size(), 4u);  // three table gPAs and the final gPA by the VMM segment
  EXPECT_EQ(r.size, PageSize::k2M);
  EXPECT_EQ(r.guest_size, PageSize::k2M);
}

TEST(Scenario, DualDirectWithGigabytePagesHitsBothSegments) {
  tb::DirectMachine m;
  ScenarioConfig cfg;
  cfg.mode = Mode::kDualDirect;
  cfg.guest_pages = PagePolicy::k1G;
  cfg.host_pages = PageSize::k1G;
  cfg.footprint = 1ull << 30;
  Scenario s(m.bus, cfg);
  arch::GoldenTranslator g(m.memory);
  const arch::TranslationResult r = probe(g, m.context(0), s.region().lo + 0x12345678);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.refs.size(), 0u);
  EXPECT_EQ(r.adds.size(), 2u);
  EXPECT_EQ(r.size, PageSize::k1G);  // both segments keep 1G alignment
  EXPECT_EQ(r.hpa, s.vm()->gpa_to_hpa(r.gpa));
}

TEST(Scenario, BadConfigurationsAreClearErrors) {
  tb::DirectMachine m;
  ScenarioConfig cfg;
  cfg.core = 2;
  EXPECT_THROW(Scenario(m.bus, cfg), StubError);
  cfg.core = 0;
  cfg.footprint = 0;
  EXPECT_THROW(Scenario(m.bus, cfg), StubError);
  cfg.footprint = 1ull << 30;
  cfg.mode = Mode::kNested;
  cfg.host_memory = 1ull << 30;  // smaller than the guest
  EXPECT_THROW(Scenario(m.bus, cfg), OutOfMemory);
}

}  // namespace
}  // namespace mmuvp::stub
