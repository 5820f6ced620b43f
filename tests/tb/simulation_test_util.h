// Helpers of the simulation tests: small run configurations, and facts about an access stream
// computed from the stream itself (independently of the simulation), e.g. the distinct pages a
// workload touches inside and outside its primary span.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "tb/run_config.h"
#include "tb/simulation.h"
#include "workloads/factory.h"

namespace mmuvp::test {

// Every translation count of a platform run equals the golden run's on the same stream.
inline void expect_same_translation_counts(const tb::CoreStats& golden, const tb::CoreStats& lt) {
  EXPECT_EQ(lt.accesses, golden.accesses);
  EXPECT_EQ(lt.instructions, golden.instructions);
  EXPECT_EQ(lt.l1_tlb_misses, golden.l1_tlb_misses);
  EXPECT_EQ(lt.l2_tlb_misses, golden.l2_tlb_misses);
  EXPECT_EQ(lt.walk_requests, golden.walk_requests);
  EXPECT_EQ(lt.walks, golden.walks);
  EXPECT_EQ(lt.walk_mem_refs, golden.walk_mem_refs);
  EXPECT_EQ(lt.segment_translations, golden.segment_translations);
  EXPECT_EQ(lt.segment_hits, golden.segment_hits);
  EXPECT_EQ(lt.guest_segment_hits, golden.guest_segment_hits);
  EXPECT_EQ(lt.vmm_segment_hits, golden.vmm_segment_hits);
  EXPECT_EQ(lt.escape_filter_hits, golden.escape_filter_hits);
  EXPECT_EQ(lt.escape_filter_lookups, golden.escape_filter_lookups);
  EXPECT_EQ(lt.escape_filter_false_positives, golden.escape_filter_false_positives);
  EXPECT_EQ(lt.pwc_lookups, golden.pwc_lookups);
  EXPECT_EQ(lt.pwc_hits, golden.pwc_hits);
  EXPECT_EQ(lt.ntlb_lookups, golden.ntlb_lookups);
  EXPECT_EQ(lt.ntlb_hits, golden.ntlb_hits);
  EXPECT_EQ(lt.faults, golden.faults);
  EXPECT_EQ(lt.vm_exits, golden.vm_exits);
  EXPECT_EQ(lt.vm_exit_cycles, golden.vm_exit_cycles);
  EXPECT_EQ(lt.context_switches, golden.context_switches);
}

// A run small enough for a unit test: --no-pwc, A/D updates off (entries preset), 4K+4K.
inline tb::RunConfig small_run(arch::Mode mode, const std::string& workload,
                               tb::WalkerKind walker, std::uint64_t accesses = 20'000,
                               std::uint64_t footprint = 16ull << 20) {
  tb::RunConfig c;
  c.mode = mode;
  c.workload = workload;
  c.walker = walker;
  c.accesses = accesses;
  c.footprint = footprint;
  c.pwc = false;
  c.ad_updates = false;
  c.seed = 7;
  return c;
}

struct StreamPages {
  std::set<std::uint64_t> inside;   // 4 KiB page numbers inside the primary span
  std::set<std::uint64_t> outside;  // and outside it
  std::uint64_t accesses = 0;
};

// Replays the stream core `core` of `c` runs (generators only) and collects its pages.
inline StreamPages stream_pages(const tb::RunConfig& c, unsigned core = 0) {
  auto w = workloads::make_workload(c.workload, tb::workload_config(c, core));
  const auto span = workloads::primary_span(w->regions());
  StreamPages out;
  std::vector<workloads::MemAccess> buf(1024);
  for (std::size_t n; (n = w->next(buf.data(), buf.size())) != 0;) {
    for (std::size_t i = 0; i < n; ++i) {
      const arch::gva_t va = buf[i].va;
      const bool in = span && va >= span->base && va < span->limit;
      (in ? out.inside : out.outside).insert(va >> arch::kPageShift);
      ++out.accesses;
    }
  }
  return out;
}

}  // namespace mmuvp::test
