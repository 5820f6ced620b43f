#include "tlm/translation_checker.h"

#include <fmt/format.h>

#include <unordered_map>

#include "arch/ept.h"
#include "arch/pte.h"

namespace mmuvp::tlm {

namespace {

// Serves the golden walk the values the walker's references saw, in order; writes are dropped.
// A golden access that is not the walker's next reference marks the replay diverged and reads the
// live memory instead, so that the golden walk goes on and the reference lists show the difference.
class ReplayMemory final : public arch::PhysMem {
 public:
  ReplayMemory(arch::PhysMem& live, const WalkResponse& resp) : live_(live), resp_(resp) {}

  bool read64(std::uint64_t pa, std::uint64_t& value) override {
    const auto& refs = resp_.result.refs;
    if (next_ < refs.size() && refs[next_].addr == pa && !refs[next_].write &&
        next_ < resp_.values.size()) {
      const bool last = next_ + 1 == refs.size();
      const std::size_t i = next_++;
      // The walker's last reference failed: the golden walk must fail on it the same way.
      if (last && resp_.result.fault.kind == arch::FaultKind::kMemoryError)
        return live_.read64(pa, value);
      value = resp_.values[i];
      return true;
    }
    diverged_ = true;
    ++next_;
    return live_.read64(pa, value);
  }
  bool write64(std::uint64_t pa, std::uint64_t) override {
    const auto& refs = resp_.result.refs;
    if (!(next_ < refs.size() && refs[next_].addr == pa && refs[next_].write)) diverged_ = true;
    ++next_;
    return true;
  }
  bool diverged() const { return diverged_; }

 private:
  arch::PhysMem& live_;
  const WalkResponse& resp_;
  std::size_t next_ = 0;
  bool diverged_ = false;
};

// The live memory with writes kept aside: a golden walk over it changes nothing.
class ScratchMemory final : public arch::PhysMem {
 public:
  explicit ScratchMemory(arch::PhysMem& live) : live_(live) {}
  bool read64(std::uint64_t pa, std::uint64_t& value) override {
    const auto it = written_.find(pa);
    if (it != written_.end()) {
      value = it->second;
      return true;
    }
    return live_.read64(pa, value);
  }
  bool write64(std::uint64_t pa, std::uint64_t value) override {
    std::uint64_t old = 0;
    if (!live_.read64(pa, old)) return false;
    written_[pa] = value;
    return true;
  }

