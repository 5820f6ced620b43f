// Mode x page-size matrix for the golden translator (SPEC §2 table, seed Table I): every mode,
// guest 4K/2M/1G pages (or guest-segment blocks of that size), host 4K/2M/1G EPT pages (or
// VMM-segment blocks), each segment hit or missed. Checks the exact hPA, gPA, sizes, permissions,
// the ordered memory references with their addresses, the segment additions, and the reference
// counts (g+1)(h+1)-1. Expected addresses come from the fixture's documented layout by plain
// arithmetic.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "arch/golden_translator.h"
#include "tests/golden/golden_test_util.h"
#include "tests/golden/walk_fixture.h"

namespace mmuvp::golden {
namespace {

using arch::Mode;
using arch::PageSize;

// A gVA with a different index at every level and a non-zero page offset.
constexpr gva_t kVa =
    (0x0a5ull << 39) | (0x1c3ull << 30) | (0x0f7ull << 21) | (0x12dull << 12) | 0x9a8;
// Guest-physical pages the guest maps kVa to, one per guest page size; all in one 1 GiB block
// whose EPT PML4 slot (1) differs from the guest tables' slot (0).
constexpr gpa_t kDataGpa1G = 0xc5'4000'0000ull;
constexpr gpa_t kDataGpa2M = 0xc5'5220'0000ull;
constexpr gpa_t kDataGpa4K = 0xc5'5234'5000ull;
constexpr std::uint64_t kVmRamBytes = 0x100'0000'0000ull;  // gPA [0, 1 TiB) is VM RAM
constexpr gva_t kOtherVa = 0x10'0000'0000ull;              // where a "missed" guest segment sits

constexpr unsigned levels_of(PageSize s) {  // entries a walk reads down to a leaf of size s
  return s == PageSize::k1G ? 2 : s == PageSize::k2M ? 3 : 4;
}
constexpr gpa_t data_page(PageSize g) {
  return g == PageSize::k1G ? kDataGpa1G : g == PageSize::k2M ? kDataGpa2M : kDataGpa4K;
}
constexpr std::uint64_t bytes(PageSize s) { return arch::page_bytes(s); }

struct MatrixCase {
  Mode mode;
  PageSize g;    // guest page size, or guest-segment block size
  PageSize h;    // EPT page size, or VMM-segment block size (virtualized modes)
  bool gseg_in;  // guest segment covers kVa (modes that use it)
  bool vseg_in;  // VMM segment covers all VM RAM (modes that use it)
};

std::string camel_mode(Mode m) {
  switch (m) {
    case Mode::kNative:
      return "Native";
    case Mode::kNativeDs:
      return "NativeDs";
    case Mode::kNested:
      return "Nested";
    case Mode::kDualDirect:
      return "DualDirect";
    case Mode::kVmmDirect:
      return "VmmDirect";
    case Mode::kGuestDirect:
      return "GuestDirect";
    case Mode::kFlatNested:
      return "FlatNested";
  }
  return "Unknown";
}

std::string case_name(const MatrixCase& c) {
  std::string n = camel_mode(c.mode) + "_G" + std::string(arch::to_string(c.g));
  if (arch::is_virtualized(c.mode)) n += "_H" + std::string(arch::to_string(c.h));
  if (arch::uses_guest_segment(c.mode)) n += c.gseg_in ? "_Gseg" : "_Gwalk";
  if (arch::uses_vmm_segment(c.mode)) n += c.vseg_in ? "_Vseg" : "_Vept";
  return n;
}

std::vector<MatrixCase> all_cases() {
  std::vector<MatrixCase> out;
  const PageSize sizes[] = {PageSize::k4K, PageSize::k2M, PageSize::k1G};
  for (unsigned m = 0; m < arch::kModeCount; ++m) {
    const Mode mode = static_cast<Mode>(m);
    if (mode == Mode::kFlatNested) continue;  // the fixture builds 4-level EPTs: flat_ept_test.cpp
    const bool virt = arch::is_virtualized(mode);
    for (PageSize g : sizes)
      for (PageSize h : sizes) {
        if (!virt && h != PageSize::k4K) continue;  // no host dimension
        for (bool gin : {true, false}) {
          if (!arch::uses_guest_segment(mode) && !gin) continue;
          for (bool vin : {true, false}) {
            if (!arch::uses_vmm_segment(mode) && !vin) continue;
            out.push_back({mode, g, h, gin, vin});
          }
        }
      }
  }
  return out;
}

// Builds the address space of one case and translates a user read of kVa.
class Scenario {
 public:
  explicit Scenario(const MatrixCase& c) : c_(c), fx_(options(c)), gt_(fx_.mem) {
    const gva_t va_page = kVa & ~(bytes(c.g) - 1);
    fx_.map_guest(va_page, data_page(c.g), c.g);
    if (virt()) fx_.back(gpa_final(), c.h);

    ctx_ = fx_.context(c.mode);
    // Both segments are programmed in every mode: the modes that do not use one must ignore it.
    if (c.gseg_in) {
      ctx_.guest_seg = {va_page - bytes(c.g), va_page + 2 * bytes(c.g), data_page(c.g) - va_page};
    } else {
      ctx_.guest_seg = {kOtherVa, kOtherVa + arch::kPage1G, 0};
    }
    if (c.vseg_in) {
      ctx_.vmm_seg = {0, kVmRamBytes, ram_offset()};
    } else {
      ctx_.vmm_seg = {kVmRamBytes, kVmRamBytes + arch::kPage1G, ram_offset()};
    }
  }

