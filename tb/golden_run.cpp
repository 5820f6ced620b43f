#include "tb/golden_run.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include "arch/golden_translator.h"
#include "sw-stub/stub_error.h"
#include "tb/direct_bus.h"
#include "tb/workload_setup.h"
#include "tlm/walk_cache_set.h"
#include "tlm/walk_types.h"

namespace mmuvp::tb {

namespace {

// Accesses a core runs before the next core's turn; also the stream batch size.
constexpr std::size_t kBatch = 256;
// A fault the firmware fixed is retried; a handler that keeps "fixing" the same access is cut off.
constexpr unsigned kMaxRetries = 4;
constexpr auto kProgressPeriod = std::chrono::milliseconds(100);

struct GoldenCore {
  GoldenCore(const RunConfig& cfg, arch::PhysMem& memory)
      : tlb(cfg.tlb),
        caches(effective_pwc(cfg), effective_ntlb(cfg)),
        golden(memory),
        exit_cost(cfg.vm_exit_cycles) {}

  tlm::Tlb tlb;
  tlm::WalkCacheSet caches;
  arch::GoldenTranslator golden;
  tlm::WalkResponse resp;
  tlm::WalkerStats walker;
  CoreStats stats;
  workloads::Workload* stream = nullptr;
  std::vector<workloads::MemAccess> buf = std::vector<workloads::MemAccess>(kBatch);
  std::uint64_t left = 0;  // accesses still to run
  std::uint64_t since_switch = 0;
  bool record = false;
  std::uint64_t exit_cost = 0;  // RunConfig::vm_exit_cycles

  // The VM exits the firmware just took (counted as the platform's firmware does; the golden
  // model keeps no time, so their cost is only tallied).
  void count_exits(WorkloadSetup& setup, unsigned core) {
    const std::uint64_t n = setup.take_exits(core);
    stats.vm_exits += n;
    stats.vm_exit_cycles += n * exit_cost;
  }

  // One access as the platform's MMU and core do it (tlm/mmu.cpp, tlm/core.cpp): L1 TLB, L2 TLB
  // (an entry that does not permit the access is not used), else a walk that fills both; a fault
  // goes to the firmware, which may have it retried. Returns whether the access completed.
  bool access(unsigned core, const arch::TranslationContext& ctx, const arch::Access& a,
              WorkloadSetup& setup, const std::set<std::uint64_t>* escaped) {
    for (unsigned attempt = 0;; ++attempt) {
      if (arch::is_canonical(a.va)) {
        const tlm::TlbEntry* e = tlb.l1().lookup(a.va, ctx.vmid, ctx.pcid, a.type);
        if (e != nullptr && permits(*e, a)) return true;
        if (e == nullptr) {
          const tlm::TlbEntry* e2 = tlb.l2().lookup(a.va, ctx.vmid, ctx.pcid, a.type);
          if (e2 != nullptr && permits(*e2, a)) {
            tlb.l1().fill(*e2);
            return true;
          }
        }
      }
      if (record) caches.begin_walk(&resp.caches);  // the filter tally reads the nested lookups
      resp.result = golden.translate(ctx, a, &caches);
      walker.count(resp);
      tally_walk(ctx, resp, escaped, stats);
      const arch::TranslationResult& r = resp.result;
      if (r.ok()) {
        tlb.fill(tlm::tlb_entry_for(ctx, a.va, r));
        return true;
      }
      ++stats.faults;
      const FaultResponse action = setup.handle_fault(core, r.fault);
      count_exits(setup, core);
      if (action == FaultResponse::kSkip || attempt >= kMaxRetries) return false;
    }
  }

