// An independent, deliberately simple re-implementation of the translation rules (SPEC §1–§3),
// written from the specification and the Intel SDM rather than from the golden translator: it
// includes neither arch/golden_translator.h nor the entry helpers of arch/pte.h and arch/ept.h,
// decodes entries with its own bit constants, and walks by plain recursion over the levels.
// It shares only the input/output vocabulary (TranslationContext, Access, Fault codes, MemRef).
//
// It never writes memory: A/D updates it would make are kept in a per-translation overlay, so it
// can be run on the same memory just before the golden translator and predict exactly what the
// golden one reads, writes and returns.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "arch/phys_mem.h"
#include "arch/translation.h"

namespace mmuvp::golden {

struct ReferenceOutcome {
  arch::Fault fault;
  std::uint64_t gpa = 0, hpa = 0;
  arch::PageSize size = arch::PageSize::k4K;
  arch::PageSize guest_size = arch::PageSize::k4K;
  arch::PageSize host_size = arch::PageSize::k4K;
  arch::Perms perms;
  bool guest_seg_hit = false, vmm_seg_hit = false;
  unsigned filter_hits = 0;
  std::vector<arch::MemRef> refs;
  std::vector<arch::SegmentAdd> adds;

  bool ok() const { return fault.kind == arch::FaultKind::kNone; }
  std::size_t read_refs() const;
};

class ReferenceWalker {
 public:
  explicit ReferenceWalker(arch::PhysMem& mem) : mem_(mem) {}
  ReferenceOutcome translate(const arch::TranslationContext& ctx, const arch::Access& access);

 private:
  struct Host {  // one gPA -> hPA step
    std::uint64_t hpa = 0;
    unsigned size_shift = 30;
    bool r = true, w = true, x = true;
    unsigned ept_leaf_level = 0;
  };
  struct Walk;  // the state of one translation

  bool guest_level(Walk& w, unsigned level, std::uint64_t table, bool pw, bool pu, bool px);
  bool host(Walk& w, std::uint64_t gpa, unsigned for_level, Host& out);
  bool ept_level(Walk& w, unsigned level, std::uint64_t table, std::uint64_t gpa,
                 unsigned for_level, unsigned rwx, Host& out);
  bool load(Walk& w, std::uint64_t pa, std::uint64_t& value, bool guest_table, std::uint64_t gpa);
  void store(Walk& w, std::uint64_t pa, std::uint64_t value);

  arch::PhysMem& mem_;
};

}  // namespace mmuvp::golden
