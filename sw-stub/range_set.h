// Half-open address ranges [lo, hi) and a set of them kept disjoint and coalesced: the bookkeeping
// under the frame allocator, the guest's memory map and the VMM's backing records.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mmuvp::stub {

struct Range {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;  // exclusive

  constexpr std::uint64_t bytes() const { return hi - lo; }
  constexpr bool empty() const { return hi <= lo; }
  constexpr bool contains(std::uint64_t a) const { return lo <= a && a < hi; }
  constexpr bool contains(const Range& r) const { return lo <= r.lo && r.hi <= hi; }
  constexpr bool overlaps(const Range& r) const { return lo < r.hi && r.lo < hi; }
  constexpr bool operator==(const Range& r) const { return lo == r.lo && hi == r.hi; }
  constexpr bool operator!=(const Range& r) const { return !(*this == r); }
};

// "64 KiB", "1.5 GiB", "4096 B": for messages.
std::string format_bytes(std::uint64_t bytes);
// "[0x1000, 0x3000)"
std::string format_range(const Range& r);

class RangeSet {
 public:
  using Map = std::map<std::uint64_t, std::uint64_t>;  // lo -> hi, disjoint and non-adjacent

  void add(Range r);     // union
  void remove(Range r);  // difference
  void clear() { map_.clear(); }

  bool contains(std::uint64_t a) const;
  bool covers(Range r) const;      // every address of r is in the set
  bool intersects(Range r) const;  // some address of r is in the set
  std::vector<Range> intersection(Range r) const;

  std::uint64_t bytes() const;
  std::size_t count() const { return map_.size(); }
  bool empty() const { return map_.empty(); }
  std::uint64_t largest() const;  // bytes of the longest range
  std::vector<Range> ranges() const;
  const Map& map() const { return map_; }

 private:
  Map map_;
};

}  // namespace mmuvp::stub
