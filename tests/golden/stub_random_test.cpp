// Randomized agreement on address spaces built by the firmware stub (tests/golden/stub_space.h):
// per mode, several seeded stub-built machines (processes with mixed guest page sizes, holes,
// random permissions, primary regions, VMs with mixed host page sizes, lazy backing, VMM segments
// with escaped bad frames, A/D write-back on and off) and >= 100,000 random translations. Every
// translation is checked three ways:
//   1. golden translator vs the independent reference walker (fault with full attribution, every
//      memory reference in order incl. A/D writes, segment additions, filter hits, gPA, hPA,
//      sizes, permissions);
//   2. golden translator vs the stub's own records (the process's MappingRecord or guest segment,
//      the VM's EPT record or VMM segment): the fault the access must take, or gPA, hPA, leaf
//      entries, sizes and permissions; and a successful hPA is never a bad host frame;
//   3. some faults are handed to the stub's handlers (demand paging, EPT-violation backing),
//      whose answer is predicted from the same records, and the access is retried.
// The outcome mix is counted and must cover the paths the stub can produce in the mode; the stub
// never produces EPT misconfigurations, memory errors or reserved-bit faults, so none may occur.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "arch/golden_translator.h"
#include "tests/golden/reference_walker.h"
#include "tests/golden/result_diff.h"
#include "tests/golden/stub_space.h"

namespace mmuvp::golden {
namespace {

using arch::FaultKind;
using arch::Mode;

constexpr unsigned kSpacesPerMode = 6;
constexpr unsigned kAccessesPerSpace = 25000;  // plus the retries after serviced faults
constexpr unsigned kMaxAttempts = 3;           // #PF -> mapped -> EPT violation -> backed -> ok
constexpr unsigned kServicePercent = 60;       // faults handed to the stub
constexpr unsigned kSwitchOneIn = 300;         // context switches among the core's processes
constexpr std::uint64_t kBaseSeed = 0x5354'5542'0000'0000ull;  // "STUB"
constexpr std::size_t kReportedMismatches = 5;

struct Tally {
  std::uint64_t total = 0, ok = 0, non_canonical = 0, pf_not_present = 0, pf_protection = 0,
                pf_reserved = 0, ept_violation = 0, ept_violation_table = 0, ept_misconfig = 0,
                memory_error = 0;
  std::uint64_t guest_pages[3] = {}, host_pages[3] = {};  // successful walks by leaf size
  std::uint64_t guest_seg = 0, vmm_seg = 0, filter = 0, guest_ad_writes = 0, ept_ad_writes = 0;
  std::uint64_t retries = 0, mapped = 0, segv = 0, backed = 0, not_backed = 0;

  void add(const arch::TranslationResult& r, bool virt) {
    ++total;
    const arch::Fault& f = r.fault;
    switch (f.kind) {
      case FaultKind::kNone:
        ++ok;
        if (!r.guest_seg_hit) ++guest_pages[static_cast<unsigned>(r.guest_size)];
        if (virt) ++host_pages[static_cast<unsigned>(r.host_size)];
        break;
      case FaultKind::kNonCanonical:
        ++non_canonical;
        break;
      case FaultKind::kGuestPageFault:
        if (f.code & arch::pf::kRsvd) {
          ++pf_reserved;
        } else if (f.code & arch::pf::kP) {
          ++pf_protection;
        } else {
          ++pf_not_present;
        }
        break;
      case FaultKind::kEptViolation:
        ++ept_violation;
        if (f.stage == arch::FaultStage::kGuestTable) ++ept_violation_table;
        break;
      case FaultKind::kEptMisconfig:
        ++ept_misconfig;
        break;
      case FaultKind::kMemoryError:
        ++memory_error;
        break;
    }
    guest_seg += r.guest_seg_hit;
    vmm_seg += r.vmm_seg_hit;
    filter += r.filter_hits > 0;
    bool guest_ad = false, ept_ad = false;
    for (const arch::MemRef& m : r.refs) {
      guest_ad = guest_ad || (m.write && m.target == arch::RefTarget::kGuestEntry);
      ept_ad = ept_ad || (m.write && m.target == arch::RefTarget::kEptEntry);
    }
    guest_ad_writes += guest_ad;
    ept_ad_writes += ept_ad;
  }

  void add(StubSpace::Service s) {
    mapped += s == StubSpace::Service::kMapped;
    segv += s == StubSpace::Service::kSegv;
    backed += s == StubSpace::Service::kBacked;
    not_backed += s == StubSpace::Service::kNotBacked;
  }

