// `mmuvp pagetable` (SPEC §8 "real page tables", §9): loads raw memory images, then translates
// addresses with the golden translator (--va, with every memory reference of the walk) and/or lists
// every leaf mapping of the address space (--list), as text, QEMU `info tlb` style, or JSON.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "arch/address_space.h"
#include "arch/ept.h"
#include "arch/golden_translator.h"
#include "arch/image_memory.h"
#include "arch/pte.h"
#include "tb/commands.h"
#include "tb/text_out.h"

namespace mmuvp::tb {
namespace {

using arch::ImageSpace;

constexpr unsigned kMinMaxPhyAddr = 32;      // the smallest MAXPHYADDR of any x86-64 processor
constexpr std::size_t kIssuesShown = 20;     // issues printed on stderr by the text formats
constexpr std::size_t kIssuesKept = 100000;  // issues kept for the JSON report
constexpr char kWarning[] = "mmuvp pagetable: warning: ";

constexpr char kDescription[] =
    "Walk raw memory images: translate addresses (--va) or list every mapping (--list) of a CR3";

constexpr char kFooter[] =
    R"(For inspecting a real guest: boot it in QEMU, pause it, save its RAM with the monitor's
`pmemsave 0 SIZE FILE` and read CR3 from `info registers`; QEMU's `info tlb` lists the same
mappings as --list (compare with --format qemu).

Images: --image [hpa:|gpa:]FILE[@BASE], repeatable.
  Byte 0 of FILE is physical address BASE (default 0, 4 KiB aligned); images of one space must
  not overlap; reads outside every image are memory errors. Files are mapped read-only (mmap).
  Without --eptp every image is plain physical memory and addresses are VA -> PA.
  With --eptp, CR3 and the guest tables are guest-physical (gPA) and the EPT maps gPA -> hPA:
    hpa:FILE (the default) holds host-physical memory: the EPT, and the guest tables at the hPA
                the EPT gives them;
    gpa:FILE  holds guest-physical memory (the guest's RAM as the guest sees it): a guest
                page-table read at gPA g is served from it when it covers g. The EPT must still
                map g, and reported addresses are the EPT's hPAs.
  A prefix-less FILE whose name starts with "hpa:" or "gpa:" is written ./hpa:...

--list, one line per leaf mapping, ascending by virtual address (fixed-width columns):
  0x<va: 16 hex digits> 0x<pa: 16 hex digits> <4K|2M|1G> <flags>
  va is canonical (upper half sign-extended); pa is the hPA when nested. A mapping is a guest
  page, or with --eptp its intersection with an EPT page (a 2M guest page over 4K EPT pages is
  512 lines of 4K). flags: letters of r w x u g a d in this order, absent ones omitted ('-' if
  none): r readable (EPT R when nested), w writable at every guest level (and EPT W), x no XD at
  any level (and EPT X), u user at every level; g, a, d as in the guest leaf entry.
--format qemu: '<va:016x>: <pa:016x> XGPDACTUW' as QEMU's `info tlb` prints it, with the bits of
  the guest leaf entry (X = XD, P = large page, C = PCD, T = PWT, '-' when clear).
--json: {"mappings":[{"va","pa","size","flags"},...],"count":N,"issues":[...]} (plus "gpa" when
  nested), and {"translations":[...]} for --va. Numbers: hex with 0x, or decimal.
Entries the listing cannot follow (reserved bits, tables outside the images or not mapped by the
EPT) are reported as warnings with the fault a walk would raise; their subtrees are skipped.
Exit status: 0 done; 1 the listing skipped such entries; 2 bad flag, file or configuration.)";

struct Options {
  std::vector<std::string> images;
  std::string cr3;
  std::string cr4;
  std::string eptp;
  std::string maxphyaddr = "52";
  std::vector<std::string> vas;
  std::string access = "r";
  bool supervisor = false;
  bool list = false;
  bool json = false;
  std::string format = "text";
  std::string max_mappings = "0";
};

struct ImageSpec {
  ImageSpace space = ImageSpace::kHost;
  std::string path;
  std::uint64_t base = 0;
};

// [hpa:|gpa:]FILE[@BASE]; the last '@' separates the base.
ImageSpec parse_image_spec(const std::string& text) {
  ImageSpec spec;
  std::string_view rest = text;
  if (rest.rfind("gpa:", 0) == 0) {
    spec.space = ImageSpace::kGuest;
    rest.remove_prefix(4);
  } else if (rest.rfind("hpa:", 0) == 0) {
    rest.remove_prefix(4);
  }
  const std::size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    spec.base = parse_u64(rest.substr(at + 1), fmt::format("--image '{}': base", text));
    rest = rest.substr(0, at);
  }
  if (rest.empty()) throw CommandError(fmt::format("--image '{}': no file name", text));
  spec.path = std::string(rest);
  return spec;
}

// Loads every image, with the checks the images themselves cannot make (space, MAXPHYADDR).
// Returns the warnings, printed only once the whole configuration has been accepted.
std::vector<std::string> load_images(arch::ImageMemory& mem, const std::vector<std::string>& specs,
                                     unsigned maxphyaddr, bool nested) {
  std::vector<std::string> warnings;
  const std::uint64_t limit = arch::phys_limit(maxphyaddr);
  for (const std::string& text : specs) {
    const ImageSpec spec = parse_image_spec(text);
    if (spec.space == ImageSpace::kGuest && !nested) {
      throw CommandError(fmt::format(
          "--image '{}': gpa: images need --eptp (without an EPT, guest-physical memory is the "
          "physical memory: give it as --image FILE)",
          text));
    }
    const arch::ImageMemory::Image* img = nullptr;
    try {
      img = &mem.add(spec.path, spec.base, spec.space);
    } catch (const arch::ImageError& e) {
      throw CommandError(e.what());
    }
    if (img->end() > limit) {
      throw CommandError(fmt::format(
          "image '{}': {} range [0x{:x}, 0x{:x}) extends beyond MAXPHYADDR ({} bits, 0x{:x})",
          img->path, to_string(spec.space), img->base, img->end(), maxphyaddr, limit));
    }
    if (img->size % arch::kPage4K != 0) {
      warnings.push_back(fmt::format(
          "image '{}': size 0x{:x} is not a multiple of 4 KiB (truncated?)", img->path, img->size));
    }
  }
  return warnings;
}

// The checks on CR3 and EPTP that make a walk meaningful at all (SPEC §9: one line, exit 2).
void check_roots(arch::ImageMemory& mem, const arch::AddressSpaceRoots& roots) {
  const unsigned m = roots.maxphyaddr;
  if (roots.nested) {
    if (!arch::ept::eptp::valid(roots.eptp, m)) {
      throw CommandError(fmt::format(
          "EPTP 0x{:x} is invalid: needs memory type UC (0) or WB (6) in bits 2:0, walk length 4 "
          "(bits 5:3 = 3), bits 11:7 and {}..63 clear",
          roots.eptp, m));
    }
    const std::uint64_t pml4 = arch::ept::eptp::pml4(roots.eptp, m);
    if (!mem.contains(ImageSpace::kHost, pml4, arch::kPage4K)) {
      throw CommandError(
          fmt::format("EPTP PML4 0x{:x} lies outside the loaded host-physical images", pml4));
    }
  }
  if (roots.cr3 & (arch::kPage4K - 1)) {
    throw CommandError(fmt::format(
        "CR3 0x{:x} is not 4 KiB aligned (low 12 bits look like a PCID; clear them, or give "
        "--cr4 with PCIDE set)",
        roots.cr3));
  }
  if (roots.cr3 >= arch::phys_limit(m)) {
    throw CommandError(fmt::format("CR3 0x{:x} is beyond MAXPHYADDR ({} bits)", roots.cr3, m));
  }
  const arch::GuestTableLocation loc = arch::locate_guest_table(mem, roots, roots.cr3, 0);
  if (!loc.ok()) {
    throw CommandError(
        fmt::format("CR3 gPA 0x{:x} cannot be walked: {}", roots.cr3, arch::describe(loc.fault)));
  }
  const bool in_guest = roots.nested && mem.contains(ImageSpace::kGuest, roots.cr3, arch::kPage4K);
  if (in_guest || mem.contains(ImageSpace::kHost, loc.hpa, arch::kPage4K)) return;
  const bool partly = (roots.nested && mem.contains(ImageSpace::kGuest, roots.cr3)) ||
                      mem.contains(ImageSpace::kHost, loc.hpa);
  const std::string where = roots.nested
                                ? fmt::format("CR3 0x{:x} (hPA 0x{:x})", roots.cr3, loc.hpa)
                                : fmt::format("CR3 0x{:x}", roots.cr3);
  if (partly) {
    throw CommandError(fmt::format(
        "{}: the PML4 page is cut off by the end of its image (truncated image?)", where));
  }
  throw CommandError(fmt::format("{} lies outside the loaded images", where));
}

// ---- --va ---------------------------------------------------------------------------------------

// Records every read the golden translator makes, in order: the value behind each walk reference.
class RecordingMemory final : public arch::PhysMem {
 public:
  struct Read {
    bool ok = false;
    std::uint64_t value = 0;
  };
  explicit RecordingMemory(arch::PhysMem& inner) : inner_(inner) {}
  bool read64(std::uint64_t pa, std::uint64_t& value) override {
    const bool ok = inner_.read64(pa, value);
    return record(ok, value);
  }
  bool write64(std::uint64_t pa, std::uint64_t value) override { return inner_.write64(pa, value); }
  bool read_guest_table64(std::uint64_t gpa, std::uint64_t hpa, std::uint64_t& value) override {
    const bool ok = inner_.read_guest_table64(gpa, hpa, value);
    return record(ok, value);
  }
  std::vector<Read> take() { return std::move(reads_); }

