// gups: the HPCC sequence (checked against plain stepping from 1) and the exact address stream.
#include "workloads/gups.h"

#include <gtest/gtest.h>

#include "tests/workloads/test_util.h"

namespace mmuvp::workloads {
namespace {

using arch::AccessType;
using testing::collect;

// Reference: the sequence by definition, one step at a time (independent of hpcc_starts).
std::uint64_t step_reference(std::uint64_t ran) {
  const bool top = (ran & 0x8000000000000000ull) != 0;
  return (ran << 1) ^ (top ? 0x7ull : 0);
}

TEST(Gups, StartsMatchesSteppingFromOne) {
  std::uint64_t ran = 1;
  for (std::uint64_t n = 0; n <= 200'000; ++n) {
    if (n < 3000 || n % 997 == 0) {
      ASSERT_EQ(hpcc_starts(n), ran) << "n=" << n;
    }
    ran = step_reference(ran);
  }
}

TEST(Gups, StartsIsAGroupHomomorphism) {
  // x^(a+b) = x^a * x^b over GF(2)[x]/P: stepping x^a b times must give x^(a+b).
  const std::uint64_t a = 123456789012345ull;
  std::uint64_t ran = hpcc_starts(a);
  for (unsigned b = 1; b <= 1000; ++b) {
    ran = step_reference(ran);
    ASSERT_EQ(hpcc_starts(a + b), ran) << "b=" << b;
  }
}

TEST(Gups, SequencePeriodIsHpccs) {
  // HPCC's PERIOD constant: the order of x modulo x^64 + x^2 + x + 1.
  constexpr std::uint64_t kPeriod = 1317624576693539401ull;
  EXPECT_EQ(hpcc_starts(kPeriod), 1u);
  EXPECT_NE(hpcc_starts(kPeriod / 3), 1u);
}

TEST(Gups, ExactStreamOfTheSerialKernel) {
  WorkloadConfig cfg;
  cfg.footprint = 64 * 1024;  // 2^13 words
  cfg.seed = 0;               // HPCC's own run
  cfg.accesses = 128 + 4 * 128 * 3;
  GupsWorkload w(cfg);
  ASSERT_EQ(w.table_words(), 8192u);
  const std::uint64_t nupdate = 4 * 8192;
  const auto s = collect(w, cfg.accesses);
  ASSERT_EQ(s.size(), cfg.accesses);
  // ran[j] = HPCC_starts((NUPDATE/128) * j): the initial writes.
  for (unsigned j = 0; j < 128; ++j) {
    EXPECT_EQ(s[j], (MemAccess{w.ran_base() + 8 * j, 8, AccessType::kWrite, 0,
                               GupsWorkload::kInsnsPerInit}));
  }
  std::vector<std::uint64_t> ran(128);
  for (unsigned j = 0; j < 128; ++j) {
    std::uint64_t r = 1;
    for (std::uint64_t n = 0; n < nupdate / 128 * j; ++n) r = step_reference(r);
    ran[j] = r;
  }
  std::size_t k = 128;
  for (unsigned i = 0; i < 3; ++i) {
    for (unsigned j = 0; j < 128; ++j) {
      ran[j] = step_reference(ran[j]);
      const std::uint64_t word = w.table_base() + 8 * (ran[j] & 8191);
      ASSERT_EQ(s[k++], (MemAccess{w.ran_base() + 8 * j, 8, AccessType::kRead, 0,
                                   GupsWorkload::kInsnsPerUpdate}));
      ASSERT_EQ(s[k++], (MemAccess{w.ran_base() + 8 * j, 8, AccessType::kWrite, 0, 0}));
      ASSERT_EQ(s[k++], (MemAccess{word, 8, AccessType::kRead, 0, 0})) << "i=" << i << " j=" << j;
      ASSERT_EQ(s[k++], (MemAccess{word, 8, AccessType::kWrite, 0, 0}));
    }
  }
}

TEST(Gups, ThreadOwnsEveryTthStream) {
  WorkloadConfig cfg;
  cfg.footprint = 64 * 1024;
  cfg.seed = 3;
  cfg.threads = 4;
  cfg.thread = 1;
  cfg.accesses = 32 + 4 * 64;
  GupsWorkload w(cfg);
  const auto s = collect(w, cfg.accesses);
  for (unsigned k = 0; k < 32; ++k) EXPECT_EQ(s[k].va, w.ran_base() + 8 * (1 + 4 * k));
  // Update number u of the thread belongs to stream 1 + 4 (u % 32), starting at NUPDATE*seed + ...
  for (unsigned u = 0; u < 64; ++u) {
    const unsigned j = 1 + 4 * (u % 32);
    std::uint64_t r = hpcc_starts(w.stream_start(j));
    for (unsigned rep = 0; rep <= u / 32; ++rep) r = step_reference(r);
    ASSERT_EQ(s[32 + 4 * u].va, w.ran_base() + 8 * j);
    ASSERT_EQ(s[32 + 4 * u + 2].va, w.table_base() + 8 * (r & (w.table_words() - 1)));
  }
  EXPECT_EQ(w.stream_start(1), 3 * w.updates() + w.updates() / 128);
}

TEST(Gups, TableIsLargestPowerOfTwoInFootprint) {
  WorkloadConfig cfg;
  cfg.footprint = 3 * kGiB;
  GupsWorkload w(cfg);
  EXPECT_EQ(w.table_words() * 8, 2 * kGiB);
  EXPECT_TRUE(w.describe().find("2^28 words (2 GiB)") != std::string::npos) << w.describe();
  cfg.threads = 129;
  EXPECT_THROW(GupsWorkload{cfg}, std::invalid_argument);
}

}  // namespace
}  // namespace mmuvp::workloads
