// Randomized agreement of the golden translator with the independent reference walker: per mode,
// seeded random address spaces (mixed guest and host page sizes, holes, random permissions,
// segments incl. edges, escaped frames, corrupted entries, memory that ends) and >= 100,000
// random translations, comparing the result or fault (full attribution), gPA, hPA, sizes,
// permissions, every memory reference in order, every segment addition and the filter hits.
// The outcome mix is counted and required to cover every path the mode has; set
// GOLDEN_RANDOM_VERBOSE=1 to also print every fault attribution (kind/stage/level) seen.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>
#include <string>

#include "arch/golden_translator.h"
#include "tests/golden/golden_test_util.h"
#include "tests/golden/random_space.h"
#include "tests/golden/reference_walker.h"
#include "tests/golden/result_diff.h"

namespace mmuvp::golden {
namespace {

using arch::FaultKind;
using arch::Mode;

constexpr unsigned kSpacesPerMode = 6;             // MAXPHYADDR 52 and 46 alternately
constexpr unsigned kTranslationsPerSpace = 25000;  // 150,000 per mode
constexpr std::uint64_t kBaseSeed = 0x6d6d7576'00000000ull;

struct Tally {
  std::uint64_t total = 0, ok = 0, guest_seg = 0, vmm_seg = 0, filter = 0, ad_writes = 0;
  std::map<FaultKind, std::uint64_t> faults;
  std::map<std::string, std::uint64_t> attributions;  // kind/stage/level seen

  void add(const arch::TranslationResult& r) {
    ++total;
    if (r.ok()) ++ok;
    ++faults[r.fault.kind];
    if (!r.ok()) {
      attributions[std::string(arch::to_string(r.fault.kind)) + "/" +
                   std::to_string(static_cast<int>(r.fault.stage)) + "/" +
                   std::to_string(r.fault.level)]++;
    }
    guest_seg += r.guest_seg_hit;
    vmm_seg += r.vmm_seg_hit;
    filter += r.filter_hits > 0;
    ad_writes += r.refs.size() != r.read_refs();
  }
  std::string line() const {
    std::string s = "translations=" + std::to_string(total) + " ok=" + std::to_string(ok);
    for (const auto& [k, n] : faults)
      if (k != FaultKind::kNone)
        s += " " + std::string(arch::to_string(k)) + "=" + std::to_string(n);
    s += " guest-seg-hits=" + std::to_string(guest_seg) +
         " vmm-seg-hits=" + std::to_string(vmm_seg) + " filter-walks=" + std::to_string(filter) +
         " with-ad-writes=" + std::to_string(ad_writes) +
         " fault-attributions=" + std::to_string(attributions.size());
    return s;
  }
};

class RandomizedAgreement : public ::testing::TestWithParam<Mode> {};

TEST_P(RandomizedAgreement, GoldenEqualsReference) {
  const Mode mode = GetParam();
  Tally tally;
  std::uint64_t mismatches = 0;
  std::string report;
  for (unsigned s = 0; s < kSpacesPerMode; ++s) {
    const std::uint64_t seed = kBaseSeed + static_cast<unsigned>(mode) * 1000 + s;
    const unsigned maxphyaddr = s % 2 == 0 ? 52 : 46;
    RandomSpace space(mode, seed, maxphyaddr);
    arch::GoldenTranslator golden(space.memory());
    ReferenceWalker reference(space.memory());
    std::mt19937_64 rng(seed * 7919);
    for (unsigned i = 0; i < kTranslationsPerSpace; ++i) {
      const arch::TranslationContext& ctx = space.pick_context(rng);
      const arch::Access access = space.pick_access(rng);
      const ReferenceOutcome want = reference.translate(ctx, access);  // reads only
      const arch::TranslationResult got = golden.translate(ctx, access);
      tally.add(got);
      const std::string d = result_difference(got, want);
      if (d.empty()) continue;
      if (++mismatches <= 5) {
        report += "\n  seed " + hex(seed) + " #" + std::to_string(i) + " va " + hex(access.va) +
                  " type " + std::to_string(static_cast<int>(access.type)) +
                  (access.user ? " user" : " sup") + " ad " + (ctx.ad_updates ? "on" : "off") +
                  " eptp " + hex(ctx.eptp) + ":" + d;
      }
    }
  }
  std::printf("[ %s ] %s\n", std::string(arch::to_string(mode)).c_str(), tally.line().c_str());
  if (std::getenv("GOLDEN_RANDOM_VERBOSE"))
    for (const auto& [k, n] : tally.attributions)
      std::printf("    %s: %llu\n", k.c_str(), (unsigned long long)n);
  RecordProperty("outcomes", tally.line());
  EXPECT_EQ(mismatches, 0u) << report;

  // The generator must exercise every path the mode has, or agreement proves little.
  EXPECT_GE(tally.total, 100000u);
  EXPECT_GE(tally.ok * 5, tally.total) << "fewer than 20% successful translations";
  EXPECT_GT(tally.faults[FaultKind::kGuestPageFault], tally.total / 100);
  EXPECT_GT(tally.faults[FaultKind::kNonCanonical], 0u);
  EXPECT_GT(tally.faults[FaultKind::kMemoryError], 0u);
  EXPECT_GT(tally.ad_writes, 0u);
  if (arch::is_virtualized(mode)) {
    EXPECT_GT(tally.faults[FaultKind::kEptViolation], 0u);
    EXPECT_GT(tally.faults[FaultKind::kEptMisconfig], 0u);
  }
  if (arch::uses_guest_segment(mode)) {
    EXPECT_GT(tally.guest_seg, tally.total / 100);
  }
  if (arch::uses_vmm_segment(mode)) {
    EXPECT_GT(tally.vmm_seg, tally.total / 100);
    EXPECT_GT(tally.filter, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, RandomizedAgreement,
                         ::testing::Values(Mode::kNative, Mode::kNativeDs, Mode::kNested,
                                           Mode::kDualDirect, Mode::kVmmDirect, Mode::kGuestDirect),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           std::string n(arch::to_string(info.param));
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace mmuvp::golden