 private:
  bool record(bool ok, std::uint64_t value) {
    reads_.push_back({ok, ok ? value : 0});
    return ok;
  }
  arch::PhysMem& inner_;
  std::vector<Read> reads_;
};

struct Translation {
  arch::Access access;
  arch::TranslationResult result;
  std::vector<RecordingMemory::Read> reads;  // one per reference that is a read, in order
};

Translation translate(arch::PhysMem& mem, const arch::AddressSpaceRoots& roots,
                      const arch::Access& access) {
  arch::TranslationContext ctx;
  ctx.mode = roots.nested ? arch::Mode::kNested : arch::Mode::kNative;
  ctx.cr3 = roots.cr3;
  ctx.eptp = roots.eptp;
  ctx.maxphyaddr = roots.maxphyaddr;
  ctx.ad_updates = false;  // side-effect free: the images are read-only
  RecordingMemory recorder(mem);
  arch::GoldenTranslator golden(recorder);
  Translation t;
  t.access = access;
  t.result = golden.translate(ctx, access);
  t.reads = recorder.take();
  return t;
}

// The value behind reference `i`, if the walk read it (A/D writes never happen with ad_updates
// off).
const RecordingMemory::Read* value_of(const Translation& t, std::size_t i) {
  std::size_t read_index = 0;
  for (std::size_t k = 0; k < i; ++k) read_index += t.result.refs[k].write ? 0 : 1;
  if (t.result.refs[i].write || read_index >= t.reads.size()) return nullptr;
  return &t.reads[read_index];
}

std::string ref_purpose(const arch::MemRef& ref) {
  if (ref.target == arch::RefTarget::kGuestEntry) return "";
  return ref.for_level == 0 ? "final gPA" : fmt::format("gPA of guest L{} table", ref.for_level);
}

std::string flags_or_dash(std::uint8_t flags) {
  const std::string s = arch::flag_letters(flags);
  return s.empty() ? "-" : s;
}

void print_translation(TextOut& out, const Translation& t, bool nested) {
  const arch::TranslationResult& r = t.result;
  if (r.ok()) {
    const std::string flags = flags_or_dash(arch::mapping_flags(r.perms, r.guest_leaf));
    if (nested) {
      out.put(fmt::format("gva 0x{:016x} -> gpa 0x{:x} -> hpa 0x{:x}  {} (guest {}, ept {})  {}\n",
                          t.access.va, r.gpa, r.hpa, arch::to_string(r.size),
                          arch::to_string(r.guest_size), arch::to_string(r.host_size), flags));
    } else {
      out.put(fmt::format("va 0x{:016x} -> pa 0x{:x}  {}  {}\n", t.access.va, r.hpa,
                          arch::to_string(r.size), flags));
    }
  } else {
    out.put(fmt::format("{} 0x{:016x}: fault: {}\n", nested ? "gva" : "va", t.access.va,
                        arch::describe(r.fault)));
  }
  for (std::size_t i = 0; i < r.refs.size(); ++i) {
    const arch::MemRef& ref = r.refs[i];
    const RecordingMemory::Read* v = value_of(t, i);
    const std::string value = v == nullptr ? std::string("?")
                              : v->ok      ? fmt::format("0x{:016x}", v->value)
                                           : std::string("<outside the images>");
    const std::string purpose = ref_purpose(ref);
    out.put(fmt::format("  {} L{} @ hpa 0x{:x} = {}{}{}\n",
                        ref.target == arch::RefTarget::kGuestEntry ? "guest" : "ept  ", ref.level,
                        ref.addr, value, purpose.empty() ? "" : "  ; ", purpose));
  }
}

std::string hex_text(std::uint64_t v) { return fmt::format("0x{:x}", v); }

nlohmann::json fault_json(const arch::Fault& f) {
  return {{"kind", std::string(arch::to_string(f.kind))},
          {"stage", f.stage == arch::FaultStage::kGuestTable ? "guest-table"
                    : f.stage == arch::FaultStage::kFinal    ? "final"
                                                             : "none"},
          {"level", f.level},
          {"code", hex_text(f.code)},
          {"gva", hex_text(f.gva)},
          {"gpa", hex_text(f.gpa)},
          {"description", arch::describe(f)}};
}

nlohmann::json translation_json(const Translation& t, bool nested) {
  const arch::TranslationResult& r = t.result;
  nlohmann::json j;
  j["va"] = hex_text(t.access.va);
  j["access"] = t.access.type == arch::AccessType::kWrite     ? "w"
                : t.access.type == arch::AccessType::kExecute ? "x"
                                                              : "r";
  j["user"] = t.access.user;
  j["ok"] = r.ok();
  if (r.ok()) {
    if (nested) j["gpa"] = hex_text(r.gpa);
    j["pa"] = hex_text(r.hpa);
    j["size"] = std::string(arch::to_string(r.size));
    if (nested) {
      j["guest_size"] = std::string(arch::to_string(r.guest_size));
      j["host_size"] = std::string(arch::to_string(r.host_size));
    }
    j["flags"] = arch::flag_letters(arch::mapping_flags(r.perms, r.guest_leaf));
  } else {
    j["fault"] = fault_json(r.fault);
  }
  nlohmann::json refs = nlohmann::json::array();
  for (std::size_t i = 0; i < r.refs.size(); ++i) {
    const arch::MemRef& ref = r.refs[i];
    const RecordingMemory::Read* v = value_of(t, i);
    refs.push_back({{"target", ref.target == arch::RefTarget::kGuestEntry ? "guest" : "ept"},
                    {"level", ref.level},
                    {"for_level", ref.for_level},
                    {"addr", hex_text(ref.addr)},
                    {"value", v != nullptr && v->ok ? nlohmann::json(hex_text(v->value))
                                                    : nlohmann::json(nullptr)}});
  }
  j["refs"] = std::move(refs);
  return j;
}

// ---- --list -------------------------------------------------------------------------------------

enum class Format { kText, kQemu, kJson };

// Writes mappings as they stream in, keeps issues for the end, stops at the --max-mappings limit.
class ListWriter final : public arch::MappingSink {
 public:
  ListWriter(TextOut& out, Format format, bool nested, std::uint64_t limit)
      : out_(out), format_(format), nested_(nested), limit_(limit) {}

