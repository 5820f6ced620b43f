#include "tests/golden/stub_space.h"

#include <algorithm>
#include <stdexcept>

#include "arch/ept.h"
#include "arch/pte.h"
#include "sw-stub/mmu_program.h"
#include "sw-stub/stub_error.h"
#include "tests/golden/result_diff.h"

namespace mmuvp::golden {

namespace {

using arch::AccessType;
using arch::FaultKind;
using arch::FaultStage;
using arch::Mode;
using arch::PageSize;
using stub::PagePolicy;
using stub::Range;

constexpr std::uint64_t k4K = arch::kPage4K;
constexpr std::uint64_t k2M = arch::kPage2M;
constexpr std::uint64_t k1G = arch::kPage1G;
constexpr std::uint64_t kMiB = 1ull << 20;
constexpr std::uint64_t kSlotsPerHalf = 1ull << (arch::kVirtualAddressBits - 1 - 30);
constexpr std::uint64_t kKernelHalf = ~0ull << (arch::kVirtualAddressBits - 1);
constexpr std::uint64_t kHostMemory = 16 * k1G;
constexpr std::uint64_t kBigGuestRam = 4 * k1G;
constexpr std::uint64_t kSmallGuestRam = 512 * kMiB;  // 4 KiB host pages backed up front
constexpr std::uint64_t kNativeRam = 6 * k1G;
constexpr unsigned kProcesses = 3;
constexpr unsigned kPrimaryProcesses = 2;  // processes 0 and 1 have a primary region
constexpr std::uint64_t kGuestAd = arch::pte::kA | arch::pte::kD;
constexpr std::uint64_t kEptAd = arch::ept::kA | arch::ept::kD;
constexpr PageSize kSizes[] = {PageSize::k4K, PageSize::k2M, PageSize::k1G};

std::uint64_t below(std::mt19937_64& rng, std::uint64_t n) { return n == 0 ? 0 : rng() % n; }
bool chance(std::mt19937_64& rng, unsigned percent) { return rng() % 100 < percent; }

bool same(const arch::Segment& a, const arch::Segment& b) {
  return a.base == b.base && a.limit == b.limit && a.offset == b.offset;
}

std::string segment_text(const arch::Segment& s) {
  return "[" + hex(s.base) + ", " + hex(s.limit) + ")+" + hex(s.offset);
}

std::string size_text(PageSize s) { return std::string(arch::to_string(s)); }

}  // namespace

// ---- construction -------------------------------------------------------------------------------

StubSpace::StubSpace(Mode mode, unsigned variant, std::uint64_t seed)
    : mode_(mode),
      virt_(arch::is_virtualized(mode)),
      variant_(variant),
      rng_(seed),
      maxphyaddr_(variant % 2 == 0 ? 52 : 46),
      io_gap_(chance(rng_, 40)),
      ad_{variant % 2 == 0, variant % 4 < 2},
      machine_(kCores, arch::MmuParams{maxphyaddr_}) {
  guests_.reserve(2);
  if (virt_) {
    build_virtualized();
  } else {
    build_native();
  }
  start_cores();
  for (Guest& g : guests_)
    for (ProcessPlan& plan : g.procs)
      for (const auto& [in, run] : plan.process->mappings().runs()) plan.runs.push_back(run);
}

stub::PageFlags StubSpace::random_flags(bool kernel) {
  stub::PageFlags f;
  f.writable = chance(rng_, 70);
  f.user = !kernel && chance(rng_, 85);
  f.executable = chance(rng_, 30);
  f.global = kernel ? chance(rng_, 60) : chance(rng_, 10);
  if (chance(rng_, 10)) f.cache = arch::pte::kPWT | arch::pte::kPCD;
  if (chance(rng_, 5)) f.cache |= arch::pte::kPS;  // PAT, in 4 KiB form
  return f;
}

arch::gva_t StubSpace::fresh_slot(ProcessPlan& plan, bool kernel) {
  for (;;) {
    const std::uint64_t index = 1 + below(rng_, kSlotsPerHalf - 2);
    const arch::gva_t va = (kernel ? kKernelHalf : 0) | (index << 30);
    if (std::find(plan.slots.begin(), plan.slots.end(), va) != plan.slots.end()) continue;
    plan.slots.push_back(va);
    return va;
  }
}

// One region in a fresh 1 GiB slot: 4K (30%), 2M (25%), 1G (big guests; process 0's first region
// always), THP at an unaligned start (the rest). A request the guest's memory cannot satisfy
// falls back to a small THP region.
void StubSpace::map_region(Guest& g, ProcessPlan& plan) {
  const bool kernel = chance(rng_, 15);
  const arch::gva_t slot = fresh_slot(plan, kernel);
  const stub::PageFlags flags = random_flags(kernel);
  const bool first_1g = g.big && plan.regions.empty() && &plan == &g.procs.front();
  const unsigned pick = static_cast<unsigned>(below(rng_, 100));
  PagePolicy policy;
  Range r;
  if (first_1g || (g.big && pick < 6)) {
    policy = PagePolicy::k1G;
    r = {slot, slot + k1G};
  } else if (pick < 36) {
    policy = PagePolicy::k4K;
    const std::uint64_t pages = 1 + below(rng_, g.big ? 1024 : 256);
    const arch::gva_t lo = slot + below(rng_, 4096) * k4K;
    r = {lo, lo + pages * k4K};
  } else if (pick < 61) {
    policy = PagePolicy::k2M;
    const std::uint64_t n = 1 + below(rng_, g.big ? 8 : 3);
    const arch::gva_t lo = slot + below(rng_, 64) * k2M;
    r = {lo, lo + n * k2M};
  } else {
    policy = PagePolicy::kThp;
    const std::uint64_t pages = 1 + below(rng_, g.big ? 3072 : 1024);
    const arch::gva_t lo = slot + below(rng_, 512) * k4K;
    r = {lo, lo + pages * k4K};
  }
  try {
    g.os->map(*plan.process, r.lo, r.bytes(), policy, flags);
  } catch (const stub::OutOfMemory&) {
    ++fallbacks_;
    r = {slot + k2M - 5 * k4K, slot + 2 * k2M + 7 * k4K};
    g.os->map(*plan.process, r.lo, r.bytes(), PagePolicy::kThp, flags);
  }
  plan.regions.push_back(r);
}

// Holes: some regions unmapped whole, parts of others unmapped (large pages cut by an edge are
// split), parts of others re-protected.
void StubSpace::punch_holes(Guest& g, ProcessPlan& plan) {
  for (const Range& r : plan.regions) {
    const std::uint64_t pages = r.bytes() / k4K;
    const unsigned pick = static_cast<unsigned>(below(rng_, 100));
    const arch::gva_t lo = r.lo + below(rng_, pages) * k4K;
    const std::uint64_t room = (r.hi - lo) / k4K;
    const std::uint64_t len = (1 + below(rng_, std::max<std::uint64_t>(1, room / 2))) * k4K;
    if (pick < 8) {
      g.os->unmap(*plan.process, r.lo, r.bytes());
    } else if (pick < 45) {
      g.os->unmap(*plan.process, lo, len);
    } else if (pick < 75) {
      g.os->protect(*plan.process, lo, len, random_flags((r.lo & kKernelHalf) != 0));
    }
  }
}

void StubSpace::populate(Guest& g) {
  for (unsigned i = 0; i < kProcesses; ++i) {
    ProcessPlan plan;
    plan.process = &g.os->create_process(static_cast<std::uint16_t>(1 + i));
    g.procs.push_back(plan);
  }
  for (unsigned i = 0; i < kProcesses; ++i) {
    ProcessPlan& plan = g.procs[i];
    stub::Process& p = *plan.process;
    if (i < kPrimaryProcesses) {
      // Process 0 gets the large primary region (up to 1 GiB, possibly with 1 GiB pages).
      static constexpr std::uint64_t kBig[] = {64 * kMiB, 128 * kMiB, 256 * kMiB, 512 * kMiB, k1G};
      static constexpr std::uint64_t kSmall[] = {16 * kMiB, 32 * kMiB, 64 * kMiB};
      std::uint64_t bytes = g.big ? kBig[below(rng_, 5)] : kSmall[below(rng_, 3)];
      if (i > 0) bytes = std::min(bytes, g.big ? 256 * kMiB : 32 * kMiB);
      PagePolicy policy = chance(rng_, 50) ? PagePolicy::kThp : PagePolicy::k2M;
      if (bytes == k1G && chance(rng_, 50)) policy = PagePolicy::k1G;
      if (bytes <= 64 * kMiB && chance(rng_, 30)) policy = PagePolicy::k4K;
      const arch::gva_t slot = fresh_slot(plan, false);
      g.os->map_primary_region(p, slot, bytes, policy);
    }
    const unsigned regions = 7 + static_cast<unsigned>(below(rng_, 3));
    for (unsigned k = 0; k < regions; ++k) map_region(g, plan);
    const unsigned areas = 1 + static_cast<unsigned>(below(rng_, 2));
    for (unsigned k = 0; k < areas; ++k) {
      const arch::gva_t slot = fresh_slot(plan, false);
      const arch::gva_t lo = slot + below(rng_, 1024) * k4K;
      stub::PageFlags f = random_flags(false);
      f.user = chance(rng_, 90);
      const Range r{lo, lo + (16 + below(rng_, 497)) * k4K};
      g.os->reserve_area(p, r.lo, r.bytes(), f);
      plan.areas.push_back({r, f});
    }
    punch_holes(g, plan);
  }
}

void StubSpace::build_native() {
  bare_ = std::make_unique<stub::BareMetal>(machine_.bus, kNativeRam, io_gap_);
  stub::GuestOsConfig gc;
  gc.preset_ad = chance(rng_, 30);
  Guest g;
  g.os = std::make_unique<stub::GuestOs>(*bare_, gc);
  guests_.push_back(std::move(g));
  populate(guests_.back());
}

void StubSpace::build_virtualized() {
  const bool vmm_seg = arch::uses_vmm_segment(mode_);
  const bool bad_frames_vm1 = vmm_seg && variant_ % 2 == 1;
  vmm_ = std::make_unique<stub::Vmm>(machine_.bus, Range{0, kHostMemory});
  if (bad_frames_vm1) {  // bad before any VM: a contiguous block may span them (displaced frames)
    for (int i = 0; i < 3; ++i) vmm_->mark_bad_frame(k1G + below(rng_, 2 * k1G / k4K) * k4K);
  }

  // Host page sizes rotate with the variant and differ between the two VMs. VM 2 is compacted
  // in the VMM segment modes, which copies its backed leaves word by word: 4K/2M only there.
  stub::VmConfig vc[2];
  vc[0].host_pages = kSizes[variant_ % 3];
  vc[1].host_pages = vmm_seg ? kSizes[(variant_ + 1) % 2] : kSizes[(variant_ + 1) % 3];
  if (vc[1].host_pages == vc[0].host_pages) vc[1].host_pages = kSizes[(variant_ + 2) % 3];
  // EPT A/D: VM 1 (core 0, A/D write-back on in even variants) in even variants, VM 2 in odd
  // ones; entries preset with A/D in one variant of three.
  for (unsigned i = 0; i < 2; ++i) {
    vc[i].vmid = static_cast<std::uint16_t>(1 + i);
    vc[i].ept_ad = (variant_ + i) % 2 == 0;
    vc[i].preset_ad = (variant_ + i) % 3 == 2;
    vc[i].io_gap = io_gap_;
    vc[i].flat_ept = mode_ == Mode::kFlatNested;  // 4K and 1G leaves (2M backs with 4K)
  }
  vc[0].prefault = true;
  vc[0].contiguous = vmm_seg;
  // Backing 4 KiB leaves up front costs per leaf: keep that VM small (no 1 GiB guest pages).
  const bool leaves_4k = vc[0].host_pages == PageSize::k4K ||
                        (vc[0].flat_ept && vc[0].host_pages == PageSize::k2M);
  vc[0].memory_bytes = leaves_4k ? kSmallGuestRam : kBigGuestRam;
  vc[1].prefault = false;
  vc[1].memory_bytes = kBigGuestRam;

  for (unsigned i = 0; i < 2; ++i) {
    stub::VirtualMachine& vm = vmm_->create_vm(vc[i]);
    vmm_->load(i, vm);
    stub::GuestOsConfig gc;
    gc.preset_ad = chance(rng_, 30);
    Guest g;
    g.vm = &vm;
    g.big = vc[i].memory_bytes >= 2 * k1G;
    g.os = std::make_unique<stub::GuestOs>(vm, gc);
    guests_.push_back(std::move(g));
    populate(guests_.back());
  }

  if (vmm_seg) {
    // VM 1: the VMM segment over the RAM range holding process 0's primary run (as the scenario
    // builder does). VM 2: its primary run compacted into a host block, then the segment over it.
    Guest& g1 = guests_[0];
    const arch::Segment& s1 = g1.procs[0].process->guest_segment();
    for (const Range& r : g1.vm->ram())
      if (r.contains(s1.translate(s1.base))) g1.vm->set_vmm_segment(r);
    Guest& g2 = guests_[1];
    const arch::Segment& s2 = g2.procs[0].process->guest_segment();
    g2.vm->compact({s2.translate(s2.base), s2.translate(s2.limit)});
    if (bad_frames_vm1) mark_bad_frames_vm1();
    mark_bad_frames_vm2();
  }
}

// Bad host frames under VM 1's segment: data pages of its processes, and the page-table root of
// process 1 (every walk of that process then escapes at level 4).
void StubSpace::mark_bad_frames_vm1() {
  Guest& g = guests_[0];
  const arch::Segment seg = g.vm->vmm_segment();
  for (int attempt = 0; attempt < 10; ++attempt) {
    ProcessPlan& plan = g.procs[below(rng_, g.procs.size())];
    const std::vector<stub::Leaf> leaves =
        plan.process->mappings().leaves_in(plan.regions[below(rng_, plan.regions.size())]);
    if (leaves.empty()) continue;
    const stub::Leaf& leaf = leaves[below(rng_, leaves.size())];
    const arch::gva_t va = leaf.in + below(rng_, leaf.bytes() / k4K) * k4K;
    const arch::gpa_t gpa = leaf.translate(va);
    const std::optional<arch::hpa_t> hpa = g.vm->lookup(gpa);
    if (!seg.contains(gpa) || !hpa || vmm_->host_memory().is_excluded(*hpa)) continue;
    vmm_->mark_bad_frame(*hpa);
    plan.hot.push_back(va);
  }
  const arch::gpa_t root = g.procs[1].process->cr3();
  if (seg.contains(root)) vmm_->mark_bad_frame(*g.vm->lookup(root));
}

// Bad host frames in VM 2's compacted block under its primary region: not backed yet (VM 2 backs
// lazily), so they are escaped before any access and backed elsewhere on the EPT violation.
void StubSpace::mark_bad_frames_vm2() {
  Guest& g = guests_[1];
  ProcessPlan& plan = g.procs[0];
  const arch::Segment gseg = plan.process->guest_segment();
  const arch::Segment vseg = g.vm->vmm_segment();
  for (int i = 0; i < 4; ++i) {
    const arch::gva_t va = gseg.base + below(rng_, (gseg.limit - gseg.base) / k4K) * k4K;
    const arch::gpa_t gpa = gseg.translate(va);
    if (!vseg.contains(gpa) || vmm_->host_memory().is_excluded(vseg.translate(gpa))) continue;
    vmm_->mark_bad_frame(vseg.translate(gpa));
    plan.hot.push_back(va);
  }
}

void StubSpace::start_cores() {
  for (unsigned core = 0; core < kCores; ++core) {
    Guest& g = guest_of(core);
    g.os->context_switch(core, *g.procs[core % g.procs.size()].process);
    g.os->set_mode(core, mode_);
    stub::mmu::set_ad_updates(machine_.bus, core, ad_[core]);
  }
}

// ---- queries ------------------------------------------------------------------------------------

std::string StubSpace::describe() const {
  std::string s = std::string(arch::to_string(mode_)) + " variant " + std::to_string(variant_) +
                  " maxphyaddr " + std::to_string(maxphyaddr_) + (io_gap_ ? " io-gap" : "") +
                  " A/D core0 " + (ad_[0] ? "on" : "off") + " core1 " + (ad_[1] ? "on" : "off");
  for (const Guest& g : guests_) {
    if (g.vm == nullptr) continue;
    const stub::VmConfig& c = g.vm->config();
    s += "; VM " + std::to_string(c.vmid) + " host " + size_text(c.host_pages) +
         (c.prefault ? " prefault" : " lazy") + (c.contiguous ? " contiguous" : "") +
         (c.ept_ad ? " ept-ad" : "") + (c.preset_ad ? " preset-ad" : "") + " segment " +
         segment_text(g.vm->vmm_segment()) + " escaped " +
         std::to_string(g.vm->escaped_frames().size());
  }
  return s;
}

std::string StubSpace::setup_problems() const {
  std::string d;
  for (unsigned core = 0; core < kCores; ++core) {
    const arch::TranslationContext& ctx = context(core);
    const Guest& g = guest_of(core);
    const stub::Process* p = g.os->current(core);
    const std::string at = " core " + std::to_string(core) + ":";
    if (p == nullptr) {
      d += at + " no process running";
      continue;
    }
    if (ctx.mode != mode_) d += at + " MODE differs";
    if (ctx.cr3 != p->cr3()) d += at + " CR3 differs from the process's PML4";
    if (!same(ctx.guest_seg, p->guest_segment()))
      d += at + " guest segment " + segment_text(ctx.guest_seg) + " vs the process's " +
           segment_text(p->guest_segment());
    if (ctx.ad_updates != ad_[core]) d += at + " A/D switch differs";
    if (g.vm == nullptr) continue;
    if (ctx.eptp != g.vm->eptp()) d += at + " EPTP differs from the VM's";
    if (!same(ctx.vmm_seg, g.vm->vmm_segment()))
      d += at + " VMM segment " + segment_text(ctx.vmm_seg) + " vs the VM's " +
           segment_text(g.vm->vmm_segment());
    for (std::uint64_t frame : g.vm->escaped_frames())
      if (ctx.filter == nullptr || !ctx.filter->maybe_contains(frame))
        d += at + " escaped gPA frame " + hex(frame << arch::kPageShift) + " not in the filter";
  }
  return d;
}

const StubSpace::ProcessPlan& StubSpace::plan_of(unsigned core) const {
  const Guest& g = guest_of(core);
  const stub::Process* p = g.os->current(core);
  for (const ProcessPlan& plan : g.procs)
    if (plan.process == p) return plan;
  throw std::logic_error("no process of the test runs on core " + std::to_string(core));
}

StubSpace::ProcessPlan& StubSpace::plan_of(unsigned core) {
  return const_cast<ProcessPlan&>(static_cast<const StubSpace&>(*this).plan_of(core));
}

void StubSpace::switch_process(unsigned core, std::mt19937_64& rng) {
  Guest& g = guest_of(core);
  g.os->context_switch(core, *g.procs[below(rng, g.procs.size())].process);
}

arch::Access StubSpace::pick_access(unsigned core, std::mt19937_64& rng) const {
  const ProcessPlan& plan = plan_of(core);
  const std::optional<Range> primary = plan.process->primary_region();
  const auto in = [&](const Range& r) { return r.lo + below(rng, r.bytes()); };
  arch::Access a;
  const unsigned pick = static_cast<unsigned>(below(rng, 100));
  if (pick < 4) {  // non-canonical: a bit of 62:48 set, bit 63 clear
    a.va = below(rng, 1ull << 47) | (1ull << (48 + below(rng, 15)));
  } else if (pick < 9) {  // anywhere canonical
    a.va = below(rng, 1ull << 47);
    if (chance(rng, 50)) a.va |= kKernelHalf;
  } else if (pick < 19 && primary) {
    a.va = in(*primary);
  } else if (pick < 29 && !plan.runs.empty()) {
    const stub::MappingRun& run = plan.runs[below(rng, plan.runs.size())];
    a.va = in(run.input());
  } else if (pick < 37 && !plan.areas.empty()) {
    a.va = in(plan.areas[below(rng, plan.areas.size())].range);
  } else if (pick < 42 && !plan.hot.empty()) {
    a.va = plan.hot[below(rng, plan.hot.size())] + below(rng, k4K);
  } else if (pick < 48) {  // just inside or outside an edge of a region
    const Range& r = plan.regions[below(rng, plan.regions.size())];
    const arch::gva_t edge = chance(rng, 50) ? r.lo : r.hi;
    a.va = edge - k4K + below(rng, 2 * k4K);
  } else {  // a region (holes included), sometimes anywhere in its 1 GiB slot
    const Range& r = plan.regions[below(rng, plan.regions.size())];
    a.va = chance(rng, 85) ? in(r) : (r.lo & ~(k1G - 1)) + below(rng, k1G);
  }
  const unsigned type = static_cast<unsigned>(below(rng, 20));
  a.type = type < 9 ? AccessType::kRead : type < 16 ? AccessType::kWrite : AccessType::kExecute;
  a.user = !chance(rng, 25);
  return a;
}

// ---- the stub's prediction ----------------------------------------------------------------------

std::string StubSpace::record_difference(unsigned core, const arch::Access& a,
                                         const arch::TranslationResult& got) const {
  const Guest& g = guest_of(core);
  const stub::Process& p = *g.os->current(core);
  const arch::TranslationContext& ctx = context(core);
  const bool write = a.type == AccessType::kWrite;
  const bool exec = a.type == AccessType::kExecute;
  const arch::gva_t va = a.va;
  std::string d;

  const auto pf_code = [&](bool present) {
    return (present ? arch::pf::kP : 0) | (write ? arch::pf::kW : 0) | (a.user ? arch::pf::kU : 0) |
           (exec ? arch::pf::kI : 0);
  };
  const auto want_fault = [&](FaultKind kind, FaultStage stage, std::uint32_t code,
                              std::uint64_t gpa, const std::string& why) {
    const arch::Fault& f = got.fault;
    const bool match =
        f.kind == kind && f.gva == va &&
        (kind == FaultKind::kNonCanonical || (f.stage == stage && f.code == code && f.gpa == gpa));
    if (!match) d += " records say " + why + ", golden: " + arch::describe(f);
    return d;
  };
  if (!arch::is_canonical(va)) return want_fault(FaultKind::kNonCanonical, {}, 0, 0, "#GP");

  // gVA -> gPA: the guest segment, else the process's record of its leaves.
  const std::optional<stub::Leaf> gleaf = p.mappings().find(va);
  const arch::Segment& gseg = p.guest_segment();
  arch::gpa_t gpa = 0;
  arch::Perms perms{true, true, true, true};
  const bool guest_seg = arch::uses_guest_segment(mode_) && gseg.contains(va);
  if (guest_seg) {
    if (!gleaf || gleaf->translate(va) != gseg.translate(va))
      d += " the primary region's page-table mapping disagrees with its guest segment";
    if (exec)
      return want_fault(FaultKind::kGuestPageFault, FaultStage::kFinal, pf_code(true), 0,
                        "#PF (fetch inside the guest segment)");
    gpa = gseg.translate(va);
    perms.x = false;
  } else {
    if (!gleaf)
      return want_fault(FaultKind::kGuestPageFault, FaultStage::kGuestTable, pf_code(false), 0,
                        "#PF not present (no leaf recorded)");
    perms.w = (gleaf->flags & arch::pte::kRW) != 0;
    perms.u = (gleaf->flags & arch::pte::kUS) != 0;
    perms.x = (gleaf->flags & arch::pte::kXD) == 0;
    if ((a.user && !perms.u) || (write && !perms.w) || (exec && !perms.x))
      return want_fault(FaultKind::kGuestPageFault, FaultStage::kFinal, pf_code(true), 0,
                        "#PF protection (recorded flags " + hex(gleaf->flags) + ")");
    gpa = gleaf->translate(va);
  }

  // gPA -> hPA: the VMM segment unless the filter escapes the frame, else the VM's record.
  arch::hpa_t hpa = gpa;
  bool vmm_seg = false;
  std::optional<stub::Leaf> hleaf;
  if (g.vm != nullptr) {
    const arch::Segment& vseg = g.vm->vmm_segment();
    const bool escaped = ctx.filter != nullptr && !ctx.filter->empty() &&
                         ctx.filter->maybe_contains(gpa >> arch::kPageShift);
    if (arch::uses_vmm_segment(mode_) && vseg.contains(gpa) && !escaped) {
      vmm_seg = true;
      hpa = vseg.translate(gpa);
    } else {
      hleaf = g.vm->ept_mappings().find(gpa);
      if (!hleaf) {
        const std::uint32_t access_bits = write  ? arch::eptq::kWrite
                                          : exec ? arch::eptq::kFetch
                                                 : arch::eptq::kRead;
        return want_fault(FaultKind::kEptViolation, FaultStage::kFinal,
                          access_bits | arch::eptq::kGvaValid | arch::eptq::kFinal, gpa,
                          "EPT violation (gPA " + hex(gpa) + " not backed)");
      }
      hpa = hleaf->translate(gpa);
      perms.r = perms.r && (hleaf->flags & arch::ept::kR) != 0;
      perms.w = perms.w && (hleaf->flags & arch::ept::kW) != 0;
      perms.x = perms.x && (hleaf->flags & arch::ept::kX) != 0;
    }
  }

  if (!got.ok()) {
    d += " records say gPA " + hex(gpa) + " hPA " + hex(hpa) +
         ", golden: " + arch::describe(got.fault);
    return d;
  }
  if (got.gpa != gpa) d += " gPA " + hex(got.gpa) + " vs recorded " + hex(gpa);
  if (got.hpa != hpa) d += " hPA " + hex(got.hpa) + " vs recorded " + hex(hpa);
  if (got.guest_seg_hit != guest_seg || got.vmm_seg_hit != vmm_seg) d += " segment hits differ";
  if (!(got.perms == perms)) d += " perms " + shown(got.perms) + " vs recorded " + shown(perms);
  if (!guest_seg) {
    if ((got.guest_leaf & ~kGuestAd) != (gleaf->entry() & ~kGuestAd))
      d += " guest leaf " + hex(got.guest_leaf) + " vs recorded " + hex(gleaf->entry());
    if (got.guest_size != gleaf->size)
      d += " guest size " + size_text(got.guest_size) + " vs recorded " + size_text(gleaf->size);
  }
  if (hleaf) {
    if ((got.ept_leaf & ~kEptAd) != (hleaf->entry() & ~kEptAd))
      d += " EPT leaf " + hex(got.ept_leaf) + " vs recorded " + hex(hleaf->entry());
    if (got.host_size != hleaf->size)
      d += " host size " + size_text(got.host_size) + " vs recorded " + size_text(hleaf->size);
  }
  if (vmm_ && vmm_->host_memory().is_excluded(got.hpa & ~(k4K - 1)))
    d += " hPA " + hex(got.hpa) + " is on a bad host frame";
  return d;
}

StubSpace::Service StubSpace::service(unsigned core, const arch::TranslationResult& got,
                                      std::string& error) {
  const arch::Fault& f = got.fault;
  Guest& g = guest_of(core);
  if (f.kind == FaultKind::kGuestPageFault) {
    // The guest OS maps a not-present page inside a demand area whose flags permit the access.
    bool expect_map = false;
    if ((f.code & arch::pf::kP) == 0) {
      for (const Area& area : plan_of(core).areas) {
        if (!area.range.contains(f.gva)) continue;
        expect_map = !((f.code & arch::pf::kW) && !area.flags.writable) &&
                     !((f.code & arch::pf::kU) && !area.flags.user) &&
                     !((f.code & arch::pf::kI) && !area.flags.executable);
      }
    }
    const bool mapped = g.os->handle_page_fault(core, f) == stub::FaultOutcome::kMapped;
    if (mapped != expect_map)
      error = std::string(" guest OS answered ") + (mapped ? "mapped" : "SEGV") + " to " +
              arch::describe(f);
    return mapped ? Service::kMapped : Service::kSegv;
  }
  if (f.kind == FaultKind::kEptViolation && g.vm != nullptr) {
    bool ram = false;
    for (const Range& r : g.vm->ram()) ram = ram || r.contains(f.gpa);
    const bool expect_back = ram && !g.vm->lookup(f.gpa);
    const bool backed = g.vm->handle_ept_violation(f.gpa);
    if (backed != expect_back)
      error = std::string(" VMM answered ") + (backed ? "backed" : "not backed") + " to " +
              arch::describe(f);
    return backed ? Service::kBacked : Service::kNotBacked;
  }
  return Service::kNone;
}

StubSpace::Stats StubSpace::stats() const {
  Stats s;
  for (const Guest& g : guests_) {
    s.guest_splits += g.os->stats().splits;
    s.demand_faults += g.os->stats().demand_faults;
    if (g.vm == nullptr) continue;
    s.ept_splits += g.vm->stats().splits;
    s.ept_violations += g.vm->stats().ept_violations;
    s.frames_retired += g.vm->stats().frames_retired;
    s.escaped_frames += g.vm->escaped_frames().size();
  }
  s.fallbacks = fallbacks_;
  return s;
}

}  // namespace mmuvp::golden
