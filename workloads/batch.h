// The batching engine every generator derives from (CRTP, so the per-step call inlines).
//
// A generator implements `std::size_t step(MemAccess* out)`: advance its model by one small unit
// of work (one update, one neighbour, one request...) and write that unit's accesses, at most
// kMaxStep, returning how many (0 is allowed: a step that only moves internal state). next() runs
// steps straight into the caller's buffer while at least kMaxStep slots remain, and spills a
// step's tail into a small pending buffer otherwise, so any `max` >= 1 works and a stream is the
// same whatever batch sizes the caller uses. The stream stops after exactly `accesses` accesses.
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "workloads/access.h"

namespace mmuvp::workloads {

template <typename Derived, std::size_t kMaxStep>
class BatchedWorkload : public Workload {
 public:
  explicit BatchedWorkload(std::uint64_t accesses) : accesses_(accesses), left_(accesses) {}

  std::size_t next(MemAccess* out, std::size_t max) final {
    std::size_t n = 0;
    while (n < max && left_ > 0) {
      if (pending_pos_ < pending_n_) {
        const std::size_t take =
            std::min<std::size_t>({pending_n_ - pending_pos_, max - n, remaining()});
        std::copy_n(pending_.data() + pending_pos_, take, out + n);
        pending_pos_ += take;
        n += take;
        left_ -= take;
        continue;
      }
      const std::size_t room = std::min<std::uint64_t>(max - n, left_);
      if (room >= kMaxStep) {
        // Fast path: whole steps straight into `out`.
        MemAccess* p = out + n;
        MemAccess* const last = out + n + (room - kMaxStep);
        while (p <= last) p += self().step(p);
        const std::size_t made = static_cast<std::size_t>(p - (out + n));
        n += made;
        left_ -= made;
      } else {
        pending_n_ = self().step(pending_.data());
        pending_pos_ = 0;
      }
    }
    return n;
  }

  void reset() final {
    left_ = accesses_;
    pending_n_ = pending_pos_ = 0;
    self().restart();
  }

  std::optional<std::uint64_t> length() const final { return accesses_; }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
  std::size_t remaining() const {
    return static_cast<std::size_t>(std::min<std::uint64_t>(left_, SIZE_MAX));
  }

  std::uint64_t accesses_;
  std::uint64_t left_;
  std::array<MemAccess, kMaxStep> pending_{};
  std::size_t pending_n_ = 0;
  std::size_t pending_pos_ = 0;
};

// Helpers for steps: one access, and a byte span split at 64-byte cache-line boundaries (so a
// generator never emits an access that straddles a line; a trace may).
constexpr std::uint64_t kLineBytes = 64;

inline MemAccess* emit(MemAccess* p, arch::gva_t va, std::uint32_t size, arch::AccessType type,
                       std::uint16_t insns = 0) {
  *p = MemAccess{va, size, type, 0, insns};
  return p + 1;
}

inline MemAccess* emit_span(MemAccess* p, arch::gva_t va, std::uint64_t bytes,
                            arch::AccessType type, std::uint16_t insns = 0) {
  while (bytes > 0) {
    const std::uint64_t in_line = kLineBytes - (va & (kLineBytes - 1));
    const std::uint64_t n = std::min(in_line, bytes);
    p = emit(p, va, static_cast<std::uint32_t>(n), type, insns);
    insns = 0;
    va += n;
    bytes -= n;
  }
  return p;
}

// Accesses emit_span makes for `bytes` at `va` (for kMaxStep bounds).
constexpr std::size_t span_accesses_max(std::uint64_t bytes) {
  return static_cast<std::size_t>((bytes + kLineBytes - 2) / kLineBytes + 1);
}

}  // namespace mmuvp::workloads