  bool on_mapping(const arch::Mapping& m) override {
    ++count_;
    switch (format_) {
      case Format::kText:
        text_line(m);
        break;
      case Format::kQemu:
        qemu_line(m);
        break;
      case Format::kJson:
        json_line(m);
        break;
    }
    return limit_ == 0 || count_ < limit_;
  }
  void on_issue(const arch::ListIssue& issue) override {
    if (issues_.size() < kIssuesKept) issues_.push_back(issue);
  }
  const std::vector<arch::ListIssue>& issues() const { return issues_; }

 private:
  void text_line(const arch::Mapping& m) {
    char flags[arch::mapping_flag::kCount];
    const std::size_t n = arch::write_flag_letters(m.flags, flags);
    out_.put("0x").hex_fixed(m.va).put(" 0x").hex_fixed(m.pa).put(' ');
    out_.put(arch::to_string(m.size)).put(' ');
    out_.put(n == 0 ? std::string_view("-") : std::string_view(flags, n)).put('\n');
  }
  void qemu_line(const arch::Mapping& m) {
    namespace pte = arch::pte;
    const std::uint64_t e = m.guest_leaf;
    const bool large = m.guest_size != arch::PageSize::k4K;  // PS of a PDE/PDPTE, PAT of a PTE
    const char bits[] = {(e & pte::kXD) ? 'X' : '-',  (e & pte::kG) ? 'G' : '-',
                         large ? 'P' : '-',           (e & pte::kD) ? 'D' : '-',
                         (e & pte::kA) ? 'A' : '-',   (e & pte::kPCD) ? 'C' : '-',
                         (e & pte::kPWT) ? 'T' : '-', (e & pte::kUS) ? 'U' : '-',
                         (e & pte::kRW) ? 'W' : '-',  '\n'};
    out_.hex_fixed(m.va).put(": ").hex_fixed(m.pa).put(' ');
    out_.put(std::string_view(bits, sizeof bits));
  }
  void json_line(const arch::Mapping& m) {
    char flags[arch::mapping_flag::kCount];
    const std::size_t n = arch::write_flag_letters(m.flags, flags);
    out_.put(count_ == 1 ? "\n{\"va\":\"0x" : ",\n{\"va\":\"0x").hex(m.va);
    if (nested_) out_.put("\",\"gpa\":\"0x").hex(m.gpa);
    out_.put("\",\"pa\":\"0x").hex(m.pa).put("\",\"size\":\"").put(arch::to_string(m.size));
    out_.put("\",\"flags\":\"").put(std::string_view(flags, n)).put("\"}");
  }

