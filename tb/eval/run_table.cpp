// One run's report as text (see run_table.h).
#include "tb/eval/run_table.h"

#include <fmt/format.h>

#include "tb/run_json.h"

namespace mmuvp::tb::eval {
namespace {

double ratio(std::uint64_t num, std::uint64_t den) {
  return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
}

std::string row(std::string_view name, std::uint64_t value, const std::string& note = "") {
  return note.empty() ? fmt::format("  {:<24} {:>16}\n", name, value)
                      : fmt::format("  {:<24} {:>16}   {}\n", name, value, note);
}

std::string hit_note(std::uint64_t hits, std::uint64_t lookups) {
  return lookups == 0 ? std::string("(no lookups)")
                      : fmt::format("of {} lookups ({:.2f}%)", lookups, 100 * ratio(hits, lookups));
}

}  // namespace

std::string run_table(const RunStats& s) {
  const RunConfig& c = s.config;
  const CoreStats& t = s.total;
  std::string out;
  // describe() usually starts with the name ("gups: table 2^23 words..."); print it once.
  const bool named = s.workload_describe.rfind(s.workload_name, 0) == 0;
  out += fmt::format("workload   {}\n", s.workload_describe.empty() ? s.workload_name
                                       : named ? s.workload_describe
                                               : s.workload_name + ": " + s.workload_describe);
  out += fmt::format(
      "config     mode {}, guest pages {}, host pages {}, walker {}, {} core{}, seed {}, "
      "paging-structure caches {}{}\n",
      run_mode_name(c), stub::to_string(c.guest_pages),
      format_size(arch::page_bytes(c.host_pages)), to_string(c.walker), c.cores,
      c.cores == 1 ? "" : "s", c.seed, c.pwc ? "on" : "off",
      c.escaped_frames == 0 ? "" : fmt::format(", {} escaped frames", c.escaped_frames));
  out += "\n";
  out += row("accesses", t.accesses);
  out += row("instructions", t.instructions);
  out += row("L1 TLB misses", t.l1_tlb_misses,
             fmt::format("{:.3f}% of accesses", 100 * ratio(t.l1_tlb_misses, t.accesses)));
  out += row("L2 TLB misses", t.l2_tlb_misses,
             fmt::format("{:.3f}% of accesses", 100 * ratio(t.l2_tlb_misses, t.accesses)));
  out += row("walker requests", t.walk_requests);
  out += row("walks", t.walks);
  out += row("walk memory references", t.walk_mem_refs,
             fmt::format("{:.2f} per walk", s.mem_refs_per_walk));
  out += row("walk cycles", t.walk_cycles, fmt::format("{:.1f} per walk", s.cycles_per_walk));
  out += row("translation cycles", t.translation_cycles);
  out += row("total cycles", t.total_cycles);
  out += fmt::format("  {:<24} {:>15.3f}%\n", "translation overhead", 100 * s.translation_overhead);
  out += row("segment hits", t.segment_hits);
  out += row("  segments alone", t.segment_translations);
  out += row("  guest segment", t.guest_segment_hits);
  out += row("  VMM segment", t.vmm_segment_hits);
  out += row("escape filter hits", t.escape_filter_hits,
             t.escape_filter_lookups == 0
                 ? std::string()
                 : fmt::format("of {} lookups, {} false positives", t.escape_filter_lookups,
                               t.escape_filter_false_positives));
  out += row("PWC hits", t.pwc_hits, hit_note(t.pwc_hits, t.pwc_lookups));
  out += row("nested TLB hits", t.ntlb_hits, hit_note(t.ntlb_hits, t.ntlb_lookups));
  out += row("faults", t.faults);
  out += row("VM exits", t.vm_exits,
             t.vm_exit_cycles == 0 ? std::string()
                                   : fmt::format("{} cycles charged ({} each)", t.vm_exit_cycles,
                                                 c.vm_exit_cycles));
  out += row("context switches", t.context_switches);
  if (c.dynamic_paging) {
    out += row("paging switches", t.paging_switches);
    for (const PagingSwitch& w : s.paging_switches)
      out += fmt::format("    core {} access {:>10} pcid {:>3} -> {:<6} {}\n", w.core, w.at_access,
                         w.pcid, w.to_shadow ? "shadow" : "nested", w.reason);
  }
  if (s.caches.present) {  // the platform's cache model (golden has none)
    const auto level = [&](std::string_view name, const CacheLevelStats& l) {
      out += row(name, l.data_hits + l.walker_hits,
                 fmt::format("data {:.2f}% of {}, walker {:.2f}% of {}",
                             100 * ratio(l.data_hits, l.data_accesses), l.data_accesses,
                             100 * ratio(l.walker_hits, l.walker_accesses), l.walker_accesses));
    };
    level("L1D hits", s.caches.l1d);
    level("L2 hits", s.caches.l2);
    level("LLC hits", s.caches.llc);
    out += row("DRAM accesses", s.caches.dram_data_accesses + s.caches.dram_walker_accesses,
               fmt::format("data {}, walker {}", s.caches.dram_data_accesses,
                           s.caches.dram_walker_accesses));
    out += row("direct accesses", t.direct_accesses,
               fmt::format("{:.2f}% of accesses (the direct path{})",
                           100 * ratio(t.direct_accesses, t.accesses), c.dmi ? "" : ": off"));
  }
  if (c.check) {
    out += row("checked translations", t.checked_translations);
    out += row("mismatches", t.mismatches);
  }
  out += fmt::format("  {:<24} {:>15.3f}s   {:.0f} accesses/s\n", "simulation time", s.sim_seconds,
                     s.accesses_per_second);

  if (s.per_core.size() > 1) {
    out += fmt::format("\n  {:>4} {:>12} {:>11} {:>11} {:>11} {:>14} {:>14} {:>10}\n", "core",
                       "accesses", "L1 misses", "L2 misses", "walks", "walk cycles",
                       "total cycles", "overhead");
    for (std::size_t i = 0; i < s.per_core.size(); ++i) {
      const CoreStats& k = s.per_core[i];
      out += fmt::format("  {:>4} {:>12} {:>11} {:>11} {:>11} {:>14} {:>14} {:>9.3f}%\n", i,
                         k.accesses, k.l1_tlb_misses, k.l2_tlb_misses, k.walks, k.walk_cycles,
                         k.total_cycles, 100 * ratio(k.translation_cycles, k.total_cycles));
    }
  }
  return out;
}

}  // namespace mmuvp::tb::eval
