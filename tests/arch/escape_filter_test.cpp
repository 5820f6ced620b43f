#include "arch/escape_filter.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <stdexcept>

using namespace mmuvp::arch;

TEST(EscapeFilter, RejectsBadParameters) {
  EXPECT_THROW(EscapeFilter(100, 4), std::invalid_argument);
  EXPECT_THROW(EscapeFilter(256, 0), std::invalid_argument);
  EXPECT_THROW(EscapeFilter(256, 9), std::invalid_argument);
  EXPECT_NO_THROW(EscapeFilter(256, 4));
}

TEST(EscapeFilter, EmptyFilterHitsNothing) {
  EscapeFilter f;
  for (std::uint64_t fn = 0; fn < 10000; ++fn) EXPECT_FALSE(f.maybe_contains(fn));
}

TEST(EscapeFilter, NoFalseNegatives) {
  std::mt19937_64 rng(7);
  for (unsigned m : {64u, 256u, 1024u})
    for (unsigned k : {1u, 2u, 4u, 8u}) {
      EscapeFilter f(m, k);
      std::vector<std::uint64_t> frames;
      for (int i = 0; i < 64; ++i) {
        frames.push_back(rng() & ((1ull << kFilterKeyBits) - 1));
        f.add(frames.back());
      }
      for (auto fn : frames) EXPECT_TRUE(f.maybe_contains(fn)) << "m=" << m << " k=" << k;
    }
}

// Measured false-positive rate with 16 escaped frames in the default filter (m=256, k=4), over a
// 1 GiB segment's worth of other frames. Bloom theory: (1 - e^{-kn/m})^k = (1 - e^{-0.25})^4 ≈ 0.24%.
TEST(EscapeFilter, FalsePositiveRateWith16Frames) {
  EscapeFilter f;
  std::mt19937_64 rng(2014);
  std::set<std::uint64_t> escaped;
  const std::uint64_t base_fn = 0x100000;  // gPA 4 GiB
  const std::uint64_t frames = 1ull << 18;  // 1 GiB of 4 KiB frames
  while (escaped.size() < 16) escaped.insert(base_fn + rng() % frames);
  for (auto fn : escaped) f.add(fn);
  std::uint64_t fp = 0, tested = 0;
  for (std::uint64_t fn = base_fn; fn < base_fn + frames; ++fn) {
    if (escaped.count(fn)) continue;
    ++tested;
    fp += f.maybe_contains(fn) ? 1 : 0;
  }
  const double rate = static_cast<double>(fp) / static_cast<double>(tested);
  RecordProperty("false_positive_rate", std::to_string(rate));
  std::printf("escape filter m=256 k=4, 16 escaped frames: %llu false positives in %llu frames = %.4f%%\n",
              static_cast<unsigned long long>(fp), static_cast<unsigned long long>(tested), 100 * rate);
  EXPECT_GT(fp, 0u);          // a Bloom filter of this size does have false positives...
  EXPECT_LT(rate, 0.01);      // ...but well under 1% for 16 frames
}