  static std::string sizes(const std::uint64_t (&n)[3]) {
    return "4k:" + std::to_string(n[0]) + "/2m:" + std::to_string(n[1]) +
           "/1g:" + std::to_string(n[2]);
  }

  std::string line(const StubSpace::Stats& st) const {
    const auto kv = [](const char* k, std::uint64_t v) {
      return std::string(" ") + k + "=" + std::to_string(v);
    };
    std::string s = "translations=" + std::to_string(total) + kv("ok", ok) +
                    kv("non-canonical", non_canonical) + kv("pf-not-present", pf_not_present) +
                    kv("pf-protection", pf_protection) + kv("ept-violation", ept_violation);
    if (pf_reserved) s += kv("pf-reserved", pf_reserved);
    if (ept_violation_table) s += kv("ept-violation-on-table", ept_violation_table);
    if (ept_misconfig) s += kv("ept-misconfig", ept_misconfig);
    if (memory_error) s += kv("memory-error", memory_error);
    s += " guest-pages=" + sizes(guest_pages) + " host-pages=" + sizes(host_pages) +
         kv("guest-seg-hits", guest_seg) + kv("vmm-seg-hits", vmm_seg) +
         kv("filter-walks", filter) + kv("with-guest-ad-writes", guest_ad_writes) +
         kv("with-ept-ad-writes", ept_ad_writes) + kv("serviced-mapped", mapped) +
         kv("serviced-segv", segv) + kv("serviced-backed", backed) + kv("retries", retries) +
         kv("stub-guest-splits", st.guest_splits) + kv("stub-ept-splits", st.ept_splits) +
         kv("stub-frames-retired", st.frames_retired) + kv("stub-escaped", st.escaped_frames) +
         kv("stub-oom-fallbacks", st.fallbacks);
    return s;
  }
};

void add_stats(StubSpace::Stats& sum, const StubSpace::Stats& s) {
  sum.guest_splits += s.guest_splits;
  sum.ept_splits += s.ept_splits;
  sum.demand_faults += s.demand_faults;
  sum.ept_violations += s.ept_violations;
  sum.frames_retired += s.frames_retired;
  sum.escaped_frames += s.escaped_frames;
  sum.fallbacks += s.fallbacks;
}

class StubSpaceAgreement : public ::testing::TestWithParam<Mode> {};

TEST_P(StubSpaceAgreement, GoldenEqualsReferenceAndStubRecords) {
  const Mode mode = GetParam();
  const bool virt = arch::is_virtualized(mode);
  Tally tally;
  StubSpace::Stats stats;
  std::uint64_t ref_mismatches = 0, stub_mismatches = 0;
  std::string ref_report, stub_report;
  const auto note = [](std::uint64_t& count, std::string& report, const std::string& what) {
    if (++count <= kReportedMismatches) report += "\n  " + what;
  };

  for (unsigned s = 0; s < kSpacesPerMode; ++s) {
    const std::uint64_t seed = kBaseSeed + static_cast<unsigned>(mode) * 1000 + s;
    StubSpace space(mode, s, seed);
    const std::string where = "[" + space.describe() + " seed " + hex(seed) + "]";
    EXPECT_EQ(space.setup_problems(), "") << where;
    arch::GoldenTranslator golden(space.memory());
    ReferenceWalker reference(space.memory());
    std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ull);
    for (unsigned i = 0; i < kAccessesPerSpace; ++i) {
      const unsigned core = static_cast<unsigned>(rng() % space.cores());
      if (rng() % kSwitchOneIn == 0) {
        space.switch_process(core, rng);
        const std::string p = space.setup_problems();
        if (!p.empty()) note(stub_mismatches, stub_report, where + " after a context switch:" + p);
      }
      const arch::Access access = space.pick_access(core, rng);
      const auto at = [&] {
        return where + " #" + std::to_string(i) + " core " + std::to_string(core) + " va " +
               hex(access.va) + " type " + std::to_string(static_cast<int>(access.type)) +
               (access.user ? " user" : " sup") + ":";
      };
      arch::Fault serviced;  // the fault the stub claimed to have fixed before this attempt
      for (unsigned attempt = 0; attempt < kMaxAttempts; ++attempt) {
        const arch::TranslationContext& ctx = space.context(core);
        const ReferenceOutcome want = reference.translate(ctx, access);  // reads only
        const arch::TranslationResult got = golden.translate(ctx, access);
        tally.add(got, virt);
        tally.retries += attempt > 0;
        const std::string dr = result_difference(got, want);
        if (!dr.empty()) note(ref_mismatches, ref_report, at() + dr);
        const std::string ds = space.record_difference(core, access, got);
        if (!ds.empty()) note(stub_mismatches, stub_report, at() + ds);
        if (attempt > 0 && got.fault == serviced)
          note(stub_mismatches, stub_report,
               at() + " the serviced fault recurs: " + arch::describe(got.fault));
        if (got.ok() || rng() % 100 >= kServicePercent) break;
        std::string error;
        const StubSpace::Service sv = space.service(core, got, error);
        tally.add(sv);
        if (!error.empty()) note(stub_mismatches, stub_report, at() + " handler:" + error);
        if (sv != StubSpace::Service::kMapped && sv != StubSpace::Service::kBacked) break;
        serviced = got.fault;
      }
    }
    add_stats(stats, space.stats());
  }

