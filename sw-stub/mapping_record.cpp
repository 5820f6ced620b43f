#include "sw-stub/mapping_record.h"

#include <fmt/format.h>

#include <iterator>

#include "sw-stub/stub_error.h"

namespace mmuvp::stub {

namespace {

bool joins(const MappingRun& a, const MappingRun& b) {  // b continues a
  return a.size == b.size && a.flags == b.flags && a.in + a.bytes == b.in &&
         a.out + a.bytes == b.out;
}

}  // namespace

void MappingRecord::add(const Leaf& leaf) {
  const std::uint64_t bytes = leaf.bytes();
  if ((leaf.in & (bytes - 1)) != 0 || (leaf.out & (bytes - 1)) != 0)
    throw StubError(fmt::format("leaf {:#x} -> {:#x} is not aligned to its size {}", leaf.in,
                                leaf.out, arch::to_string(leaf.size)));
  if (overlaps({leaf.in, leaf.in + bytes}))
    throw StubError(fmt::format("leaf at {:#x} ({}) overlaps an existing mapping", leaf.in,
                                arch::to_string(leaf.size)));
  MappingRun run{leaf.in, leaf.out, bytes, leaf.size, leaf.flags};
  auto next = runs_.lower_bound(leaf.in);
  if (next != runs_.begin()) {
    auto prev = std::prev(next);
    if (joins(prev->second, run)) {
      run.in = prev->second.in;
      run.out = prev->second.out;
      run.bytes += prev->second.bytes;
      runs_.erase(prev);
    }
  }
  if (next != runs_.end() && joins(run, next->second)) {
    run.bytes += next->second.bytes;
    runs_.erase(next);
  }
  runs_.emplace(run.in, run);
}

void MappingRecord::remove(Range r) {
  if (r.empty()) return;
  auto it = runs_.upper_bound(r.lo);
  if (it != runs_.begin()) {
    auto prev = std::prev(it);
    if (prev->second.in + prev->second.bytes > r.lo) it = prev;
  }
  // Check first so that a refused removal changes nothing.
  for (auto c = it; c != runs_.end() && c->first < r.hi; ++c) {
    const MappingRun& run = c->second;
    const std::uint64_t mask = arch::page_bytes(run.size) - 1;
    if ((r.lo > run.in && (r.lo & mask) != 0) || (r.hi < run.in + run.bytes && (r.hi & mask) != 0))
      throw StubError(fmt::format("removing {} would cut a {} leaf", format_range(r),
                                  arch::to_string(run.size)));
  }
  while (it != runs_.end() && it->first < r.hi) {
    const MappingRun run = it->second;
    it = runs_.erase(it);
    if (run.in < r.lo) {
      MappingRun head = run;
      head.bytes = r.lo - run.in;
      runs_.emplace(head.in, head);
    }
    if (run.in + run.bytes > r.hi) {
      MappingRun tail = run;
      tail.in = r.hi;
      tail.out = run.out + (r.hi - run.in);
      tail.bytes = run.in + run.bytes - r.hi;
      runs_.emplace(tail.in, tail);
      break;
    }
  }
}

std::optional<Leaf> MappingRecord::find(std::uint64_t in) const {
  auto it = runs_.upper_bound(in);
  if (it == runs_.begin()) return std::nullopt;
  --it;
  const MappingRun& run = it->second;
  if (in >= run.in + run.bytes) return std::nullopt;
  const std::uint64_t mask = arch::page_bytes(run.size) - 1;
  const std::uint64_t base = in & ~mask;
  return Leaf{base, run.out + (base - run.in), run.size, run.flags};
}

std::optional<Leaf> MappingRecord::find_from(std::uint64_t in) const {
  if (auto l = find(in)) return l;
  auto it = runs_.upper_bound(in);
  if (it == runs_.end()) return std::nullopt;
  const MappingRun& run = it->second;
  return Leaf{run.in, run.out, run.size, run.flags};
}

std::optional<Leaf> MappingRecord::find_output(std::uint64_t out) const {
  for (const auto& [in, run] : runs_) {
    if (out < run.out || out >= run.out + run.bytes) continue;
    const std::uint64_t mask = arch::page_bytes(run.size) - 1;
    const std::uint64_t off = (out - run.out) & ~mask;
    return Leaf{run.in + off, run.out + off, run.size, run.flags};
  }
  return std::nullopt;
}

bool MappingRecord::overlaps(Range r) const {
  if (r.empty()) return false;
  auto it = runs_.lower_bound(r.hi);
  if (it == runs_.begin()) return false;
  --it;
  return it->second.in + it->second.bytes > r.lo;
}

std::vector<Leaf> MappingRecord::leaves_in(Range r) const {
  std::vector<Leaf> out;
  if (r.empty()) return out;
  auto it = runs_.upper_bound(r.lo);
  if (it != runs_.begin()) {
    auto prev = std::prev(it);
    if (prev->second.in + prev->second.bytes > r.lo) it = prev;
  }
  for (; it != runs_.end() && it->first < r.hi; ++it) {
    const MappingRun& run = it->second;
    const std::uint64_t step = arch::page_bytes(run.size);
    std::uint64_t a = run.in;
    if (r.lo > a) a += (r.lo - a) & ~(step - 1);
    for (; a < run.in + run.bytes && a < r.hi; a += step)
      out.push_back(Leaf{a, run.out + (a - run.in), run.size, run.flags});
  }
  return out;
}

std::vector<Leaf> MappingRecord::leaves() const {
  std::vector<Leaf> out;
  for_each_leaf([&](const Leaf& l) { out.push_back(l); });
  return out;
}

std::uint64_t MappingRecord::leaf_count() const {
  std::uint64_t n = 0;
  for (const auto& [in, run] : runs_) n += run.leaves();
  return n;
}

std::uint64_t MappingRecord::bytes() const {
  std::uint64_t n = 0;
  for (const auto& [in, run] : runs_) n += run.bytes;
  return n;
}

}  // namespace mmuvp::stub
