// Helpers of the simulation tests: small run configurations, and facts about an access stream
// computed from the stream itself (independently of the simulation), e.g. the distinct pages a
// workload touches inside and outside its primary span.
#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "tb/run_config.h"
#include "tb/simulation.h"
#include "workloads/factory.h"

namespace mmuvp::test {

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
