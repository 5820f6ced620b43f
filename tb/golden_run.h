// `--walker golden`: the access streams of a run through the functional model alone, untimed and
// without SystemC. The same firmware setup (tb/workload_setup.h) on a tb::DirectMachine; per core a
// plain C++ tlm::Tlb, a tlm::WalkCacheSet (paging-structure cache and nested TLB, disabled with
// --no-pwc) and arch::GoldenTranslator serving the TLB misses, the firmware's fault handling and
// periodic context switches as on the platform. It is the speed reference of the SystemC layer and
// its correctness reference: the LT platform shares the TLB and walk-cache structures, so with the
// same configuration it must count the same misses, walks and references.
//
// Counted per core: what CoreStats names except time. Cycles are not modelled here: walk_cycles,
// translation_cycles and total_cycles stay 0 (and so translation_overhead and cycles_per_walk).
// Cores are interleaved in batches of accesses; they share memory (A/D bits) and nothing else, so
// with A/D updates off the counts do not depend on the interleaving.
#pragma once
#include <cstdint>
#include <set>
#include <vector>

#include "tb/run_config.h"
#include "tb/simulation.h"
#include "tlm/nested_tlb.h"
#include "tlm/paging_structure_cache.h"
#include "tlm/tlb.h"
#include "tlm/walk_types.h"
#include "workloads/access.h"

namespace mmuvp::tb {

// The walk-cache geometries a run uses: the configured ones, or all disabled with --no-pwc.
tlm::PwcConfig effective_pwc(const RunConfig& config);
tlm::NestedTlbConfig effective_ntlb(const RunConfig& config);

// The TLB entry a successful translation fills (addresses aligned to the effective page size).
tlm::TlbEntry tlb_entry_for(const arch::TranslationContext& ctx, arch::gva_t va,
                            const arch::TranslationResult& r);

// What CoreStats counts from one walk beyond tlm::WalkerStats (shared with the platform run, which
// sees the walks through its translation observer): segment_hits (translations whose gVA -> gPA or
// final gPA -> hPA went by a segment), escape_filter_lookups (gPAs inside the VMM segment: added by
// it or escaped by the filter) and escape_filter_false_positives (filter hits on frames not in
// `escaped`, the VM's escaped gPA frames; null: none). A filter hit is recognised as a nested
// lookup (resp.caches, recorded by every walker) of a gPA inside the VMM segment.
void tally_walk(const arch::TranslationContext& ctx, const tlm::WalkResponse& resp,
                const std::set<std::uint64_t>* escaped, CoreStats& stats);

// CoreStats fields that are tlm::WalkerStats counters, copied.
void copy_walker_stats(const tlm::WalkerStats& w, CoreStats& stats);

struct GoldenRunResult {
  std::vector<CoreStats> per_core;
  double sim_seconds = 0;  // host time of the access loop (setup excluded)
  std::vector<PagingSwitch> paging_switches;
};

// Runs streams[i] (at most config.accesses accesses) on core i over a machine the firmware set up
// for `regions`. Throws SimulationError when the setup is refused or the firmware fails mid-run.
GoldenRunResult run_golden(const RunConfig& config,
                           const std::vector<workloads::Workload*>& streams,
                           const std::vector<workloads::Region>& regions,
                           const ProgressFn& progress = {});

}  // namespace mmuvp::tb
