// stream: STREAM triad address stream.
#include "workloads/stream.h"

#include <fmt/format.h>

#include <stdexcept>

namespace mmuvp::workloads {

StreamWorkload::StreamWorkload(const WorkloadConfig& cfg)
    : BatchedWorkload(cfg.accesses), cfg_(cfg), layout_(cfg.heap_base, cfg.private_in_heap) {
  validate(cfg);
  n_ = cfg.footprint / (3 * kElementBytes);
  if (n_ < cfg.threads) {
    throw std::invalid_argument(
        fmt::format("stream: footprint {} gives fewer elements than {} "
                    "threads",
                    format_bytes(cfg.footprint), cfg.threads));
  }
  a_ = layout_.add_heap("stream.a", n_ * kElementBytes);
  b_ = layout_.add_heap("stream.b", n_ * kElementBytes);
  c_ = layout_.add_heap("stream.c", n_ * kElementBytes);
  const auto share = [&](unsigned t) {
    return static_cast<std::uint64_t>(static_cast<unsigned __int128>(n_) * t / cfg.threads);
  };
  lo_ = share(cfg.thread);
  hi_ = share(cfg.thread + 1);
  restart();
}

std::size_t StreamWorkload::step(MemAccess* out) {
  using arch::AccessType;
  const std::uint64_t off = i_ * kElementBytes;
  emit(out, b_ + off, kElementBytes, AccessType::kRead, kInsnsPerElement);
  emit(out + 1, c_ + off, kElementBytes, AccessType::kRead);
  emit(out + 2, a_ + off, kElementBytes, AccessType::kWrite);
  if (++i_ == hi_) i_ = lo_;
  return 3;
}

std::string StreamWorkload::describe() const {
  return fmt::format("stream: triad over 3 x {} elements ({} each), slice [{}, {}) (thread {}/{})",
                     n_, format_bytes(n_ * kElementBytes), lo_, hi_, cfg_.thread, cfg_.threads);
}

}  // namespace mmuvp::workloads
