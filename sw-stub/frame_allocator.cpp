#include "sw-stub/frame_allocator.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "sw-stub/stub_error.h"

namespace mmuvp::stub {

namespace {

constexpr std::uint64_t kNone = std::numeric_limits<std::uint64_t>::max();

bool page_aligned(std::uint64_t a) { return (a & (arch::kPage4K - 1)) == 0; }

void check_range(const Range& r, const char* what, const std::string& name) {
  if (!page_aligned(r.lo) || !page_aligned(r.hi) || r.hi < r.lo)
    throw StubError(
        fmt::format("{} {}: range {} is not a 4 KiB aligned range", name, what, format_range(r)));
}

std::uint64_t align_up(std::uint64_t a, std::uint64_t align) {
  return (a + align - 1) & ~(align - 1);
}

}  // namespace

std::uint64_t block_alignment(std::uint64_t addr, std::uint64_t bytes) {
  for (std::uint64_t s : {arch::kPage1G, arch::kPage2M})
    if ((addr & (s - 1)) == 0 && bytes >= s) return s;
  return arch::kPage4K;
}

FrameAllocator::FrameAllocator(std::uint64_t lo, std::uint64_t hi, std::string name)
    : name_(std::move(name)) {
  add_memory({lo, hi});
}

[[noreturn]] void FrameAllocator::fail(const std::string& request) const {
  throw OutOfMemory(fmt::format("{}: out of memory: {} (free {} in {} runs, largest {})", name_,
                                request, format_bytes(free_.bytes()), free_.count(),
                                format_bytes(free_.largest())));
}

std::uint64_t FrameAllocator::find_fit(std::uint64_t bytes, std::uint64_t align,
                                       const RangeSet& space) const {
  std::uint64_t best = kNone, best_len = kNone;
  for (const auto& [lo, hi] : space.map()) {
    const std::uint64_t len = hi - lo;
    if (len < bytes || len >= best_len) continue;
    const std::uint64_t a = align_up(lo, align);
    if (a < lo || a > hi || hi - a < bytes) continue;
    best = a;
    best_len = len;
  }
  return best;
}

std::uint64_t FrameAllocator::alloc(arch::PageSize size) {
  const std::uint64_t bytes = arch::page_bytes(size);
  const std::uint64_t a = find_fit(bytes, bytes, free_);
  if (a == kNone)
    fail(fmt::format("no free {}-aligned {} block", arch::to_string(size), format_bytes(bytes)));
  free_.remove({a, a + bytes});
  return a;
}

std::uint64_t FrameAllocator::alloc_contiguous(std::uint64_t bytes, std::uint64_t align) {
  if (bytes == 0 || !page_aligned(bytes))
    throw StubError(
        fmt::format("{}: contiguous request of {} bytes is not a positive multiple of "
                    "4 KiB",
                    name_, bytes));
  if (align < arch::kPage4K || (align & (align - 1)) != 0)
    throw StubError(
        fmt::format("{}: alignment {:#x} is not a power of two >= 4 KiB", name_, align));
  const std::uint64_t a = find_fit(bytes, align, free_);
  if (a == kNone)
    fail(fmt::format("no contiguous run of {} aligned to {}", format_bytes(bytes),
                     format_bytes(align)));
  free_.remove({a, a + bytes});
  return a;
}

FrameAllocator::SpanningRun FrameAllocator::alloc_spanning(std::uint64_t bytes,
                                                           std::uint64_t align) {
  if (bytes == 0 || !page_aligned(bytes))
    throw StubError(
        fmt::format("{}: contiguous request of {} bytes is not a positive multiple of "
                    "4 KiB",
                    name_, bytes));
  if (align < arch::kPage4K || (align & (align - 1)) != 0)
    throw StubError(
        fmt::format("{}: alignment {:#x} is not a power of two >= 4 KiB", name_, align));
  // Usable space: free frames plus idle excluded frames (managed, held by no one).
  RangeSet space = free_;
  for (const Range& r : idle_excluded_.ranges()) space.add(r);
  const std::uint64_t a = find_fit(bytes, align, space);
  if (a == kNone)
    fail(fmt::format("no contiguous run of {} aligned to {} (bad frames allowed)",
                     format_bytes(bytes), format_bytes(align)));
  SpanningRun run;
  run.addr = a;
  for (const Range& bad : idle_excluded_.intersection({a, a + bytes}))
    for (std::uint64_t f = bad.lo; f < bad.hi; f += arch::kPage4K) run.bad_frames.push_back(f);
  free_.remove({a, a + bytes});
  idle_excluded_.remove({a, a + bytes});
  return run;
}

void FrameAllocator::reserve(Range r) {
  check_range(r, "reserve", name_);
  if (!free_.covers(r)) fail(fmt::format("range {} is not entirely free", format_range(r)));
  free_.remove(r);
}

std::vector<Range> FrameAllocator::take_fragments(std::uint64_t bytes) {
  if (!page_aligned(bytes))
    throw StubError(
        fmt::format("{}: request of {} bytes is not a multiple of 4 KiB", name_, bytes));
  if (bytes > free_.bytes()) fail(fmt::format("{} of free frames requested", format_bytes(bytes)));
  std::vector<Range> runs = free_.ranges();
  std::stable_sort(runs.begin(), runs.end(),
                   [](const Range& a, const Range& b) { return a.bytes() < b.bytes(); });
  std::vector<Range> taken;
  for (const Range& run : runs) {
    if (bytes == 0) break;
    const std::uint64_t n = std::min(bytes, run.bytes());
    taken.push_back({run.lo, run.lo + n});
    bytes -= n;
  }
  for (const Range& t : taken) free_.remove(t);
  std::sort(taken.begin(), taken.end(), [](const Range& a, const Range& b) { return a.lo < b.lo; });
  return taken;
}

bool FrameAllocator::in_use(Range r) const {
  return managed_.covers(r) && !free_.intersects(r) && !idle_excluded_.intersects(r);
}

void FrameAllocator::free(Range r) {
  check_range(r, "free", name_);
  if (!in_use(r))
    throw StubError(
        fmt::format("{}: free of {} which is not entirely allocated memory "
                    "(double free or foreign range)",
                    name_, format_range(r)));
  std::vector<Range> bad = excluded_.intersection(r);
  RangeSet back;
  back.add(r);
  for (const Range& b : bad) {
    back.remove(b);
    idle_excluded_.add(b);
  }
  for (const Range& b : back.ranges()) free_.add(b);
}

void FrameAllocator::add_memory(Range r) {
  check_range(r, "add memory", name_);
  if (r.empty()) return;
  if (managed_.intersects(r))
    throw StubError(
        fmt::format("{}: hot-add of {} overlaps memory already present", name_, format_range(r)));
  managed_.add(r);
  RangeSet fresh;
  fresh.add(r);
  for (const Range& b : excluded_.intersection(r)) {
    fresh.remove(b);
    idle_excluded_.add(b);
  }
  for (const Range& f : fresh.ranges()) free_.add(f);
}

void FrameAllocator::remove_memory(Range r) {
  check_range(r, "remove memory", name_);
  if (!managed_.covers(r))
    throw StubError(
        fmt::format("{}: hot-unplug of {} which is not present memory", name_, format_range(r)));
  for (const Range& part : managed_.intersection(r)) {
    RangeSet unused = free_;
    for (const Range& b : idle_excluded_.ranges()) unused.add(b);
    if (!unused.covers(part))
      throw StubError(
          fmt::format("{}: hot-unplug of {} which holds frames in use", name_, format_range(r)));
  }
  managed_.remove(r);
  free_.remove(r);
  idle_excluded_.remove(r);
}

void FrameAllocator::exclude(Range r) {
  check_range(r, "exclude", name_);
  excluded_.add(r);
  for (const Range& f : free_.intersection(r)) {
    free_.remove(f);
    idle_excluded_.add(f);
  }
}

}  // namespace mmuvp::stub