  // Whether a TLB entry may serve the access (the dirty rule is the TLB's own).
  static bool permits(const tlm::TlbEntry& e, const arch::Access& a) {
    if (a.user && !e.perms.u) return false;
    if (a.type == arch::AccessType::kExecute) return e.perms.x;
    if (a.type == arch::AccessType::kWrite) return e.perms.w;
    return e.perms.r;
  }
};

}  // namespace

tlm::PwcConfig effective_pwc(const RunConfig& config) {
  return config.pwc ? config.pwc_config : tlm::PwcConfig::disabled_all();
}

tlm::NestedTlbConfig effective_ntlb(const RunConfig& config) {
  if (config.pwc) return config.ntlb_config;
  tlm::NestedTlbConfig c = config.ntlb_config;
  c.geometry = tlm::Geometry::disabled();
  return c;
}

void tally_walk(const arch::TranslationContext& ctx, const tlm::WalkResponse& resp,
                const std::set<std::uint64_t>* escaped, CoreStats& stats) {
  const arch::TranslationResult& r = resp.result;
  stats.segment_hits += (r.guest_seg_hit || r.vmm_seg_hit) ? 1 : 0;
  if (!ctx.vmm_seg.enabled() || !arch::uses_vmm_segment(ctx.mode)) return;
  for (const arch::SegmentAdd& add : r.adds)
    stats.escape_filter_lookups += add.seg == arch::SegmentKind::kVmm ? 1 : 0;
  stats.escape_filter_lookups += r.filter_hits;
  if (r.filter_hits == 0) return;
  for (const arch::NestedLookup& l : resp.caches.nested) {
    if (!ctx.vmm_seg.contains(l.gpa)) continue;
    const bool escaped_frame =
        escaped != nullptr && escaped->count(l.gpa >> arch::kPageShift) != 0;
    stats.escape_filter_false_positives += escaped_frame ? 0 : 1;
  }
}

void copy_walker_stats(const tlm::WalkerStats& w, CoreStats& s) {
  s.walks = w.walks;
  s.walk_mem_refs = w.walk_mem_refs;
  s.walk_cycles = w.walk_cycles;
  s.walk_requests = w.requests;
  s.segment_translations = w.segment_translations;
  s.guest_segment_hits = w.guest_segment_hits;
  s.vmm_segment_hits = w.vmm_segment_hits;
  s.escape_filter_hits = w.escape_filter_hits;
}

GoldenRunResult run_golden(const RunConfig& config,
                           const std::vector<workloads::Workload*>& streams,
                           const std::vector<workloads::Region>& regions,
                           const ProgressFn& progress) {
  const unsigned n = config.cores;
  if (streams.size() != n)
    throw SimulationError(fmt::format("{} streams for {} cores", streams.size(), n));
  DirectMachine machine(n, config.mmu);
  std::vector<std::unique_ptr<GoldenCore>> cores;
  cores.reserve(n);
  for (unsigned c = 0; c < n; ++c) {
    cores.push_back(std::make_unique<GoldenCore>(config, machine.memory));
    GoldenCore* core = cores.back().get();
    core->stream = streams[c];
    core->left = config.accesses;
    // Every invalidation the register block decodes (INV_CMD, and the flushes of MODE, segment
    // and filter changes) reaches this core's TLBs and walk caches.
    machine.mmus[c].on_invalidate = [core](const arch::Invalidation& inv) {
      core->tlb.invalidate(inv);
      core->caches.invalidate(inv);
    };
  }
  WorkloadSetup setup(machine.bus, config, regions);
  const std::set<std::uint64_t>* escaped =
      setup.vm() != nullptr ? &setup.vm()->escaped_frames() : nullptr;
  const bool record = arch::uses_vmm_segment(config.mode);
  for (auto& k : cores) k->record = record;

  const std::uint64_t total = config.accesses * n;
  const std::uint64_t period = period_interval(config);
  std::uint64_t done = 0;
  auto last_progress = std::chrono::steady_clock::now();
  const auto start = last_progress;
  try {
    for (bool active = true; active;) {
      active = false;
      for (unsigned c = 0; c < n; ++c) {
        GoldenCore& k = *cores[c];
        if (k.left == 0) continue;
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kBatch, k.left));
        const std::size_t got = k.stream->next(k.buf.data(), want);
        if (got == 0) {
          k.left = 0;
          continue;
        }
        active = true;
        k.left -= got;
        done += got;
        const arch::TranslationContext& ctx = machine.mmus[c].context();
        for (std::size_t i = 0; i < got; ++i) {
          const workloads::MemAccess& m = k.buf[i];
          k.stats.instructions += m.insns == 0 ? 1 : m.insns;
          if (!k.access(c, ctx, m.to_access(), setup, escaped)) continue;
          ++k.stats.accesses;
          if (period != 0 && ++k.since_switch == period) {
            k.since_switch = 0;
            if (setup.on_period(c, k.stats.accesses, k.walker.walk_mem_refs))
              ++k.stats.context_switches;
            k.count_exits(setup, c);
          }
        }
      }
      if (progress) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_progress >= kProgressPeriod) {
          last_progress = now;
          progress(done, total);
        }
      }
    }
  } catch (const stub::StubError& e) {
    throw SimulationError(fmt::format("firmware failed during the run: {}", e.what()));
  }
  GoldenRunResult out;
  out.sim_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (progress) progress(done, total);
  out.paging_switches = setup.paging_switches();

  for (const auto& kp : cores) {
    const GoldenCore& k = *kp;
    CoreStats s = k.stats;
    s.l1_tlb_misses = k.tlb.l1().counters().misses;
    s.l2_tlb_misses = k.tlb.l2().counters().misses;
    copy_walker_stats(k.walker, s);
    s.pwc_lookups = k.caches.pwc().counters().lookups;
    s.pwc_hits = k.caches.pwc().counters().hits;
    s.ntlb_lookups = k.caches.ntlb().counters().lookups;
    s.ntlb_hits = k.caches.ntlb().counters().hits;
    out.per_core.push_back(s);
  }
  return out;
}

}  // namespace mmuvp::tb