  TextOut& out_;
  Format format_;
  bool nested_;
  std::uint64_t limit_;
  std::uint64_t count_ = 0;
  std::vector<arch::ListIssue> issues_;
};

nlohmann::json issue_json(const arch::ListIssue& issue) {
  nlohmann::json j = {{"va", hex_text(issue.va)},
                      {"span", hex_text(issue.span)},
                      {"fault", fault_json(issue.fault)},
                      {"description", arch::describe(issue)}};
  if (issue.entry_read) {
    j["entry_addr"] = hex_text(issue.entry_addr);
    j["entry"] = hex_text(issue.entry);
  }
  return j;
}

// ---- the command --------------------------------------------------------------------------------

void run(const Options& o) {
  // Everything is parsed and checked before anything is printed.
  const std::uint64_t maxphyaddr = parse_u64(o.maxphyaddr, "--maxphyaddr");
  if (maxphyaddr < kMinMaxPhyAddr || maxphyaddr > arch::kDefaultMaxPhyAddr) {
    throw CommandError(fmt::format("--maxphyaddr: {} is outside {}..{}", maxphyaddr, kMinMaxPhyAddr,
                                   arch::kDefaultMaxPhyAddr));
  }
  arch::AddressSpaceRoots roots;
  roots.maxphyaddr = static_cast<unsigned>(maxphyaddr);
  roots.cr3 = parse_u64(o.cr3, "--cr3");
  if (!o.cr4.empty()) {
    // What the guest's CR4 says about its paging (QEMU's `info registers` shows it).
    constexpr std::uint64_t kPae = 1ull << 5, kLa57 = 1ull << 12, kPcide = 1ull << 17;
    const std::uint64_t cr4 = parse_u64(o.cr4, "--cr4");
    if ((cr4 & kPae) == 0)
      throw CommandError(fmt::format(
          "--cr4 {:#x}: PAE is clear, the guest uses 32-bit paging, which mmuvp does not model",
          cr4));
    if ((cr4 & kLa57) != 0)
      throw CommandError(fmt::format(
          "--cr4 {:#x}: LA57 is set, the guest uses 5-level paging, which mmuvp does not model "
          "(boot it with no5lvl, or on a CPU without la57)",
          cr4));
    if ((cr4 & kPcide) != 0) roots.cr3 &= ~(arch::kPage4K - 1);  // CR3 bits 11:0 are the PCID
  }
  roots.nested = !o.eptp.empty();
  if (roots.nested) roots.eptp = parse_u64(o.eptp, "--eptp");
  std::vector<std::uint64_t> vas;
  for (const std::string& v : o.vas) vas.push_back(parse_u64(v, "--va"));
  const std::uint64_t limit = parse_u64(o.max_mappings, "--max-mappings");
  if (vas.empty() && !o.list) throw CommandError("nothing to do: give --va ADDR... and/or --list");
  const Format format = o.json ? Format::kJson : o.format == "qemu" ? Format::kQemu : Format::kText;

  arch::ImageMemory mem;
  const std::vector<std::string> warnings =
      load_images(mem, o.images, roots.maxphyaddr, roots.nested);
  check_roots(mem, roots);
  for (const std::string& w : warnings)
    std::fputs(fmt::format("{}{}\n", kWarning, w).c_str(), stderr);

  TextOut out(stdout);
  if (format == Format::kJson) {
    out.put(fmt::format("{{\"mode\":\"{}\",\"cr3\":\"0x{:x}\"", roots.nested ? "nested" : "native",
                        roots.cr3));
    if (roots.nested) out.put(fmt::format(",\"eptp\":\"0x{:x}\"", roots.eptp));
    out.put(fmt::format(",\"maxphyaddr\":{}", roots.maxphyaddr));
  }

  arch::Access access;
  access.type = o.access == "w"   ? arch::AccessType::kWrite
                : o.access == "x" ? arch::AccessType::kExecute
                                  : arch::AccessType::kRead;
  access.user = !o.supervisor;
  if (!vas.empty()) {
    if (format == Format::kJson) out.put(",\"translations\":[");
    for (std::size_t i = 0; i < vas.size(); ++i) {
      access.va = vas[i];
      const Translation t = translate(mem, roots, access);
      if (format == Format::kJson) {
        out.put(i == 0 ? "\n" : ",\n").put(translation_json(t, roots.nested).dump());
      } else {
        print_translation(out, t, roots.nested);
      }
    }
    if (format == Format::kJson) out.put("\n]");
  }

  arch::ListStats stats;
  std::vector<arch::ListIssue> issues;
  if (o.list) {
    if (format == Format::kJson) out.put(",\"mappings\":[");
    ListWriter writer(out, format, roots.nested, limit);
    stats = arch::list_mappings(mem, roots, writer);
    issues = writer.issues();
    if (format == Format::kJson) {
      out.put(fmt::format("\n],\"count\":{},\"issues\":[", stats.mappings));
      for (std::size_t i = 0; i < issues.size(); ++i) {
        out.put(i == 0 ? "\n" : ",\n").put(issue_json(issues[i]).dump());
      }
      const nlohmann::json s = {{"guest_tables", stats.guest_tables},
                                {"guest_leaves", stats.guest_leaves},
                                {"issues", stats.issues},
                                {"ept_unmapped_bytes", stats.ept_unmapped_bytes},
                                {"stopped_at_limit", stats.stopped}};
      out.put("\n],\"stats\":").put(s.dump());
    }
  }
  if (format == Format::kJson) out.put("}\n");
  if (!out.flush() || std::fflush(stdout) != 0) throw CommandError("cannot write the output");

  if (!o.list) return;
  if (format != Format::kJson) {
    for (std::size_t i = 0; i < issues.size() && i < kIssuesShown; ++i) {
      std::fputs(fmt::format("{}{}\n", kWarning, arch::describe(issues[i])).c_str(), stderr);
    }
    if (stats.issues > kIssuesShown) {
      std::fputs(fmt::format("{}{} more entries could not be followed (--json lists them)\n",
                             kWarning, stats.issues - kIssuesShown)
                     .c_str(),
                 stderr);
    }
    if (stats.ept_unmapped_bytes != 0) {
      std::fputs(
          fmt::format("{}0x{:x} bytes of guest pages are not mapped by the EPT (not listed)\n",
                      kWarning, stats.ept_unmapped_bytes)
              .c_str(),
          stderr);
    }
    if (stats.stopped) {
      std::fputs(fmt::format("{}listing stopped after {} mappings (--max-mappings)\n", kWarning,
                             stats.mappings)
                     .c_str(),
                 stderr);
    }
  }
  if (stats.issues != 0) throw CLI::RuntimeError(kExitFailure);
}

}  // namespace

