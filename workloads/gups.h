// gups: HPCC RandomAccess (the serial reference kernel).
//
// A table of 2^n 8-byte words (the largest power of two that fits the footprint). The kernel keeps
// 128 independent streams of the HPCC pseudo-random sequence, ran_{k+1} = (ran_k << 1) ^ (POLY if
// ran_k's top bit is set), POLY = 7, i.e. powers of x modulo x^64 + x^2 + x + 1 over GF(2).
// Stream j starts at element (NUPDATE/128) * j, NUPDATE = 4 * table words, and the loop is
//   for i: for j in 0..127: ran[j] = step(ran[j]); Table[ran[j] & (words - 1)] ^= ran[j];
// The accesses per update are exactly that loop's: read ran[j], write ran[j] (the array lives on
// the stack), read and write the table word. The 128 initial writes of ran[] come first. The
// table's initialisation (untimed in HPCC) is not modelled.
// Seed: the run continues the sequence `seed` times, i.e. stream j starts at element
// NUPDATE * seed + (NUPDATE/128) * j; seed 0 is HPCC's own run.
// Threads: thread t owns the streams j with j % threads == t (threads <= 128).
#pragma once
#include <array>
#include <cstdint>

#include "workloads/batch.h"
#include "workloads/config.h"
#include "workloads/layout.h"

namespace mmuvp::workloads {

constexpr std::uint64_t kHpccPoly = 0x7;
constexpr unsigned kHpccStreams = 128;

// One step of the HPCC sequence.
constexpr std::uint64_t hpcc_step(std::uint64_t ran) {
  return (ran << 1) ^ ((ran >> 63) != 0 ? kHpccPoly : 0);
}
// Element n of the sequence that starts at 1 (HPCC_starts), computed in O(64 log n).
std::uint64_t hpcc_starts(std::uint64_t n);

class GupsWorkload final : public BatchedWorkload<GupsWorkload, 4> {
 public:
  explicit GupsWorkload(const WorkloadConfig& cfg);

  std::string name() const override { return "gups"; }
  std::string describe() const override;
  std::vector<Region> regions() const override { return layout_.regions(); }

  arch::gva_t table_base() const { return table_; }
  std::uint64_t table_words() const { return words_; }
  arch::gva_t ran_base() const { return ran_; }         // &ran[0] on this thread's stack
  std::uint64_t updates() const { return 4 * words_; }  // NUPDATE
  // Sequence element stream j starts from.
  std::uint64_t stream_start(unsigned j) const;

  std::size_t step(MemAccess* out);
  void restart();

  // Modelled instructions of one update of the loop above (shift, sign test, xor, mask, address,
  // load, xor, store, loop control), charged to its first access.
  static constexpr std::uint16_t kInsnsPerUpdate = 10;
  static constexpr std::uint16_t kInsnsPerInit = 4;

 private:
  WorkloadConfig cfg_;
  Layout layout_;
  arch::gva_t table_ = 0;
  arch::gva_t ran_ = 0;
  std::uint64_t words_ = 0;
  std::uint64_t mask_ = 0;
  unsigned nstreams_ = 0;  // streams this thread owns
  std::array<std::uint64_t, kHpccStreams> ran_state_{};
  std::array<unsigned, kHpccStreams> stream_ids_{};
  unsigned cursor_ = 0;     // next stream (index into stream_ids_)
  unsigned init_done_ = 0;  // initial ran[] writes emitted
};

}  // namespace mmuvp::workloads
