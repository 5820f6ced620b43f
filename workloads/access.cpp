// Region helpers shared by the platform, the stub and the tests.
#include "workloads/access.h"

#include <algorithm>

namespace mmuvp::workloads {

std::optional<Span> primary_span(const std::vector<Region>& regions) {
  std::optional<Span> span;
  for (const Region& r : regions) {
    if (!r.primary) continue;
    if (!span) {
      span = Span{r.va, r.end()};
    } else {
      span->base = std::min(span->base, r.va);
      span->limit = std::max(span->limit, r.end());
    }
  }
  return span;
}

const Region* find_region(const std::vector<Region>& regions, arch::gva_t va, std::uint64_t size) {
  // First region whose end lies above va; it is the only candidate in a sorted disjoint list.
  auto it = std::upper_bound(regions.begin(), regions.end(), va,
                             [](arch::gva_t a, const Region& r) { return a < r.end(); });
  if (it == regions.end() || !it->contains(va, size)) return nullptr;
  return &*it;
}

std::uint64_t total_bytes(const std::vector<Region>& regions) {
  std::uint64_t sum = 0;
  for (const Region& r : regions) sum += r.bytes;
  return sum;
}

}  // namespace mmuvp::workloads
