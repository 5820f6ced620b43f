// The golden functional translation model: the oracle for the TLM walkers and the RTL.
//
// One call translates one access, in any mode of SPEC §2, walking the guest tables (x86-64 4-level)
// and the EPT (Intel, 4-level) in the order hardware does, and returns the result or the first
// fault, the page size, and every memory reference and segment addition in order.
//
// Walk order (one guest level L = 4..1, virtualized modes):
//   1. gPA of the level-L entry (CR3 or the previous entry + 8*index) -> hPA: VMM segment if the gPA
//      is inside it and not escaped by the filter (one addition), else a 4-level EPT walk.
//   2. Read the entry (1 reference). Not present -> #PF(P=0); reserved bit -> #PF(P|RSVD).
//   3. Non-leaf: set A (one locked RMW reference) if A/D updates are on and A is clear; next level.
//   4. Leaf: check the accumulated R/W, U/S, XD (CR0.WP = 1, EFER.NXE = 1, no SMEP/SMAP) -> #PF(P=1);
//      then set A (and D on a write) in one RMW; gPA = frame + offset.
//   5. Final gPA -> hPA as in step 1, with the access's own type checked against the EPT.
// EPT entries are handled alike: not present -> EPT violation, reserved/W-without-R/bad memory type
// -> EPT misconfiguration, permissions (AND over the levels) checked at the leaf. A gPA with a bit
// above 47 set is an EPT violation at level 4 with no reference (a 4-level EPT translates 48 bits).
// With EPTP bit 6, A is set on every EPT entry used and D on the leaf of a write; guest
// paging-structure accesses then count as writes (SDM §29.3.5): they need EPT W, set D, and a
// violation on them reports read|write in the exit qualification. Without it, a guest A/D update
// needs EPT write permission on that table, else an EPT violation (write to a guest paging
// structure, level = the EPT leaf level of that table).
// A guest-segment hit replaces steps 1–4 by gPA = gVA + OFFSET_G (read/write/user; no execute).
// Walk caches (arch/walk_caches.h), when given: after a guest-segment miss the paging-structure
// cache may start the walk below level 4; in step 1/5 a nested-TLB hit replaces the EPT walk
// (after the VMM segment and the 48-bit check); fills are reported as the walk goes.
#pragma once
#include "arch/phys_mem.h"
#include "arch/translation.h"
#include "arch/walk_caches.h"

namespace mmuvp::arch {

class GoldenTranslator {
 public:
  explicit GoldenTranslator(PhysMem& mem) : mem_(mem) {}
  // `caches`: optional paging-structure cache / nested TLB hook; nullptr walks everything.
  TranslationResult translate(const TranslationContext& ctx, const Access& access,
                              WalkCaches* caches = nullptr);

 private:
  struct HostStep {
    bool ok = false;
    hpa_t hpa = 0;
    PageSize size = PageSize::k1G;
    Perms perms;
    std::uint64_t leaf = 0;
    unsigned leaf_level = 0;
    bool dirty = false;  // writes may use a cached copy without a walk
  };
  // gPA -> hPA for one gPA: the VMM segment or an EPT walk. `for_level` 4..1: a guest table entry;
  // 0: the final gPA. Records references/additions/faults into `r`.
  HostStep translate_gpa(const TranslationContext& ctx, const Access& access, gpa_t gpa,
                         unsigned for_level, TranslationResult& r, WalkCaches* caches);
  bool read(hpa_t pa, std::uint64_t& v, TranslationResult& r, FaultStage stage, unsigned level);
  void write(hpa_t pa, std::uint64_t v) { mem_.write64(pa, v); }

  PhysMem& mem_;
};

}  // namespace mmuvp::arch