  const std::string line = tally.line(stats);
  std::printf("[ %s ] %s\n", std::string(arch::to_string(mode)).c_str(), line.c_str());
  RecordProperty("outcomes", line);
  EXPECT_EQ(ref_mismatches, 0u) << "golden vs reference walker:" << ref_report;
  EXPECT_EQ(stub_mismatches, 0u) << "golden vs the stub's records and handlers:" << stub_report;

  // The run must exercise what the stub builds in this mode, or agreement proves little.
  EXPECT_GE(tally.total, 100000u);
  EXPECT_GE(tally.ok * 4, tally.total) << "fewer than 25% successful translations";
  EXPECT_GT(tally.pf_not_present, tally.total / 50);
  EXPECT_GT(tally.pf_protection, tally.total / 50);
  EXPECT_GT(tally.non_canonical, 0u);
  EXPECT_GT(tally.guest_ad_writes, 0u);
  EXPECT_GT(tally.mapped, 0u) << "no demand-paging fault was serviced";
  EXPECT_GT(tally.segv, 0u);
  EXPECT_GT(stats.guest_splits, 0u) << "no large guest page was split by a hole or protect";
  for (unsigned k = 0; k < 3; ++k)
    EXPECT_GT(tally.guest_pages[k], 0u) << "no walk ended at a guest leaf of size index " << k;
  // Well-formed tables and memory: the stub never writes what would make these.
  EXPECT_EQ(tally.pf_reserved, 0u);
  EXPECT_EQ(tally.ept_misconfig, 0u);
  EXPECT_EQ(tally.memory_error, 0u);
  EXPECT_EQ(tally.ept_violation_table, 0u) << "a guest table gPA was not backed";
  if (virt) {
    EXPECT_GT(tally.ept_violation, 0u) << "no EPT violation on lazily backed memory";
    EXPECT_GT(tally.backed, 0u);
    EXPECT_GT(tally.ept_ad_writes, 0u);
    for (unsigned k = 0; k < 3; ++k) {
      if (k == 1 && mode == Mode::kFlatNested) {  // a flat EPT has no 2M leaves
        EXPECT_EQ(tally.host_pages[k], 0u);
        continue;
      }
      EXPECT_GT(tally.host_pages[k], 0u) << "no gPA -> hPA mapping of size index " << k;
    }
  } else {
    EXPECT_EQ(tally.ept_violation, 0u);
    EXPECT_EQ(tally.ept_ad_writes, 0u);
  }
  if (arch::uses_guest_segment(mode)) {
    EXPECT_GT(tally.guest_seg, tally.total / 50);
  } else {
    EXPECT_EQ(tally.guest_seg, 0u);
  }
  if (arch::uses_vmm_segment(mode)) {
    EXPECT_GT(tally.vmm_seg, tally.total / 50);
    EXPECT_GT(tally.filter, 0u) << "no escaped frame sent a walk to the EPT";
    EXPECT_GT(stats.frames_retired, 0u);
  } else {
    EXPECT_EQ(tally.vmm_seg, 0u);
    EXPECT_EQ(tally.filter, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, StubSpaceAgreement,
                         ::testing::Values(Mode::kNative, Mode::kNativeDs, Mode::kNested,
                                           Mode::kDualDirect, Mode::kVmmDirect, Mode::kGuestDirect,
                                           Mode::kFlatNested),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           std::string n(arch::to_string(info.param));
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace mmuvp::golden
