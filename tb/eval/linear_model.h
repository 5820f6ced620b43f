// The linear model of page-walk cycles of the seed paper (Gandhi et al., MICRO 2014, Table IV),
// evaluated on the counts the simulator measured, so `mmuvp eval` can show it next to the
// measured overhead.
//
// The paper's model, per design (cycles spent in page walks):
//   base native            C_n * M_n
//   base virtualized       C_v * M_n
//   Direct Segment         C_n * (1 - F_DS) * M_n
//   Dual Direct            [(C_n + D_VD) * F_VD + (C_n + D_GD) * F_GD + C_v * (1 - F_GD - F_VD - F_DD)] * M_n
//   VMM Direct             [(C_n + D_VD) * F_VD + C_v * (1 - F_VD)] * M_n
//   Guest Direct           [(C_n + D_GD) * F_GD + C_v * (1 - F_GD)] * M_n
// with the paper's definitions: C_n the cycles of a native page walk, C_v the cycles of a
// virtualized (2D) page walk, M_n the number of native TLB misses, F the fraction of TLB misses that
// fall in the direct segments (F_DS: in the native direct segment; F_VD: only in the VMM segment;
// F_GD: only in the guest segment; F_DD: in both), D_VD / D_GD the extra cycles of a walk whose
// one dimension is done by the VMM / guest segment over a native walk.
//
// The same quantities here, from the RunStats counters (summed over cores) of one workload's runs
// at the same accesses, footprint and seed:
//   C_n  = walk_cycles / walks                  of the native 4K run
//   M_n  = l2_tlb_misses                        of the native 4K run
//   C_v  = walk_cycles / walks                  of the nested 4K+4K run
//   D_VD = walk_cycles / walks (vmm-direct run)   - C_n   (its walks are guest walks with the VMM
//   D_GD = walk_cycles / walks (guest-direct run) - C_n    segment / EPT walks of segment gPAs)
// and the F fractions of the run being modelled, each a fraction of the native run's misses M_n
// (the paper's F is "the fraction of TLB misses that fall in the segments", measured natively).
// Its walker requests R (every translation the walker served) split by path: S = segment
// translations (the segments alone, no entry read), G = guest_segment_hits, V = vmm_segment_hits:
//   native-ds:    F_DS = 1 - (R - S) / M_n
//   vmm-direct:   F_VD = V / M_n
//   guest-direct: F_GD = G / M_n
//   dual-direct:  F_VD = (V - S) / M_n                 (VMM segment only: a 1D guest walk)
//                 F_GD = (G - S) / M_n                 (guest segment only: a 1D EPT walk)
//                 F_DD = 1 - (R - S) / M_n             (both segments: no walk)
// F_DS and F_DD take every native miss the run did not walk for: the misses the segments
// translated alone, and those that never happened because a segment translation fills the TLB
// with the largest block the segment maps (arch/segment.h block_size). Each F is clamped to
// [0, 1]. So the model predicts C_n (R - S) walk cycles for native-ds, and for dual-direct
// (C_n + D_VD)(V - S) + (C_n + D_GD)(G - S) + C_v (R - V - G + S): the per-path costs of the
// reference runs applied to this run's path counts.
// The model's overhead is its walk cycles over the modelled run's total_cycles; it is compared with
// the run's measured walk overhead, walk_cycles / total_cycles (the model predicts walk cycles; the
// run's translation_overhead also holds the L2 TLB lookups). The model applies to the 4K+4K
// configurations it was written for (native 4K, nested 4K+4K and the four direct modes); for the
// others it reports why not.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "arch/mode.h"
#include "tb/run_config.h"

namespace mmuvp::tb::eval {

// The per-workload inputs measured by the reference runs; nullopt where that run is missing (not
// selected, failed, or without walks).
struct ModelBaseline {
  std::optional<double> c_n;
  std::optional<double> m_n;
  std::optional<double> c_v;
  std::optional<double> d_vd;
  std::optional<double> d_gd;
};

// Any argument may be null (the run is missing).
ModelBaseline make_baseline(const RunStats* native_4k, const RunStats* nested_4k,
                            const RunStats* vmm_direct, const RunStats* guest_direct);

struct SegmentFractions {
  double ds = 0, vd = 0, gd = 0, dd = 0;
};
// The F values of a run, by its mode (zero where the mode has no such segment path), as fractions
// of `native_misses` (M_n); without it (<= 0), of the run's own walker requests.
SegmentFractions segment_fractions(const RunStats& run, double native_misses);

struct ModelResult {
  bool available = false;
  std::string missing;            // why not, when !available ("needs the nested-4k run")
  SegmentFractions f;
  double walk_cycles = 0;         // the model's page-walk cycles
  double overhead = 0;            // walk_cycles / run total_cycles
  double measured_overhead = 0;   // run walk_cycles / run total_cycles
  double error = 0;               // overhead - measured_overhead (fraction, not percent)
};

// The model for `run` (whose config gives the mode and page sizes) from its workload's baseline.
ModelResult predict(const RunStats& run, const ModelBaseline& baseline);

}  // namespace mmuvp::tb::eval
