// `mmuvp demo`: the golden translation model on stub-built address spaces, in every mode and
// page-size configuration, with what each translation cost (memory references and segment
// additions), all counted from the model's own reference lists. It stands as the main job until the
// evaluation (`mmuvp eval`) exists.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "arch/golden_translator.h"
#include "sw-stub/scenario.h"
#include "tb/commands.h"
#include "tb/direct_bus.h"

namespace mmuvp::tb {
namespace {

struct DemoRow {
  std::string mode, guest, host, note;
  std::uint64_t translations = 0, faults = 0, reads = 0, ad_writes = 0, adds = 0;
  std::uint64_t guest_seg_hits = 0, vmm_seg_hits = 0, filter_hits = 0;
  std::uint64_t min_reads = ~0ull, max_reads = 0;
  unsigned guest_sizes = 0, host_sizes = 0;  // bit set per PageSize seen on successful translations
};

// "4K", or "4K+2M" when translations ended on pages of several sizes: what the walks found.
std::string sizes_seen(unsigned mask) {
  std::string s;
  for (arch::PageSize p : {arch::PageSize::k4K, arch::PageSize::k2M, arch::PageSize::k1G})
    if (mask & (1u << static_cast<unsigned>(p))) s += (s.empty() ? "" : "+") + std::string(arch::to_string(p));
  return s.empty() ? "-" : s;
}

struct DemoCase {
  arch::Mode mode;
  stub::PagePolicy guest;
  arch::PageSize host;
  unsigned bad_frames;  // host frames retired inside the VMM segment (escape filter)
};

DemoRow run_case(const DemoCase& c, std::uint64_t footprint, std::uint64_t accesses,
                 std::uint64_t seed, bool ad) {
  DirectMachine machine;
  stub::ScenarioConfig cfg;
  cfg.mode = c.mode;
  cfg.guest_pages = c.guest;
  cfg.host_pages = c.host;
  cfg.footprint = footprint;
  cfg.ad_updates = ad;
  // Guest memory large enough that the VMM can back it with 1 GiB EPT pages where asked to.
  if (arch::is_virtualized(c.mode)) cfg.guest_memory = 4 * arch::kPage1G;
  stub::Scenario scenario(machine.bus, cfg);
  if (c.bad_frames > 0 && scenario.vm() != nullptr) {
    const arch::Segment seg = scenario.vm()->vmm_segment();
    std::mt19937_64 rng(seed ^ 0xbadf);
    const std::uint64_t frames = (seg.limit - seg.base) >> arch::kPageShift;
    for (unsigned i = 0; i < c.bad_frames; ++i) {
      const arch::gpa_t gpa = seg.base + ((rng() % frames) << arch::kPageShift);
      scenario.vmm()->mark_bad_frame(seg.translate(gpa));
    }
  }
  arch::GoldenTranslator golden(machine.memory);
  const stub::Range region = scenario.region();
  std::mt19937_64 rng(seed);
  DemoRow row;
  row.mode = std::string(arch::to_string(c.mode));
  if (c.bad_frames > 0) row.note = fmt::format("{} escaped frames", c.bad_frames);
  for (std::uint64_t i = 0; i < accesses; ++i) {
    arch::Access a;
    a.va = region.lo + ((rng() % (region.bytes() / 8)) * 8);
    a.type = (rng() & 3) == 0 ? arch::AccessType::kWrite : arch::AccessType::kRead;
    a.user = true;
    const arch::TranslationResult r = golden.translate(machine.context(0), a);
    ++row.translations;
    if (!r.ok()) {
      ++row.faults;
    } else {
      row.guest_sizes |= 1u << static_cast<unsigned>(r.guest_size);
      if (arch::is_virtualized(c.mode)) row.host_sizes |= 1u << static_cast<unsigned>(r.host_size);
    }
    const std::uint64_t reads = r.read_refs();
    row.reads += reads;
    row.ad_writes += r.refs.size() - reads;
    row.adds += r.adds.size();
    row.min_reads = std::min(row.min_reads, reads);
    row.max_reads = std::max(row.max_reads, reads);
    row.guest_seg_hits += r.guest_seg_hit ? 1 : 0;
    row.vmm_seg_hits += r.vmm_seg_hit ? 1 : 0;
    row.filter_hits += r.filter_hits;
  }
  row.guest = sizes_seen(row.guest_sizes);
  row.host = sizes_seen(row.host_sizes);
  return row;
}

void run_demo(std::uint64_t footprint, std::uint64_t accesses, std::uint64_t seed, bool ad) {
  std::vector<DemoCase> cases;
  using arch::Mode;
  using arch::PageSize;
  using stub::PagePolicy;
  for (PagePolicy g : {PagePolicy::k4K, PagePolicy::k2M, PagePolicy::k1G}) {
    cases.push_back({Mode::kNative, g, PageSize::k4K, 0});
  }
  cases.push_back({Mode::kNativeDs, PagePolicy::k4K, PageSize::k4K, 0});
  for (PagePolicy g : {PagePolicy::k4K, PagePolicy::k2M, PagePolicy::k1G})
    for (PageSize h : {PageSize::k4K, PageSize::k2M, PageSize::k1G})
      cases.push_back({Mode::kNested, g, h, 0});
  cases.push_back({Mode::kDualDirect, PagePolicy::k4K, PageSize::k4K, 0});
  cases.push_back({Mode::kVmmDirect, PagePolicy::k4K, PageSize::k4K, 0});
  cases.push_back({Mode::kVmmDirect, PagePolicy::k4K, PageSize::k4K, 16});
  cases.push_back({Mode::kGuestDirect, PagePolicy::k4K, PageSize::k4K, 0});
  for (PageSize h : {PageSize::k4K, PageSize::k1G})  // a flat EPT has 4K and 1G leaves
    cases.push_back({Mode::kFlatNested, PagePolicy::k4K, h, 0});

  fmt::print("mmuvp demo: golden translation model, stub-built address spaces, no TLBs or caches\n");
  fmt::print("footprint {} MiB per address space, {} random 8-byte accesses per row (25% writes), "
             "seed {}, A/D updates {}\n\n",
             footprint >> 20, accesses, seed, ad ? "on" : "off");
  fmt::print("{:<13} {:>5} {:>5} {:>9} {:>7} {:>10} {:>8} {:>10} {:>8} {:>8} {:>8}  {}\n", "mode",
             "guest", "host", "accesses", "faults", "refs/xlat", "min-max", "adds/xlat", "gseg",
             "vseg", "filter", "note");
  fmt::print("{:<13} {:>5} {:>5}\n", "", "page", "page");
  for (const DemoCase& c : cases) {
    const DemoRow r = run_case(c, footprint, accesses, seed, ad);
    const double n = static_cast<double>(r.translations);
    fmt::print("{:<13} {:>5} {:>5} {:>9} {:>7} {:>10.2f} {:>8} {:>10.2f} {:>8} {:>8} {:>8}  {}\n",
               r.mode, r.guest, r.host, r.translations, r.faults,
               static_cast<double>(r.reads + r.ad_writes) / n,
               fmt::format("{}-{}", r.min_reads, r.max_reads), static_cast<double>(r.adds) / n,
               r.guest_seg_hits, r.vmm_seg_hits, r.filter_hits, r.note);
  }
  fmt::print("\nguest/host page: the page (or segment block) sizes the translations ended on, as "
             "walked; refs/xlat: walker memory references per translation (entry reads + A/D writes), "
             "min-max: entry reads; adds: segment additions; gseg/vseg: translations by the guest/"
             "VMM segment; filter: gPAs the escape filter sent to the EPT walk.\n");
}

}  // namespace

void register_demo(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "demo", "Translate random accesses with the golden model in every mode and page size, "
              "printing what each translation cost");
  struct Options {
    std::string footprint = "64";
    std::string accesses = "20000";
    std::string seed = "1";
    bool ad = false;
  };
  auto opt = std::make_shared<Options>();
  cmd->add_option("--footprint-mib", opt->footprint, "Mapped region per address space, MiB")
      ->capture_default_str();
  cmd->add_option("--accesses", opt->accesses, "Accesses per configuration")->capture_default_str();
  cmd->add_option("--seed", opt->seed, "Random seed")->capture_default_str();
  cmd->add_flag("--ad", opt->ad, "Let the walker set A/D bits (adds write references)");
  cmd->callback([opt] {
    const std::uint64_t mib = parse_u64(opt->footprint, "--footprint-mib");
    if (mib == 0 || mib > (1u << 20)) throw CommandError("--footprint-mib must be in [1, 1048576]");
    const std::uint64_t accesses = parse_u64(opt->accesses, "--accesses");
    if (accesses == 0 || accesses > 100'000'000)
      throw CommandError("--accesses must be in [1, 100000000]");
    run_demo(mib << 20, accesses, parse_u64(opt->seed, "--seed"), opt->ad);
  });
}

}  // namespace mmuvp::tb