  arch::TranslationResult translate() {
    return gt_.translate(ctx_, {kVa, arch::AccessType::kRead, true});
  }

  bool virt() const { return arch::is_virtualized(c_.mode); }
  bool guest_by_seg() const { return arch::uses_guest_segment(c_.mode) && c_.gseg_in; }
  bool host_by_seg() const { return arch::uses_vmm_segment(c_.mode) && c_.vseg_in; }
  gpa_t gpa_final() const { return data_page(c_.g) + (kVa & (bytes(c_.g) - 1)); }
  hpa_t ram_offset() const { return fx_.options().ram_offset; }
  const WalkFixture& fixture() const { return fx_; }
  const arch::TranslationContext& context() const { return ctx_; }

 private:
  static FixtureOptions options(const MatrixCase& c) {
    FixtureOptions o;
    o.virtualized = arch::is_virtualized(c.mode);
    // OFFSET_V aligned to the host size but not to the next one: VMM-segment blocks are then
    // exactly of size h, like the EPT pages placed at the same hPA.
    o.ram_offset = kVmRamHpa + (c.h == PageSize::k1G ? 0 : bytes(c.h));
    o.table_host_size = c.h;
    return o;
  }

  MatrixCase c_;
  WalkFixture fx_;
  arch::GoldenTranslator gt_;
  arch::TranslationContext ctx_;
};

class ModeSizeMatrix : public ::testing::TestWithParam<MatrixCase> {};

TEST_P(ModeSizeMatrix, ExactResultReferencesAndAdditions) {
  const MatrixCase& c = GetParam();
  Scenario s(c);
  const arch::TranslationResult r = s.translate();
  ASSERT_TRUE(r.ok()) << arch::describe(r.fault);

  // ---- expected references and additions, from the layout ---------------------------------
  const unsigned g_levels = levels_of(c.g);
  const unsigned h_levels = levels_of(c.h);
  const unsigned h_leaf = 5 - h_levels;  // EPT level of the leaf
  auto ept_frame = [&](unsigned level, bool data_path) -> hpa_t {
    // EPT PML4 = frame 0; the guest-table path got frames 1..h-1, the data path h..2h-2.
    const unsigned k = level == 4 ? 0 : (data_path ? h_levels - 1 : 0) + (4 - level);
    return kEptTablesHpa + k * arch::kPage4K;
  };
  std::vector<arch::MemRef> refs;
  std::vector<arch::SegmentAdd> adds;
  auto host = [&](gpa_t x, unsigned for_level, bool data_path) -> hpa_t {
    if (!s.virt()) return x;
    const hpa_t out = x + s.ram_offset();
    if (s.host_by_seg()) {
      adds.push_back({arch::SegmentKind::kVmm, x, out});
    } else {
      for (unsigned l = 4; l >= h_leaf; --l)
        refs.push_back(ept_ref(ept_frame(l, data_path) + 8 * index_at(x, l), l, for_level));
    }
    return out;
  };
  if (s.guest_by_seg()) {
    adds.push_back({arch::SegmentKind::kGuest, kVa, s.gpa_final()});
  } else {
    for (unsigned l = 4; l > 4 - g_levels; --l) {
      const gpa_t entry = kGuestTablesGpa + (4 - l) * arch::kPage4K + 8 * index_at(kVa, l);
      refs.push_back(guest_ref(host(entry, l, false), l));
    }
  }
  const hpa_t expected_hpa = host(s.gpa_final(), 0, true);

  EXPECT_EQ(to_vector(r.refs), refs);
  EXPECT_EQ(to_vector(r.adds), adds);

  // ---- counts: (g+1)(h+1)-1 references, one addition per segment use -------------------------
  const unsigned g = s.guest_by_seg() ? 0 : g_levels;
  const unsigned h = (!s.virt() || s.host_by_seg()) ? 0 : h_levels;
  EXPECT_EQ(r.read_refs(), (g + 1) * (h + 1) - 1);
  EXPECT_EQ(r.refs.size(), r.read_refs());  // A/D updates are off
  const unsigned vmm_adds = s.host_by_seg() ? g + 1 : 0;
  EXPECT_EQ(r.adds.size(), (s.guest_by_seg() ? 1u : 0u) + vmm_adds);

  // ---- the translation ----------------------------------------------------------------------
  EXPECT_EQ(r.gpa, s.gpa_final());
  EXPECT_EQ(r.hpa, expected_hpa);
  if (s.guest_by_seg() && s.host_by_seg()) {  // seed Table I: hPA = gVA + OFFSET_G + OFFSET_V
    EXPECT_EQ(r.hpa, kVa + s.context().guest_seg.offset + s.context().vmm_seg.offset);
  }
  EXPECT_EQ(r.guest_size, c.g);
  EXPECT_EQ(r.host_size, s.virt() ? c.h : PageSize::k1G);
  EXPECT_EQ(r.size, s.virt() ? arch::min_size(c.g, c.h) : c.g);
  EXPECT_EQ(r.perms, (arch::Perms{true, true, !s.guest_by_seg(), true}));
  EXPECT_EQ(r.guest_seg_hit, s.guest_by_seg());
  EXPECT_EQ(r.vmm_seg_hit, s.host_by_seg());
  EXPECT_EQ(r.filter_hits, 0);
  EXPECT_EQ(r.guest_leaf, s.guest_by_seg() ? 0 : s.fixture().guest_entry(kVa, 5 - g_levels));
  EXPECT_EQ(r.ept_leaf,
            (s.virt() && !s.host_by_seg()) ? s.fixture().ept_entry(s.gpa_final(), h_leaf) : 0);
}

INSTANTIATE_TEST_SUITE_P(Golden, ModeSizeMatrix, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<MatrixCase>& info) {
                           return case_name(info.param);
                         });

// The reference counts of the SPEC §2 table and of the fallbacks, 4 KiB pages on both sides.
TEST(ModeSizeMatrix, SpecTableCountsFor4KPages) {
  struct Row {
    MatrixCase c;
    std::size_t refs, adds;
  };
  const PageSize k4 = PageSize::k4K;
  const Row rows[] = {
      {{Mode::kNative, k4, k4, true, true}, 4, 0},
      {{Mode::kNativeDs, k4, k4, true, true}, 0, 1},
      {{Mode::kNativeDs, k4, k4, false, true}, 4, 0},
      {{Mode::kNested, k4, k4, true, true}, 24, 0},
      {{Mode::kDualDirect, k4, k4, true, true}, 0, 2},
      {{Mode::kDualDirect, k4, k4, false, true}, 4, 5},  // guest walk, VMM segment
      {{Mode::kDualDirect, k4, k4, true, false}, 4, 1},  // guest segment, EPT walk
      {{Mode::kDualDirect, k4, k4, false, false}, 24, 0},
      {{Mode::kVmmDirect, k4, k4, true, true}, 4, 5},
      {{Mode::kVmmDirect, k4, k4, true, false}, 24, 0},
      {{Mode::kGuestDirect, k4, k4, true, true}, 4, 1},
      {{Mode::kGuestDirect, k4, k4, false, true}, 24, 0},  // outside the guest segment: 2D walk
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(case_name(row.c));
    Scenario s(row.c);
    const arch::TranslationResult r = s.translate();
    ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
    EXPECT_EQ(r.read_refs(), row.refs);
    EXPECT_EQ(r.adds.size(), row.adds);
  }
}

// Large pages shorten both dimensions: e.g. guest 2M + host 4K = 3 guest levels x 4 EPT levels.
TEST(ModeSizeMatrix, NestedLargePageCounts) {
  struct Row {
    PageSize g, h;
    std::size_t refs;
  };
  const Row rows[] = {{PageSize::k2M, PageSize::k4K, 19}, {PageSize::k1G, PageSize::k4K, 14},
                      {PageSize::k4K, PageSize::k2M, 19}, {PageSize::k4K, PageSize::k1G, 14},
                      {PageSize::k2M, PageSize::k2M, 15}, {PageSize::k1G, PageSize::k1G, 8}};
  for (const Row& row : rows) {
    const MatrixCase c{Mode::kNested, row.g, row.h, true, true};
    SCOPED_TRACE(case_name(c));
    Scenario s(c);
    const arch::TranslationResult r = s.translate();
    ASSERT_TRUE(r.ok()) << arch::describe(r.fault);
    EXPECT_EQ(r.read_refs(), row.refs);
  }
}

}  // namespace
}  // namespace mmuvp::golden
