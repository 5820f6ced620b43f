// gups: HPCC RandomAccess address stream.
#include "workloads/gups.h"

#include <fmt/format.h>

#include <stdexcept>

namespace mmuvp::workloads {

std::uint64_t hpcc_starts(std::uint64_t n) {
  // ran_n = x^n mod P(x). Square-and-multiply over GF(2)[x]/P: squaring a polynomial spreads its
  // coefficient j to x^(2j), so a table of x^(2j) mod P for j < 64 squares in 64 xors.
  std::array<std::uint64_t, 64> x_pow_2j{};
  std::uint64_t t = 1;
  for (unsigned j = 0; j < 64; ++j) {
    x_pow_2j[j] = t;
    t = hpcc_step(hpcc_step(t));
  }
  if (n == 0) return 1;
  int top = 63;
  while (((n >> top) & 1) == 0) --top;
  std::uint64_t ran = 1;
  for (int i = top; i >= 0; --i) {
    std::uint64_t sq = 0;
    for (unsigned j = 0; j < 64; ++j) {
      if ((ran >> j) & 1) sq ^= x_pow_2j[j];
    }
    ran = sq;
    if ((n >> i) & 1) ran = hpcc_step(ran);
  }
  return ran;
}

GupsWorkload::GupsWorkload(const WorkloadConfig& cfg)
    : BatchedWorkload(cfg.accesses), cfg_(cfg), layout_(cfg.heap_base, cfg.private_in_heap) {
  validate(cfg);
  if (cfg.threads > kHpccStreams) {
    throw std::invalid_argument(
        fmt::format("gups: {} threads exceed the {} HPCC streams", cfg.threads, kHpccStreams));
  }
  constexpr std::uint64_t kWord = 8;
  if (cfg.footprint < 2 * kHpccStreams * kWord) {
    throw std::invalid_argument(fmt::format("gups: footprint {} too small (needs >= {})",
                                            format_bytes(cfg.footprint),
                                            format_bytes(2 * kHpccStreams * kWord)));
  }
  unsigned log_words = 0;
  while ((2ull << log_words) * kWord <= cfg.footprint) ++log_words;
  words_ = 1ull << log_words;
  mask_ = words_ - 1;
  table_ = layout_.add_heap("gups.table", words_ * kWord);
  const arch::gva_t stack_top = layout_.add_stacks(cfg.threads, cfg.thread);
  ran_ = stack_top - kLineBytes - kHpccStreams * kWord;  // u64 ran[128] in the kernel's frame
  for (unsigned j = cfg.thread; j < kHpccStreams; j += cfg.threads) stream_ids_[nstreams_++] = j;
  restart();
}

std::uint64_t GupsWorkload::stream_start(unsigned j) const {
  return updates() * cfg_.seed + updates() / kHpccStreams * j;
}

void GupsWorkload::restart() {
  for (unsigned k = 0; k < nstreams_; ++k)
    ran_state_[k] = hpcc_starts(stream_start(stream_ids_[k]));
  cursor_ = 0;
  init_done_ = 0;
}

std::size_t GupsWorkload::step(MemAccess* out) {
  using arch::AccessType;
  constexpr std::uint64_t kWord = 8;
  if (init_done_ < nstreams_) {  // ran[j] = HPCC_starts((NUPDATE / 128) * j)
    const unsigned j = stream_ids_[init_done_++];
    emit(out, ran_ + kWord * j, kWord, AccessType::kWrite, kInsnsPerInit);
    return 1;
  }
  const unsigned j = stream_ids_[cursor_];
  std::uint64_t& ran = ran_state_[cursor_];
  cursor_ = cursor_ + 1 == nstreams_ ? 0 : cursor_ + 1;
  ran = hpcc_step(ran);
  const arch::gva_t slot = ran_ + kWord * j;
  const arch::gva_t word = table_ + kWord * (ran & mask_);
  MemAccess* p = emit(out, slot, kWord, AccessType::kRead, kInsnsPerUpdate);
  p = emit(p, slot, kWord, AccessType::kWrite);
  p = emit(p, word, kWord, AccessType::kRead);
  p = emit(p, word, kWord, AccessType::kWrite);
  return 4;
}

std::string GupsWorkload::describe() const {
  return fmt::format("gups: table 2^{} words ({}), {} of {} HPCC streams (thread {}/{})",
                     __builtin_ctzll(words_), format_bytes(words_ * 8), nstreams_, kHpccStreams,
                     cfg_.thread, cfg_.threads);
}

}  // namespace mmuvp::workloads