void register_pagetable(CLI::App& app) {
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("pagetable", kDescription);
  cmd->footer(kFooter);
  cmd->add_option("--image", options->images,
                  "[hpa:|gpa:]FILE[@BASE]: a raw memory image (repeatable; see below)")
      ->type_name("IMAGE")
      ->required()
      ->take_all();
  cmd->add_option("--cr3", options->cr3, "guest CR3: PML4 address (PA, or gPA with --eptp)")
      ->type_name("ADDR")
      ->required();
  cmd->add_option("--cr4", options->cr4,
                  "guest CR4: refuses 32-bit and 5-level paging; with PCIDE, CR3's low 12 bits "
                  "(the PCID) are ignored")
      ->type_name("VALUE");
  cmd->add_option("--eptp", options->eptp, "EPT pointer: addresses are gVAs, the EPT maps gPA->hPA")
      ->type_name("VALUE");
  cmd->add_option("--maxphyaddr", options->maxphyaddr, "physical address bits (32..52)")
      ->type_name("N")
      ->capture_default_str();
  cmd->add_option("--va", options->vas, "translate these addresses and print each walk")
      ->type_name("ADDR");
  cmd->add_option("--access", options->access, "access type of --va: r, w or x")
      ->type_name("TYPE")
      ->check(CLI::IsMember({"r", "w", "x"}))
      ->capture_default_str();
  cmd->add_flag("--supervisor", options->supervisor, "--va as a supervisor access (default user)");
  cmd->add_flag("--list", options->list, "list every leaf mapping, ascending by virtual address");
  auto* json = cmd->add_flag("--json", options->json, "print JSON instead of text");
  cmd->add_option("--format", options->format, "text format of --list: text or qemu")
      ->type_name("FMT")
      ->check(CLI::IsMember({"text", "qemu"}))
      ->capture_default_str()
      ->excludes(json);
  cmd->add_option("--max-mappings", options->max_mappings,
                  "stop the listing after N mappings (0: no limit)")
      ->type_name("N")
      ->capture_default_str();
  cmd->callback([options] { run(*options); });
}

}  // namespace mmuvp::tb
