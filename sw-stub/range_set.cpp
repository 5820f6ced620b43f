#include "sw-stub/range_set.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace mmuvp::stub {

std::string format_bytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  unsigned u = 0;
  std::uint64_t whole = bytes;
  while (whole >= 1024 && u + 1 < std::size(kUnits)) {
    whole >>= 10;
    ++u;
  }
  if (u == 0) return fmt::format("{} B", bytes);
  const std::uint64_t unit = 1ull << (10 * u);
  if (bytes % unit == 0) return fmt::format("{} {}", bytes / unit, kUnits[u]);
  // Two decimals, truncated: 6 MiB - 4 KiB reads "5.99 MiB", never "6.00 MiB".
  const auto hundredths = static_cast<unsigned>(static_cast<long double>(bytes % unit) * 100 /
                                                static_cast<long double>(unit));
  return fmt::format("{}.{:02} {}", bytes / unit, hundredths, kUnits[u]);
}

std::string format_range(const Range& r) { return fmt::format("[{:#x}, {:#x})", r.lo, r.hi); }

void RangeSet::add(Range r) {
  if (r.empty()) return;
  // Absorb every range that overlaps or touches r.
  auto it = map_.upper_bound(r.lo);
  if (it != map_.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= r.lo) it = prev;
  }
  while (it != map_.end() && it->first <= r.hi) {
    r.lo = std::min(r.lo, it->first);
    r.hi = std::max(r.hi, it->second);
    it = map_.erase(it);
  }
  map_.emplace(r.lo, r.hi);
}

void RangeSet::remove(Range r) {
  if (r.empty()) return;
  auto it = map_.upper_bound(r.lo);
  if (it != map_.begin()) {
    auto prev = std::prev(it);
    if (prev->second > r.lo) it = prev;
  }
  while (it != map_.end() && it->first < r.hi) {
    const Range cur{it->first, it->second};
    it = map_.erase(it);
    if (cur.lo < r.lo) map_.emplace(cur.lo, r.lo);
    if (cur.hi > r.hi) {
      map_.emplace(r.hi, cur.hi);
      break;
    }
  }
}

bool RangeSet::contains(std::uint64_t a) const {
  auto it = map_.upper_bound(a);
  if (it == map_.begin()) return false;
  --it;
  return a < it->second;
}

bool RangeSet::covers(Range r) const {
  if (r.empty()) return true;
  auto it = map_.upper_bound(r.lo);
  if (it == map_.begin()) return false;
  --it;
  return it->first <= r.lo && r.hi <= it->second;  // coalesced: one range must hold all of r
}

bool RangeSet::intersects(Range r) const {
  if (r.empty()) return false;
  auto it = map_.lower_bound(r.hi);  // first range starting at or after r.hi
  if (it == map_.begin()) return false;
  --it;
  return it->second > r.lo;
}

std::vector<Range> RangeSet::intersection(Range r) const {
  std::vector<Range> out;
  if (r.empty()) return out;
  auto it = map_.upper_bound(r.lo);
  if (it != map_.begin()) {
    auto prev = std::prev(it);
    if (prev->second > r.lo) it = prev;
  }
  for (; it != map_.end() && it->first < r.hi; ++it)
    out.push_back({std::max(r.lo, it->first), std::min(r.hi, it->second)});
  return out;
}

std::uint64_t RangeSet::bytes() const {
  std::uint64_t n = 0;
  for (const auto& [lo, hi] : map_) n += hi - lo;
  return n;
}

std::uint64_t RangeSet::largest() const {
  std::uint64_t n = 0;
  for (const auto& [lo, hi] : map_) n = std::max(n, hi - lo);
  return n;
}

std::vector<Range> RangeSet::ranges() const {
  std::vector<Range> out;
  out.reserve(map_.size());
  for (const auto& [lo, hi] : map_) out.push_back({lo, hi});
  return out;
}

}  // namespace mmuvp::stub
