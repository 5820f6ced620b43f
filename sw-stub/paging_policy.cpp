#include "sw-stub/paging_policy.h"

#include <fmt/format.h>

#include <algorithm>

#include "sw-stub/stub_error.h"

namespace mmuvp::stub {

namespace {
const char* name(bool shadow) { return shadow ? "shadow" : "nested"; }
}  // namespace

PagingPolicy::PagingPolicy(const PagingPolicyConfig& config) : config_(config) {
  if (config.interval == 0) throw StubError("paging policy: the interval must be positive");
  if (config.ref_cycles < 0 || config.exit_cycles < 0 || config.hysteresis < 0 ||
      config.explore_above < 0)
    throw StubError("paging policy: costs, hysteresis and threshold must not be negative");
}

std::optional<PagingDecision> PagingPolicy::observe(std::uint16_t pcid, bool shadow,
                                                    const PagingSample& s) {
  if (s.accesses == 0) return std::nullopt;
  Process& p = processes_[pcid];
  const int now = shadow ? 1 : 0;
  const int other = 1 - now;
  const double cost = (static_cast<double>(s.walk_refs) * config_.ref_cycles +
                       static_cast<double>(s.exits) * config_.exit_cycles) /
                      static_cast<double>(s.accesses);
  p.cost[now] = cost;
  p.age[now] = 0;
  ++p.age[other];
  ++p.dwell;
  if (p.dwell < config_.min_dwell) return std::nullopt;

  const std::string measured =
      fmt::format("{} costs {:.2f} cycles/access ({} walk refs, {} exits in {} accesses)",
                  name(shadow), cost, s.walk_refs, s.exits, s.accesses);
  PagingDecision d;
  d.to_shadow = !shadow;
  d.cost = cost;
  if (p.try_after == 0) p.try_after = config_.stale_after;
  const bool fresh = p.cost[other].has_value() && p.age[other] <= p.try_after;
  if (fresh) {
    if (*p.cost[other] * (1 + config_.hysteresis) >= cost) {
      if (p.trying) p.try_after = config_.stale_after;  // the trial succeeded
      p.trying = false;
      return std::nullopt;
    }
    d.other_cost = p.cost[other];
    d.reason = fmt::format("{}; {} cost {:.2f} when measured {} intervals ago, cheaper by more "
                           "than {:.0f}%",
                           measured, name(!shadow), *p.cost[other], p.age[other],
                           config_.hysteresis * 100);
    if (p.trying) p.try_after = std::min(2 * p.try_after, 64 * config_.stale_after);  // failed
    p.trying = false;
  } else {
    if (cost <= config_.explore_above) return std::nullopt;
    d.reason = fmt::format("{} > {:.2f}; {} {}: trying it", measured, config_.explore_above,
                           name(!shadow),
                           p.cost[other] ? fmt::format("last measured {} intervals ago",
                                                       p.age[other])
                                         : std::string("never measured"));
    p.trying = true;
  }
  p.dwell = 0;
  return d;
}

}  // namespace mmuvp::stub
