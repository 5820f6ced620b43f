// The paper's Table IV linear model on measured counts (see linear_model.h for every definition).
#include "tb/eval/linear_model.h"

#include <fmt/format.h>

#include <algorithm>

namespace mmuvp::tb::eval {
namespace {

using arch::Mode;

std::optional<double> per_walk(const RunStats* run) {
  if (run == nullptr || run->total.walks == 0) return std::nullopt;
  return static_cast<double>(run->total.walk_cycles) / static_cast<double>(run->total.walks);
}

double ratio(std::uint64_t num, std::uint64_t den) {
  return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
}

double ratio(double num, std::uint64_t den) {
  return den == 0 ? 0.0 : num / static_cast<double>(den);
}

// The configurations Table IV models: 4K guest pages and, when virtualized, 4K host pages.
bool modelled(const RunConfig& c) {
  return c.guest_pages == stub::PagePolicy::k4K &&
         (!arch::is_virtualized(c.mode) || c.host_pages == arch::PageSize::k4K);
}

}  // namespace

ModelBaseline make_baseline(const RunStats* native_4k, const RunStats* nested_4k,
                            const RunStats* vmm_direct, const RunStats* guest_direct) {
  ModelBaseline b;
  b.c_n = per_walk(native_4k);
  if (native_4k != nullptr) b.m_n = static_cast<double>(native_4k->total.l2_tlb_misses);
  b.c_v = per_walk(nested_4k);
  if (b.c_n) {
    if (const auto c_vd = per_walk(vmm_direct)) b.d_vd = *c_vd - *b.c_n;
    if (const auto c_gd = per_walk(guest_direct)) b.d_gd = *c_gd - *b.c_n;
  }
  return b;
}

SegmentFractions segment_fractions(const RunStats& run, double native_misses) {
  const CoreStats& t = run.total;
  const double r = static_cast<double>(t.walk_requests);
  const double s = static_cast<double>(t.segment_translations);
  const double g = static_cast<double>(t.guest_segment_hits);
  const double v = static_cast<double>(t.vmm_segment_hits);
  const double m = native_misses > 0 ? native_misses : r;
  // A count of misses as a fraction of M_n; the complement of the walked misses for the path
  // that needs no walk.
  const auto of_m = [m](double count) { return m <= 0 ? 0.0 : std::clamp(count / m, 0.0, 1.0); };
  const auto unwalked = [m](double walked) {
    return m <= 0 ? 0.0 : std::clamp(1.0 - walked / m, 0.0, 1.0);
  };
  SegmentFractions f;
  switch (run.config.mode) {
    case Mode::kNativeDs:
      f.ds = unwalked(r - s);
      break;
    case Mode::kVmmDirect:
      f.vd = of_m(v);
      break;
    case Mode::kGuestDirect:
      f.gd = of_m(g);
      break;
    case Mode::kDualDirect:
      f.dd = unwalked(r - s);
      f.vd = of_m(v - s);
      f.gd = of_m(g - s);
      break;
    case Mode::kNative:
    case Mode::kNested:
    case Mode::kFlatNested:
      break;
  }
  return f;
}

ModelResult predict(const RunStats& run, const ModelBaseline& b) {
  ModelResult m;
  const RunConfig& c = run.config;
  m.f = segment_fractions(run, b.m_n.value_or(0.0));
  m.measured_overhead = ratio(run.total.walk_cycles, run.total.total_cycles);
  if (c.mode == Mode::kFlatNested) {
    m.missing = "Table IV models the 4-level EPT only (not the flat EPT)";
    return m;
  }
  if (c.shadow_paging || c.dynamic_paging) {
    m.missing = "Table IV models hardware paging only (not shadow paging)";
    return m;
  }
  if (!modelled(c)) {
    m.missing = "Table IV models 4K pages only";
    return m;
  }
  const bool virt = arch::is_virtualized(c.mode);
  const bool needs_d_vd = c.mode == Mode::kVmmDirect || c.mode == Mode::kDualDirect;
  const bool needs_d_gd = c.mode == Mode::kGuestDirect || c.mode == Mode::kDualDirect;
  if (!b.c_n || !b.m_n) {
    m.missing = "needs the native-4k run";
  } else if (virt && !b.c_v) {
    m.missing = "needs the nested-4k run";
  } else if (needs_d_vd && !b.d_vd) {
    m.missing = "needs the vmm-direct run";
  } else if (needs_d_gd && !b.d_gd) {
    m.missing = "needs the guest-direct run";
  } else if (c.mode != Mode::kNative && c.mode != Mode::kNested && run.total.walk_requests == 0) {
    m.missing = "the run counted no walker requests";
  }
  if (!m.missing.empty()) return m;

  const double cn = *b.c_n, mn = *b.m_n;
  const SegmentFractions& f = m.f;
  double per_miss = 0;
  switch (c.mode) {
    case Mode::kNative:
      per_miss = cn;
      break;
    case Mode::kNested:
      per_miss = *b.c_v;
      break;
    case Mode::kFlatNested:  // declined above
      return m;
    case Mode::kNativeDs:
      per_miss = cn * (1 - f.ds);
      break;
    case Mode::kVmmDirect:
      per_miss = (cn + *b.d_vd) * f.vd + *b.c_v * (1 - f.vd);
      break;
    case Mode::kGuestDirect:
      per_miss = (cn + *b.d_gd) * f.gd + *b.c_v * (1 - f.gd);
      break;
    case Mode::kDualDirect:
      per_miss = (cn + *b.d_vd) * f.vd + (cn + *b.d_gd) * f.gd +
                 *b.c_v * std::max(0.0, 1 - f.gd - f.vd - f.dd);
      break;
  }
  m.available = true;
  m.walk_cycles = per_miss * mn;
  m.overhead = ratio(m.walk_cycles, run.total.total_cycles);
  m.error = m.overhead - m.measured_overhead;
  return m;
}

}  // namespace mmuvp::tb::eval
