// The seed's Table IV linear model (tb/eval/linear_model.h) on hand-computed numbers: the inputs
// C_n, M_n, C_v, D_VD, D_GD from the reference runs, the F fractions from a run's walker counters,
// every design's formula, and the cases the model does not cover.
#include "tb/eval/linear_model.h"

#include <gtest/gtest.h>

namespace mmuvp::tb::eval {
namespace {

constexpr double kTol = 1e-12;

RunStats run(arch::Mode mode, std::uint64_t walks, std::uint64_t walk_cycles,
             std::uint64_t total_cycles) {
  RunStats s;
  s.config.mode = mode;
  s.total.walks = walks;
  s.total.walk_cycles = walk_cycles;
  s.total.total_cycles = total_cycles;
  return s;
}

// native: C_n = 30000 / 1000 = 30, M_n = 1000 L2 misses.
RunStats native() {
  RunStats s = run(arch::Mode::kNative, 1000, 30000, 1'000'000);
  s.total.l2_tlb_misses = 1000;
  s.total.walk_requests = 1000;
  return s;
}
// nested 4K+4K: C_v = 120000 / 1200 = 100.
RunStats nested() { return run(arch::Mode::kNested, 1200, 120000, 2'000'000); }
// vmm-direct: 35 cycles per walk -> D_VD = 5; F_VD = 950 / 1000.
RunStats vmm_direct() {
  RunStats s = run(arch::Mode::kVmmDirect, 900, 31500, 1'000'000);
  s.total.walk_requests = 1000;
  s.total.vmm_segment_hits = 950;
  return s;
}
// guest-direct: 40 cycles per walk -> D_GD = 10; F_GD = 800 / 1000.
RunStats guest_direct() {
  RunStats s = run(arch::Mode::kGuestDirect, 1000, 40000, 1'000'000);
  s.total.walk_requests = 1000;
  s.total.guest_segment_hits = 800;
  return s;
}

ModelBaseline baseline() {
  const RunStats n = native(), v = nested(), vd = vmm_direct(), gd = guest_direct();
  return make_baseline(&n, &v, &vd, &gd);
}

TEST(LinearModel, BaselineFromTheReferenceRuns) {
  const ModelBaseline b = baseline();
  ASSERT_TRUE(b.c_n && b.m_n && b.c_v && b.d_vd && b.d_gd);
  EXPECT_NEAR(*b.c_n, 30.0, kTol);
  EXPECT_NEAR(*b.m_n, 1000.0, kTol);
  EXPECT_NEAR(*b.c_v, 100.0, kTol);
  EXPECT_NEAR(*b.d_vd, 5.0, kTol);
  EXPECT_NEAR(*b.d_gd, 10.0, kTol);

  const ModelBaseline none = make_baseline(nullptr, nullptr, nullptr, nullptr);
  EXPECT_FALSE(none.c_n || none.m_n || none.c_v || none.d_vd || none.d_gd);
  const RunStats n = native(), vd = vmm_direct();
  const ModelBaseline partial = make_baseline(&n, nullptr, &vd, nullptr);
  EXPECT_TRUE(partial.d_vd.has_value());
  EXPECT_FALSE(partial.c_v.has_value());
  EXPECT_FALSE(partial.d_gd.has_value());
}

TEST(LinearModel, BaseDesigns) {
  // native: C_n * M_n = 30 * 1000.
  const ModelResult n = predict(native(), baseline());
  ASSERT_TRUE(n.available) << n.missing;
  EXPECT_NEAR(n.walk_cycles, 30000, kTol);
  EXPECT_NEAR(n.overhead, 0.03, kTol);
  EXPECT_NEAR(n.measured_overhead, 0.03, kTol);
  EXPECT_NEAR(n.error, 0.0, kTol);
  // nested: C_v * M_n = 100 * 1000 against its own 120000 measured walk cycles of 2M total.
  const ModelResult v = predict(nested(), baseline());
  ASSERT_TRUE(v.available) << v.missing;
  EXPECT_NEAR(v.walk_cycles, 100000, kTol);
  EXPECT_NEAR(v.overhead, 0.05, kTol);
  EXPECT_NEAR(v.measured_overhead, 0.06, kTol);
  EXPECT_NEAR(v.error, -0.01, kTol);
}

TEST(LinearModel, DirectSegment) {
  RunStats ds = run(arch::Mode::kNativeDs, 100, 3100, 900'000);
  ds.total.walk_requests = 1000;
  ds.total.segment_translations = 900;  // F_DS = 0.9
  const ModelResult m = predict(ds, baseline());
  ASSERT_TRUE(m.available) << m.missing;
  EXPECT_NEAR(m.f.ds, 0.9, kTol);
  EXPECT_NEAR(m.walk_cycles, 30 * 0.1 * 1000, 1e-9);  // C_n (1 - F_DS) M_n
  EXPECT_NEAR(m.overhead, 3000.0 / 900'000, kTol);
  EXPECT_NEAR(m.measured_overhead, 3100.0 / 900'000, kTol);
}

TEST(LinearModel, VmmDirectAndGuestDirect) {
  // [(C_n + D_VD) F_VD + C_v (1 - F_VD)] M_n = [35 * 0.95 + 100 * 0.05] * 1000 = 38250.
  const ModelResult vd = predict(vmm_direct(), baseline());
  ASSERT_TRUE(vd.available) << vd.missing;
  EXPECT_NEAR(vd.f.vd, 0.95, kTol);
  EXPECT_NEAR(vd.walk_cycles, 38250, 1e-9);
  EXPECT_NEAR(vd.overhead, 0.03825, kTol);
  EXPECT_NEAR(vd.measured_overhead, 0.0315, kTol);
  EXPECT_NEAR(vd.error, 0.00675, kTol);
  // [(C_n + D_GD) F_GD + C_v (1 - F_GD)] M_n = [40 * 0.8 + 100 * 0.2] * 1000 = 52000.
  const ModelResult gd = predict(guest_direct(), baseline());
  ASSERT_TRUE(gd.available) << gd.missing;
  EXPECT_NEAR(gd.f.gd, 0.8, kTol);
  EXPECT_NEAR(gd.walk_cycles, 52000, 1e-9);
}

TEST(LinearModel, DualDirectSplitsTheRequestsByPath) {
  RunStats dd = run(arch::Mode::kDualDirect, 400, 9000, 500'000);
  dd.total.walk_requests = 1000;
  dd.total.segment_translations = 600;  // both segments: F_DD = 0.6
  dd.total.guest_segment_hits = 700;    // guest only: (700 - 600) / 1000 = 0.1
  dd.total.vmm_segment_hits = 850;      // VMM only: (850 - 600) / 1000 = 0.25
  const ModelResult m = predict(dd, baseline());
  ASSERT_TRUE(m.available) << m.missing;
  EXPECT_NEAR(m.f.dd, 0.6, kTol);
  EXPECT_NEAR(m.f.gd, 0.1, kTol);
  EXPECT_NEAR(m.f.vd, 0.25, kTol);
  // [35 * 0.25 + 40 * 0.1 + 100 * (1 - 0.1 - 0.25 - 0.6)] * 1000 = (8.75 + 4 + 5) * 1000.
  EXPECT_NEAR(m.walk_cycles, 17750, 1e-9);
  EXPECT_NEAR(m.overhead, 0.0355, kTol);
  EXPECT_NEAR(m.measured_overhead, 0.018, kTol);
  EXPECT_NEAR(m.error, 0.0175, kTol);
}

// The segments' large TLB fills remove misses: F is a fraction of the native run's M_n = 1000
// misses, not of the run's own few walker requests.
TEST(LinearModel, FractionsAreOfTheNativeMisses) {
  RunStats ds = run(arch::Mode::kNativeDs, 4, 3200, 800'000);
  ds.total.walk_requests = 10;
  ds.total.segment_translations = 6;  // 4 walks outside the segment: F_DS = 1 - 4 / 1000
  const ModelResult m = predict(ds, baseline());
  ASSERT_TRUE(m.available) << m.missing;
  EXPECT_NEAR(m.f.ds, 0.996, kTol);
  EXPECT_NEAR(m.walk_cycles, 30 * 4, 1e-9);  // C_n (R - S)
  EXPECT_NEAR(m.error, 120.0 / 800'000 - 3200.0 / 800'000, kTol);

  RunStats dd = run(arch::Mode::kDualDirect, 30, 2000, 700'000);
  dd.total.walk_requests = 50;
  dd.total.segment_translations = 20;
  dd.total.guest_segment_hits = 25;  // 5 guest only
  dd.total.vmm_segment_hits = 40;    // 20 VMM only; 5 through neither
  const ModelResult d = predict(dd, baseline());
  ASSERT_TRUE(d.available) << d.missing;
  EXPECT_NEAR(d.f.dd, 0.97, kTol);
  EXPECT_NEAR(d.f.vd, 0.02, kTol);
  EXPECT_NEAR(d.f.gd, 0.005, kTol);
  // (C_n + D_VD) 20 + (C_n + D_GD) 5 + C_v 5 = 35 * 20 + 40 * 5 + 100 * 5.
  EXPECT_NEAR(d.walk_cycles, 1400, 1e-9);

  // A run with more requests than the native misses: the fractions stay within [0, 1].
  RunStats many = run(arch::Mode::kNativeDs, 1500, 45000, 1'000'000);
  many.total.walk_requests = 1600;
  many.total.segment_translations = 100;
  EXPECT_NEAR(predict(many, baseline()).f.ds, 0.0, kTol);
  many.config.mode = arch::Mode::kVmmDirect;
  many.total.vmm_segment_hits = 1600;
  EXPECT_NEAR(predict(many, baseline()).f.vd, 1.0, kTol);
  // Without the native run, the fractions are of the run's own requests.
  EXPECT_NEAR(segment_fractions(ds, 0).ds, 0.6, kTol);
}

TEST(LinearModel, ReportsWhatIsMissing) {
  const RunStats n = native(), v = nested();
  const ModelBaseline no_direct = make_baseline(&n, &v, nullptr, nullptr);
  EXPECT_EQ(predict(vmm_direct(), no_direct).missing, "needs the vmm-direct run");
  EXPECT_EQ(predict(guest_direct(), no_direct).missing, "needs the guest-direct run");
  const ModelBaseline no_nested = make_baseline(&n, nullptr, nullptr, nullptr);
  EXPECT_EQ(predict(nested(), no_nested).missing, "needs the nested-4k run");
  EXPECT_TRUE(predict(native(), no_nested).available);
  EXPECT_EQ(predict(native(), make_baseline(nullptr, &v, nullptr, nullptr)).missing,
            "needs the native-4k run");

  RunStats big = nested();
  big.config.guest_pages = stub::PagePolicy::k2M;
  big.config.host_pages = arch::PageSize::k2M;
  const ModelResult m = predict(big, baseline());
  EXPECT_FALSE(m.available);
  EXPECT_EQ(m.missing, "Table IV models 4K pages only");

  // Shadow paging and dynamic switching are VMM software the paper's model does not cover.
  for (bool dynamic : {false, true}) {
    RunStats spt = nested();
    spt.config.shadow_paging = !dynamic;
    spt.config.dynamic_paging = dynamic;
    const ModelResult s = predict(spt, baseline());
    EXPECT_FALSE(s.available);
    EXPECT_EQ(s.missing, "Table IV models hardware paging only (not shadow paging)");
  }
  EXPECT_NEAR(m.measured_overhead, 0.06, kTol);  // still reported

  RunStats silent = vmm_direct();
  silent.total.walk_requests = 0;
  EXPECT_EQ(predict(silent, baseline()).missing, "the run counted no walker requests");
}

}  // namespace
}  // namespace mmuvp::tb::eval
