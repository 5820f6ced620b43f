// cg: NPB CG-like address stream.
#include "workloads/cg.h"

#include <fmt/format.h>

#include <stdexcept>

#include "workloads/random.h"

namespace mmuvp::workloads {
namespace {

constexpr std::uint64_t kIndexBytes = 4;   // colidx: int32 as in NPB
constexpr std::uint64_t kValueBytes = 8;   // val and vectors: double
constexpr std::uint64_t kOffsetBytes = 8;  // rowptr: int64 (nnz exceeds 2^31 at scale)
constexpr unsigned kVectors = 5;           // x z p q r

// floor(n * s / k) without overflow.
std::uint64_t stratum_start(std::uint64_t n, std::uint64_t s, std::uint64_t k) {
  return static_cast<std::uint64_t>(static_cast<unsigned __int128>(n) * s / k);
}

// The stratum holding column c: the s with start(s) <= c < start(s+1).
unsigned stratum_of(std::uint64_t n, std::uint64_t c, unsigned k) {
  std::uint64_t s = static_cast<std::uint64_t>(static_cast<unsigned __int128>(c) * k / n);
  while (s + 1 < k && stratum_start(n, s + 1, k) <= c) ++s;
  while (s > 0 && stratum_start(n, s, k) > c) --s;
  return static_cast<unsigned>(s);
}

}  // namespace

CgWorkload::CgWorkload(const WorkloadConfig& cfg)
    : BatchedWorkload(cfg.accesses), cfg_(cfg), layout_(cfg.heap_base, cfg.private_in_heap) {
  validate(cfg);
  k_ = cfg.cg_nnz_per_row;
  if (k_ == 0) throw std::invalid_argument("cg: cg_nnz_per_row must be >= 1");
  const std::uint64_t per_row =
      kOffsetBytes + k_ * (kIndexBytes + kValueBytes) + kVectors * kValueBytes;
  n_ = cfg.footprint / per_row;
  if (n_ < k_ || n_ < cfg.threads) {
    throw std::invalid_argument(fmt::format(
        "cg: footprint {} gives {} rows, fewer than the {} nonzeros per row or {} threads",
        format_bytes(cfg.footprint), n_, k_, cfg.threads));
  }
  stratum_q_ = n_ / k_;
  stratum_rem_ = n_ % k_;
  a_.rowptr = layout_.add_heap("cg.rowptr", (n_ + 1) * kOffsetBytes);
  a_.colidx = layout_.add_heap("cg.colidx", n_ * k_ * kIndexBytes);
  a_.val = layout_.add_heap("cg.val", n_ * k_ * kValueBytes);
  a_.x = layout_.add_heap("cg.x", n_ * kValueBytes);
  a_.z = layout_.add_heap("cg.z", n_ * kValueBytes);
  a_.p = layout_.add_heap("cg.p", n_ * kValueBytes);
  a_.q = layout_.add_heap("cg.q", n_ * kValueBytes);
  a_.r = layout_.add_heap("cg.r", n_ * kValueBytes);
  lo_ = stratum_start(n_, cfg.thread, cfg.threads);
  hi_ = stratum_start(n_, cfg.thread + 1, cfg.threads);
  restart();
}

std::uint64_t CgWorkload::column(std::uint64_t i, unsigned s) const {
  if (s == stratum_of(n_, i, k_)) return i;
  const std::uint64_t lo = stratum_start(n_, s, k_);
  const std::uint64_t width = stratum_start(n_, s + 1, k_) - lo;
  return lo + below(hash3(cfg_.seed, i, s), width);
}

void CgWorkload::restart() {
  phase_ = Phase::kSpmvP;
  inner_ = 0;
  row_ = lo_;
  begin_row();
}

void CgWorkload::begin_row() {
  s_ = 0;
  stratum_lo_ = 0;
  stratum_acc_ = 0;
  diag_stratum_ = stratum_of(n_, row_, k_);
}

void CgWorkload::next_phase() {
  switch (phase_) {
    case Phase::kInit:
      phase_ = Phase::kRho;
      break;
    case Phase::kRho:
      phase_ = Phase::kSpmvP;
      break;
    case Phase::kSpmvP:
      phase_ = Phase::kDotPQ;
      break;
    case Phase::kDotPQ:
      phase_ = Phase::kAxpy;
      break;
    case Phase::kAxpy:
      phase_ = Phase::kDotRR;
      break;
    case Phase::kDotRR:
      phase_ = Phase::kUpdateP;
      break;
    case Phase::kUpdateP:
      phase_ = ++inner_ < kInnerIterations ? Phase::kSpmvP : Phase::kSpmvZ;
      break;
    case Phase::kSpmvZ:
      phase_ = Phase::kResid;
      break;
    case Phase::kResid:
      phase_ = Phase::kNorms;
      break;
    case Phase::kNorms:
      phase_ = Phase::kScale;
      break;
    case Phase::kScale:
      phase_ = Phase::kInit;
      inner_ = 0;
      break;
  }
  row_ = lo_;
  begin_row();
}

std::size_t CgWorkload::step(MemAccess* out) {
  switch (phase_) {
    case Phase::kSpmvP:
      return spmv_step(out, a_.p, a_.q);
    case Phase::kSpmvZ:
      return spmv_step(out, a_.z, a_.r);
    default:
      return vector_step(out);
  }
}

// One nonzero of row_: the row's bounds read before the first, the result written after the last.
std::size_t CgWorkload::spmv_step(MemAccess* out, arch::gva_t vec_in, arch::gva_t vec_out) {
  using arch::AccessType;
  MemAccess* p = out;
  if (s_ == 0) {
    p = emit(p, a_.rowptr + (row_ + 1) * kOffsetBytes, kOffsetBytes, AccessType::kRead,
             kInsnsPerRow);
  }
  // Column of nonzero s_: the stratum [stratum_lo_, stratum_lo_ + width) advances incrementally
  // (floor(n s / k) by Bresenham), so no division per nonzero.
  std::uint64_t width = stratum_q_;
  stratum_acc_ += stratum_rem_;
  if (stratum_acc_ >= k_) {
    stratum_acc_ -= k_;
    ++width;
  }
  const std::uint64_t col =
      s_ == diag_stratum_ ? row_ : stratum_lo_ + below(hash3(cfg_.seed, row_, s_), width);
  const std::uint64_t nz = row_ * k_ + s_;
  p = emit(p, a_.colidx + nz * kIndexBytes, kIndexBytes, AccessType::kRead, kInsnsPerNonzero);
  p = emit(p, a_.val + nz * kValueBytes, kValueBytes, AccessType::kRead);
  p = emit(p, vec_in + col * kValueBytes, kValueBytes, AccessType::kRead);
  stratum_lo_ += width;
  if (++s_ == k_) {
    p = emit(p, vec_out + row_ * kValueBytes, kValueBytes, AccessType::kWrite);
    if (++row_ == hi_) {
      next_phase();
    } else {
      begin_row();
    }
  }
  return static_cast<std::size_t>(p - out);
}

// One element of a vector loop.
std::size_t CgWorkload::vector_step(MemAccess* out) {
  using arch::AccessType;
  constexpr AccessType R = AccessType::kRead, W = AccessType::kWrite;
  constexpr std::uint16_t kI = kInsnsPerVectorElement;
  const std::uint64_t off = row_ * kValueBytes;
  MemAccess* p = out;
  switch (phase_) {
    case Phase::kInit:  // q = 0, z = 0, r = x, p = x
      p = emit(p, a_.q + off, kValueBytes, W, kI);
      p = emit(p, a_.z + off, kValueBytes, W);
      p = emit(p, a_.x + off, kValueBytes, R);
      p = emit(p, a_.r + off, kValueBytes, W);
      p = emit(p, a_.p + off, kValueBytes, W);
      break;
    case Phase::kRho:
    case Phase::kDotRR:  // sum += r r
      p = emit(p, a_.r + off, kValueBytes, R, kI);
      break;
    case Phase::kDotPQ:  // sum += p q
      p = emit(p, a_.p + off, kValueBytes, R, kI);
      p = emit(p, a_.q + off, kValueBytes, R);
      break;
    case Phase::kAxpy:  // z += alpha p; r -= alpha q
      p = emit(p, a_.z + off, kValueBytes, R, kI);
      p = emit(p, a_.p + off, kValueBytes, R);
      p = emit(p, a_.z + off, kValueBytes, W);
      p = emit(p, a_.r + off, kValueBytes, R);
      p = emit(p, a_.q + off, kValueBytes, R);
      p = emit(p, a_.r + off, kValueBytes, W);
      break;
    case Phase::kUpdateP:  // p = r + beta p
      p = emit(p, a_.r + off, kValueBytes, R, kI);
      p = emit(p, a_.p + off, kValueBytes, R);
      p = emit(p, a_.p + off, kValueBytes, W);
      break;
    case Phase::kResid:  // sum += (x - r)^2
    case Phase::kNorms:  // sums x z, z z  (x and z read once)
      p = emit(p, a_.x + off, kValueBytes, R, kI);
      p = emit(p, (phase_ == Phase::kResid ? a_.r : a_.z) + off, kValueBytes, R);
      break;
    case Phase::kScale:  // x = c z
      p = emit(p, a_.z + off, kValueBytes, R, kI);
      p = emit(p, a_.x + off, kValueBytes, W);
      break;
    case Phase::kSpmvP:
    case Phase::kSpmvZ:
      break;  // not reached: step() routes these to spmv_step
  }
  if (++row_ == hi_) next_phase();
  return static_cast<std::size_t>(p - out);
}

std::string CgWorkload::describe() const {
  return fmt::format("cg: {} rows x {} nonzeros ({} of matrix), rows [{}, {}) (thread {}/{})", n_,
                     k_, format_bytes(n_ * k_ * (kIndexBytes + kValueBytes)), lo_, hi_, cfg_.thread,
                     cfg_.threads);
}

}  // namespace mmuvp::workloads