 private:
  arch::PhysMem& live_;
  std::unordered_map<std::uint64_t, std::uint64_t> written_;
};

std::string hex(std::uint64_t v) { return fmt::format("{:#x}", v); }

std::string describe(const arch::Perms& p) {
  return fmt::format("{}{}{}{}", p.r ? 'r' : '-', p.w ? 'w' : '-', p.x ? 'x' : '-',
                     p.u ? 'u' : 's');
}

std::string describe_request(const arch::TranslationContext& ctx, const arch::Access& a) {
  static constexpr const char* kType[] = {"read", "write", "execute"};
  return fmt::format("{} {} at gVA {} (mode {}, CR3 {}, EPTP {}, PCID {}, VMID {})",
                     a.user ? "user" : "supervisor", kType[static_cast<int>(a.type)], hex(a.va),
                     arch::to_string(ctx.mode), hex(ctx.cr3), hex(ctx.eptp), ctx.pcid, ctx.vmid);
}

// Differences between two translations in what a TLB would cache (not the reference lists).
std::string translation_difference(const arch::TranslationResult& want,
                                   const arch::TranslationResult& got) {
  std::string d;
  if (want.fault != got.fault)
    d += fmt::format("\n  fault: expected {{{}}} got {{{}}}", arch::describe(want.fault),
                     arch::describe(got.fault));
  if (!want.ok() || !got.ok()) return d;
  if (want.gpa != got.gpa) d += fmt::format("\n  gPA: expected {} got {}", hex(want.gpa), hex(got.gpa));
  if (want.hpa != got.hpa) d += fmt::format("\n  hPA: expected {} got {}", hex(want.hpa), hex(got.hpa));
  if (want.size != got.size || want.guest_size != got.guest_size ||
      want.host_size != got.host_size)
    d += fmt::format("\n  page sizes (eff/guest/host): expected {}/{}/{} got {}/{}/{}",
                     arch::to_string(want.size), arch::to_string(want.guest_size),
                     arch::to_string(want.host_size), arch::to_string(got.size),
                     arch::to_string(got.guest_size), arch::to_string(got.host_size));
  if (!(want.perms == got.perms))
    d += fmt::format("\n  permissions: expected {} got {}", describe(want.perms),
                     describe(got.perms));
  if (want.global != got.global) d += fmt::format("\n  global: expected {} got {}", want.global, got.global);
  if (want.guest_seg_hit != got.guest_seg_hit || want.vmm_seg_hit != got.vmm_seg_hit)
    d += fmt::format("\n  segment hits (guest/vmm): expected {}/{} got {}/{}", want.guest_seg_hit,
                     want.vmm_seg_hit, got.guest_seg_hit, got.vmm_seg_hit);
  return d;
}

}  // namespace

std::string describe(const arch::MemRef& r) {
  return fmt::format("{} {} L{} (for {}) @ {}", r.write ? "SET" : "RD",
                     r.target == arch::RefTarget::kGuestEntry ? "guest" : "EPT", r.level,
                     r.for_level == 0 ? std::string("final") : fmt::format("L{}", r.for_level),
                     hex(r.addr));
}

std::string describe(const arch::TranslationResult& r) {
  std::string s;
  if (r.ok())
    s = fmt::format("gPA {} hPA {} size {} perms {}{}{}", hex(r.gpa), hex(r.hpa),
                    arch::to_string(r.size), describe(r.perms), r.guest_seg_hit ? " seg_g" : "",
                    r.vmm_seg_hit ? " seg_v" : "");
  else
    s = "fault " + arch::describe(r.fault);
  s += fmt::format(", {} refs", r.refs.size());
  return s;
}

CheckOutcome TranslationChecker::fail(std::string report) {
  ++mismatches_;
  if (first_mismatch_.empty()) first_mismatch_ = report;
  return CheckOutcome{false, std::move(report)};
}

CheckOutcome TranslationChecker::check_walk(const WalkRequest& req, const WalkResponse& resp) {
  ++walks_checked_;
  const arch::TranslationResult& got = resp.result;
  std::string d;
  if (got.refs.overflowed()) d += "\n  the walker's reference list overflowed";
  if (resp.values.size() != got.refs.size())
    d += fmt::format("\n  {} values recorded for {} references", resp.values.size(),
                     got.refs.size());

  // 1. Replay: the walker's cache use and observed values into the golden model.
  ReplayMemory replay_mem(memory_, resp);
  arch::ReplayWalkCaches replay_caches(resp.caches);
  arch::GoldenTranslator replay(replay_mem);
  const arch::TranslationResult want = replay.translate(req.ctx, req.access, &replay_caches);
  d += translation_difference(want, got);
  if (!(want.refs == got.refs)) {
    d += fmt::format("\n  references: expected {} got {}", want.refs.size(), got.refs.size());
    const std::size_t n = std::max(want.refs.size(), got.refs.size());
    for (std::size_t i = 0; i < n; ++i) {
      const std::string a = i < want.refs.size() ? describe(want.refs[i]) : "-";
      const std::string b = i < got.refs.size() ? describe(got.refs[i]) : "-";
      d += fmt::format("\n    #{:<2} {:<40} {}{}", i, a, b, a == b ? "" : "   <--");
    }
  }
  if (!(want.adds == got.adds)) d += "\n  segment additions differ";
  if (want.filter_hits != got.filter_hits)
    d += fmt::format("\n  escape-filter hits: expected {} got {}", want.filter_hits,
                     got.filter_hits);
  if (want.ok() && got.ok() && want.dirty != got.dirty)
    d += fmt::format("\n  dirty: expected {} got {}", want.dirty, got.dirty);
  if (replay_caches.diverged() || replay_caches.unused() != 0)
    d += fmt::format("\n  nested-TLB lookups: the walker made {}, in an order the golden walk {}",
                     resp.caches.nested.size(),
                     replay_caches.diverged() ? "does not follow" : "did not finish");

  // 2. Full walk over memory as it is now: were the cache hits right?
  if (d.empty()) {
    ScratchMemory scratch(memory_);
    arch::GoldenTranslator full(scratch);
    const arch::TranslationResult f = full.translate(req.ctx, req.access);
    const std::string fd = translation_difference(f, got);
    if (!fd.empty()) d += "\n  against a full walk without caches (stale cache entry?):" + fd;
    if (f.ok() && got.ok() && got.dirty && !f.dirty)
      d += "\n  dirty claimed, but the full walk finds the mapping not dirty";
  }

  // 3. The values the walker saw are memory's, up to the A/D bits walks set.
  for (std::size_t i = 0; d.empty() && i < got.refs.size() && i < resp.values.size(); ++i) {
    const arch::MemRef& r = got.refs[i];
    if (i + 1 == got.refs.size() && got.fault.kind == arch::FaultKind::kMemoryError) break;
    std::uint64_t now = 0;
    if (!memory_.read64(r.addr, now)) {
      d += fmt::format("\n  reference #{} ({}) is outside memory", i, describe(r));
      break;
    }
    const std::uint64_t ad = r.target == arch::RefTarget::kGuestEntry
                                 ? (arch::pte::kA | arch::pte::kD)
                                 : (arch::ept::kA | arch::ept::kD);
    if ((now & ~ad) != (resp.values[i] & ~ad))
      d += fmt::format("\n  reference #{} ({}) saw {} but memory holds {}", i, describe(r),
                       hex(resp.values[i]), hex(now));
  }

  if (d.empty()) return {};
  return fail(fmt::format("walk #{} (slot {}) of a {}: walker: {}; golden: {}{}", resp.id,
                          resp.slot, describe_request(req.ctx, req.access), describe(got),
                          describe(want), d));
}

CheckOutcome TranslationChecker::check_hit(const arch::TranslationContext& ctx,
                                           const arch::Access& access, const TlbEntry& entry) {
  ++hits_checked_;
  ScratchMemory scratch(memory_);
  arch::GoldenTranslator full(scratch);
  const arch::TranslationResult f = full.translate(ctx, access);
  std::string d;
  if (!f.ok()) {
    d = "\n  the golden walk faults: " + arch::describe(f.fault);
  } else {
    if (entry.translate(access.va) != f.hpa)
      d += fmt::format("\n  hPA: expected {} got {}", hex(f.hpa), hex(entry.translate(access.va)));
    if (arch::is_virtualized(ctx.mode) && entry.translate_gpa(access.va) != f.gpa)
      d += fmt::format("\n  gPA: expected {} got {}", hex(f.gpa),
                       hex(entry.translate_gpa(access.va)));
    if (entry.size != f.size)
      d += fmt::format("\n  page size: expected {} got {}", arch::to_string(f.size),
                       arch::to_string(entry.size));
    if (!(entry.perms == f.perms))
      d += fmt::format("\n  permissions: expected {} got {}", describe(f.perms),
                       describe(entry.perms));
    if (entry.global != f.global)
      d += fmt::format("\n  global: expected {} got {}", f.global, entry.global);
    if (entry.dirty && !f.dirty) d += "\n  the entry claims dirty, memory says not";
    if (entry.vmid != ctx.vmid || (!entry.global && entry.pcid != ctx.pcid))
      d += fmt::format("\n  tags: entry VMID {} PCID {}, context VMID {} PCID {}", entry.vmid,
                       entry.pcid, ctx.vmid, ctx.pcid);
  }
  if (d.empty()) return {};
  return fail(fmt::format("TLB hit for a {}: entry gVA {} -> hPA {} ({}){}",
                          describe_request(ctx, access), hex(entry.va), hex(entry.hpa),
                          arch::to_string(entry.size), d));
}

}  // namespace mmuvp::tlm
