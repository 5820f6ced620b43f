// The golden cross-check of every translation the platform makes (plain C++; used by tests, by
// `mmuvp run --check` and by co-simulation).
//
// A walk (WalkRequest + WalkResponse) is checked in three ways:
//   1. Replay: the golden translator runs with the walker's own cache use (arch::ReplayWalkCaches)
//      over the values the walker's references saw (WalkResponse::values); its result, ordered
//      references and segment additions must equal the walker's exactly. This checks the walk
//      order, the A/D decisions, the fault and its attribution, with any interleaving of walks.
//   2. Full walk: the golden translator runs without caches over the memory as it is now (writes
//      go to a scratch overlay, so nothing changes); the translation (hPA, gPA, sizes, permissions,
//      global/dirty, fault) must equal the walker's. This checks that the PWC and nested-TLB hits
//      were right.
//   3. Values: every value the walker saw must equal memory now, ignoring the A/D bits (which
//      walks set as they go): the walker's memory path returned real data.
// A TLB hit is checked against a full golden walk as in 2 (an entry only serves accesses that
// walk would allow; dirty rule: a write hit needs the golden walk's `dirty`).
#pragma once
#include <cstdint>
#include <string>

#include "arch/golden_translator.h"
#include "arch/phys_mem.h"
#include "tlm/tlb.h"
#include "tlm/walk_types.h"

namespace mmuvp::tlm {

struct CheckOutcome {
  bool ok = true;
  std::string report;  // multi-line description of the first difference (empty when ok)
};

class TranslationChecker {
 public:
  explicit TranslationChecker(arch::PhysMem& memory) : memory_(memory) {}

  CheckOutcome check_walk(const WalkRequest& req, const WalkResponse& resp);
  CheckOutcome check_hit(const arch::TranslationContext& ctx, const arch::Access& access,
                         const TlbEntry& entry);

  std::uint64_t walks_checked() const { return walks_checked_; }
  std::uint64_t hits_checked() const { return hits_checked_; }
  std::uint64_t mismatches() const { return mismatches_; }
  const std::string& first_mismatch() const { return first_mismatch_; }

 private:
  CheckOutcome fail(std::string report);

  arch::PhysMem& memory_;
  std::uint64_t walks_checked_ = 0;
  std::uint64_t hits_checked_ = 0;
  std::uint64_t mismatches_ = 0;
  std::string first_mismatch_;
};

// One-line and multi-line renderings for reports.
std::string describe(const arch::MemRef& r);
std::string describe(const arch::TranslationResult& r);

}  // namespace mmuvp::tlm
