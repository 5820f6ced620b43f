// `mmuvp pagetable` against the firmware stub's own record of what it mapped (SPEC §8 "real page
// tables"). The stub (sw-stub/) builds the address spaces -- bare metal, and VMs whose EPT uses
// 4K, 2M and 1G host pages -- with processes of mixed 4K/2M/1G/THP pages in both canonical
// halves, holes, splits, re-protected parts, demand-paged pages, lazily backed guest memory and
// retired host frames. The machine's physical memory is written to a sparse raw image and the
// built binary (MMUVP_EXE) lists it; the listing must equal, line for line, what the process's
// MappingRecord and the VM's EPT record say: every guest leaf, cut by the EPT leaves behind it.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "arch/address.h"
#include "arch/ept.h"
#include "arch/golden_translator.h"
#include "arch/mode.h"
#include "arch/pte.h"
#include "arch/sparse_memory.h"
#include "sw-stub/bare_metal.h"
#include "sw-stub/guest_os.h"
#include "sw-stub/mapping_record.h"
#include "sw-stub/mmu_program.h"
#include "sw-stub/range_set.h"
#include "sw-stub/virtual_machine.h"
#include "sw-stub/vmm.h"
#include "tb/direct_bus.h"
#include "tests/tb/run_mmuvp.h"

#ifndef MMUVP_EXE
#error "MMUVP_EXE must name the mmuvp executable"
#endif

namespace mmuvp::test {
namespace {

namespace pte = arch::pte;
namespace ept = arch::ept;
using arch::PageSize;
using stub::Leaf;
using stub::MappingRecord;
using stub::PageFlags;
using stub::PagePolicy;
using stub::Range;

constexpr std::uint64_t k4K = arch::kPage4K;
constexpr std::uint64_t k2M = arch::kPage2M;
constexpr std::uint64_t k1G = arch::kPage1G;
constexpr std::uint64_t kMiB = 1ull << 20;
constexpr unsigned kCore = 0;
constexpr std::size_t kMaxTouchesPerProcess = 48;

// ---- sparse raw images --------------------------------------------------------------------------

// One 4 KiB frame for an image: its address in the image's space and its bytes.
struct Frame {
  std::uint64_t addr = 0;
  const std::uint8_t* data = nullptr;
};

struct ImageFile {
  std::string path;
  std::uint64_t base = 0;  // address of the file's byte 0 (the first frame)
  std::uint64_t size = 0;  // up to the end of the last frame
  std::size_t frames = 0;  // frames written; the rest of the file is holes
  std::string arg(const char* space = "") const {
    return fmt::format("'{}{}@{:#x}'", space, path, base);
  }
};

// Writes `frames` (ascending, distinct) as a raw image starting at the first frame: each frame is
// written at its offset, the untouched frames between them are never written (file holes), and
// the file ends with the last frame.
ImageFile write_sparse_image(const std::string& path, const std::vector<Frame>& frames) {
  if (frames.empty()) throw std::runtime_error("image " + path + ": no frame holds data");
  ImageFile img{path, frames.front().addr, frames.back().addr + k4K - frames.front().addr,
                frames.size()};
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + path);
  bool ok = true;
  for (const Frame& f : frames) {
    const off_t at = static_cast<off_t>(f.addr - img.base);
    ok = ok && ::pwrite(fd, f.data, k4K, at) == static_cast<ssize_t>(k4K);
  }
  ok = ok && ::ftruncate(fd, static_cast<off_t>(img.size)) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok) throw std::runtime_error("cannot write " + path);
  return img;
}

// The frames of `mem` that hold data in `r`, except those inside `skip`.
std::vector<Frame> present_frames(const arch::SparseMemory& mem, Range r,
                                  const stub::RangeSet* skip = nullptr) {
  std::vector<Frame> v;
  for (std::uint64_t a = r.lo; a < r.hi; a += k4K) {
    const std::uint8_t* data = mem.frame_if_present(a);
    if (data != nullptr && (skip == nullptr || !skip->contains(a))) v.push_back({a, data});
  }
  return v;
}

// Guest-physical memory as the guest sees it: every gPA frame the EPT record backs by a host
// frame that holds data (what QEMU's `pmemsave` of a guest would save).
std::vector<Frame> guest_physical_frames(const arch::SparseMemory& mem, const MappingRecord& ept) {
  std::vector<Frame> v;
  for (const auto& [in, run] : ept.runs()) {
    for (std::uint64_t off = 0; off < run.bytes; off += k4K) {
      const std::uint8_t* data = mem.frame_if_present(run.out + off);
      if (data != nullptr) v.push_back({run.in + off, data});
    }
  }
  return v;
}

// The host frames backing guest memory (EPT leaf outputs): left out of an EPT-only host image.
stub::RangeSet ept_outputs(const MappingRecord& ept) {
  stub::RangeSet s;
  for (const auto& [in, run] : ept.runs()) s.add(run.output());
  return s;
}

// ---- what the records say ---------------------------------------------------------------------

// Letters of `mmuvp pagetable --list` (r w x u g a d) for a guest leaf written with `guest` flags
// behind an EPT leaf with `ept_flags` (none natively). The stub writes intermediate entries of
// both formats granting everything (sw-stub/table_editor.h: P|RW|US guest tables, RWX EPT
// tables), so the leaves alone decide: r = EPT R (always natively), w = guest RW and EPT W, x = no
// guest XD and EPT X, u = guest US; g, a, d as in the guest leaf.
std::string expected_flags(std::uint64_t guest, std::optional<std::uint64_t> ept_flags) {
  const std::uint64_t e = ept_flags.value_or(ept::kRWX);
  std::string s;
  if (e & ept::kR) s += 'r';
  if ((guest & pte::kRW) && (e & ept::kW)) s += 'w';
  if (!(guest & pte::kXD) && (e & ept::kX)) s += 'x';
  if (guest & pte::kUS) s += 'u';
  if (guest & pte::kG) s += 'g';
  if (guest & pte::kA) s += 'a';
  if (guest & pte::kD) s += 'd';
  return s.empty() ? "-" : s;
}

struct ExpectedMapping {
  arch::gva_t va = 0;
  arch::gpa_t gpa = 0;
  arch::hpa_t pa = 0;
  PageSize size = PageSize::k4K;
  std::string flags;

  std::string text() const {
    return fmt::format("0x{:016x} 0x{:016x} {} {}", va, pa, arch::to_string(size), flags);
  }
  // The JSON object's fields in one line (gpa only when nested), for line-by-line comparison.
  std::string json_fields(bool nested) const {
    return fmt::format("{:#x} {}{:#x} {} {}", va, nested ? fmt::format("{:#x} ", gpa) : "", pa,
                       arch::to_string(size), flags);
  }
};

struct ExpectedListing {
  std::vector<ExpectedMapping> maps;
  std::uint64_t ept_unmapped_bytes = 0;  // bytes of guest pages no EPT leaf backs
};

// Every guest leaf of `guest`, ascending by gVA; with an EPT record each leaf is cut into the
// intersections with the EPT leaves backing its gPA range (a page of the smaller of the two sizes,
// both being aligned to their size), and the parts no EPT leaf backs are counted, not listed.
ExpectedListing expected_listing(const MappingRecord& guest, const MappingRecord* ept) {
  ExpectedListing x;
  guest.for_each_leaf([&](const Leaf& g) {
    if (ept == nullptr) {
      x.maps.push_back({g.in, g.out, g.out, g.size, expected_flags(g.flags, std::nullopt)});
      return;
    }
    const arch::gpa_t end = g.out + g.bytes();
    for (arch::gpa_t a = g.out; a < end;) {
      const std::optional<Leaf> h = ept->find_from(a);
      if (!h || h->in >= end) {
        x.ept_unmapped_bytes += end - a;
        break;
      }
      if (h->in > a) {
        x.ept_unmapped_bytes += h->in - a;
        a = h->in;
      }
      const PageSize size = std::min(g.size, h->size);
      const std::string flags = expected_flags(g.flags, h->flags);
      for (const arch::gpa_t piece_end = std::min(end, h->in + h->bytes()); a < piece_end;
           a += arch::page_bytes(size)) {
        x.maps.push_back({g.in + (a - g.out), a, h->translate(a), size, flags});
      }
    }
  });
  return x;
}

// "" when equal, else the sizes and the first line that differs.
std::string listing_difference(const std::vector<std::string>& got,
                               const std::vector<std::string>& want) {
  const std::size_t n = std::min(got.size(), want.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (got[i] != want[i]) {
      return fmt::format("{} lines, {} expected; line {} is\n  '{}'\nexpected\n  '{}'", got.size(),
                         want.size(), i, got[i], want[i]);
    }
  }
  if (got.size() != want.size()) {
    return fmt::format("{} lines, {} expected; first extra: '{}'", got.size(), want.size(),
                       got.size() > n ? got[n] : want[n]);
  }
  return "";
}

// ---- the machines -------------------------------------------------------------------------------

struct Case {
  const char* name;
  bool virtualized;
  std::uint64_t ram;        // guest RAM (bare metal: the machine's RAM)
  bool io_gap;              // RAM overlapping [3 GiB, 4 GiB) placed from 4 GiB up
  bool guest_preset_ad;     // guest leaves written with A and D
  PageSize host_pages;      // largest EPT leaf
  bool prefault;            // back all guest RAM up front (else on EPT violations)
  bool ept_ad;              // EPTP A/D enable
  bool ept_preset_ad;       // EPT leaves written with A and D
  bool retire_host_frames;  // mark host frames bad: EPT leaves split, pages (and a PML4) move
};

// Names the cases in the test list and in failure messages.
std::string case_name(const ::testing::TestParamInfo<Case>& info) { return info.param.name; }
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

// A machine as the stub leaves it: bare metal or a VMM with one VM, a guest OS with three
// processes. Process i was last context-switched in on core 0 when its setup ended; cr3_of() runs
// it there again and reads CR3 back from the MMU's registers.
class StubMachine {
 public:
  explicit StubMachine(const Case& c) : case_(c), golden_(machine_.memory) {
    stub::GuestOsConfig gc;
    gc.preset_ad = c.guest_preset_ad;
    if (c.virtualized) {
      vmm_ = std::make_unique<stub::Vmm>(machine_.bus, kHostMemory);
      stub::VmConfig vc;
      vc.memory_bytes = c.ram;
      vc.host_pages = c.host_pages;
      vc.io_gap = c.io_gap;
      vc.prefault = c.prefault;
      vc.ept_ad = c.ept_ad;
      vc.preset_ad = c.ept_preset_ad;
      vm_ = &vmm_->create_vm(vc);
      vmm_->load(kCore, *vm_);
      os_ = std::make_unique<stub::GuestOs>(*vm_, gc);
    } else {
      bare_ = std::make_unique<stub::BareMetal>(machine_.bus, c.ram, c.io_gap);
      os_ = std::make_unique<stub::GuestOs>(*bare_, gc);
    }
    os_->set_mode(kCore, c.virtualized ? arch::Mode::kNested : arch::Mode::kNative);
    stub::mmu::set_ad_updates(machine_.bus, kCore, false);  // memory stays as the stub wrote it
    const bool big = c.ram >= 2 * k1G;
    build_process_1(big);
    build_process_2(big);
    build_process_3(big);
    for (stub::Process* p : procs_) touch_some(*p);
    if (c.retire_host_frames) retire_host_frames();
  }

  const Case& config() const { return case_; }
  std::size_t processes() const { return procs_.size(); }
  const stub::Process& process(std::size_t i) const { return *procs_.at(i); }
  stub::VirtualMachine* vm() const { return vm_; }
  const MappingRecord* ept_record() const { return vm_ ? &vm_->ept_mappings() : nullptr; }
  const arch::SparseMemory& memory() const { return machine_.memory; }

  // Runs process `i` on core 0 and returns the CR3 and EPTP the MMU holds for it.
  std::pair<std::uint64_t, std::uint64_t> roots_of(std::size_t i) {
    os_->context_switch(kCore, *procs_.at(i));
    const arch::TranslationContext& ctx = machine_.context(kCore);
    return {ctx.cr3, ctx.eptp};
  }

  // The physical memory the stub manages: the Vmm's host range, or bare metal's RAM.
  Range physical_range() const {
    if (vmm_) return kHostMemory;
    const std::vector<Range> ram = bare_->ram();
    return {0, ram.back().hi};
  }

 private:
  static constexpr Range kHostMemory{0, 8 * k1G};

  stub::Process& start_process(std::uint16_t pcid) {
    stub::Process& p = os_->create_process(pcid);
    procs_.push_back(&p);
    os_->context_switch(kCore, p);
    return p;
  }

  // User text, data, 2M heap partly re-protected, a 1G mapping with a hole (split twice), a THP
  // region from an unaligned start with a hole across a 2M boundary, kernel mappings (global,
  // supervisor, XD, cache attributes, PAT) and a demand-paged area touched in a few pages.
  void build_process_1(bool big) {
    stub::Process& p = start_process(1);
    const PageFlags code{false, true, true, false, 0};
    const PageFlags data{true, true, false, false, 0};
    os_->map(p, 0x400000, 37 * k4K, PagePolicy::k4K, code);
    os_->map(p, 0x600000, 64 * k4K, PagePolicy::k4K, data);
    os_->map(p, 0x40000000, 6 * k2M, PagePolicy::k2M, data);
    os_->protect(p, 0x40100000, 4 * kMiB, code);
    if (big) {
      os_->map(p, 0x8000000000, k1G, PagePolicy::k1G, PageFlags{false, true, false, false, 0});
      os_->unmap(p, 0x8000000000 + 0x12345000, 3 * k4K);
    }
    os_->map(p, 0x10000123000, 1500 * k4K, PagePolicy::kThp, data);
    os_->unmap(p, 0x100003fe000, 5 * k4K);
    const PageFlags kdata{true, false, false, true, 0};
    os_->map(p, 0xffff888000000000, 3 * k2M, PagePolicy::k2M, kdata);
    os_->map(p, 0xffffffff81000000, 2 * k2M, PagePolicy::k2M,
             PageFlags{false, false, true, true, 0});
    os_->map(p, 0xffffc90000000000, 20 * k4K, PagePolicy::k4K,
             PageFlags{true, false, false, false, pte::kPCD | pte::kPWT});
    os_->map(p, 0xffffc90000100000, 4 * k4K, PagePolicy::k4K,
             PageFlags{true, false, false, false, pte::kPS});  // PAT, in 4 KiB form
    os_->reserve_area(p, 0x800000, 32 * k4K, data);
    for (std::uint64_t page : {0u, 1u, 7u, 8u, 31u}) touch(0x800000 + page * k4K + 0x10);
  }

  // A kernel 1G page, 2M pages with one unmapped whole, the last pages of the user half, the
  // first of the kernel half and a user page near its top, a THP region re-protected across 2M
  // boundaries.
  void build_process_2(bool big) {
    stub::Process& p = start_process(2);
    if (big) {
      os_->map(p, 0xffffa00000000000, k1G, PagePolicy::k1G, PageFlags{true, false, false, true, 0});
    }
    os_->map(p, 0x7f0000000000, 5 * k2M, PagePolicy::k2M, PageFlags{true, true, true, false, 0});
    os_->unmap(p, 0x7f0000200000, k2M);
    os_->map(p, 0x7fffffff0000, 16 * k4K, PagePolicy::k4K);
    os_->map(p, 0xffff800000000000, 8 * k4K, PagePolicy::k4K,
             PageFlags{true, false, false, false, 0});
    os_->map(p, 0xffffffffff600000, k4K, PagePolicy::k4K, PageFlags{false, true, true, false, 0});
    os_->map(p, 0x100000000, 16 * kMiB, PagePolicy::kThp);
    os_->protect(p, 0x100000000 + 3 * kMiB, 2 * kMiB, PageFlags{false, true, true, true, 0});
    os_->unmap(p, 0x100000000 + 9 * kMiB, 3 * k4K);
  }

  // The primary region (contiguous gPA, large pages), a user 1G page left whole, and a 4K region
  // with a read-only middle.
  void build_process_3(bool big) {
    stub::Process& p = start_process(3);
    os_->map_primary_region(p, 0x20000000000, big ? 256 * kMiB : 32 * kMiB, PagePolicy::kThp);
    if (big) os_->map(p, 0x28000000000, k1G, PagePolicy::k1G);
    os_->map(p, 0x30000000000, 300 * k4K, PagePolicy::k4K);
    os_->protect(p, 0x30000000000 + 100 * k4K, 50 * k4K, PageFlags{false, true, false, false, 0});
  }

  // A supervisor read by the process running on core 0, with the stub's fault handlers in the
  // loop until it translates: the guest OS maps demand-paged pages, the VMM backs guest memory.
  void touch(arch::gva_t va) {
    arch::Access a;
    a.va = va;
    a.type = arch::AccessType::kRead;
    a.user = false;
    for (int attempt = 0; attempt < 4; ++attempt) {
      const arch::TranslationResult r = golden_.translate(machine_.context(kCore), a);
      if (r.ok()) return;
      if (r.fault.kind == arch::FaultKind::kGuestPageFault &&
          os_->handle_page_fault(kCore, r.fault) == stub::FaultOutcome::kMapped)
        continue;
      if (r.fault.kind == arch::FaultKind::kEptViolation && vm_ != nullptr &&
          vm_->handle_ept_violation(r.fault.gpa))
        continue;
      throw std::logic_error("touch: " + arch::describe(r.fault));
    }
    throw std::logic_error(fmt::format("touch of {:#x}: still faulting", va));
  }

  // The first and middle page of some runs of the process: with lazy backing, the guest memory
  // behind them gets backed, the rest stays unbacked.
  void touch_some(stub::Process& p) {
    os_->context_switch(kCore, p);
    std::vector<arch::gva_t> vas;
    for (const auto& [in, run] : p.mappings().runs()) {
      vas.push_back(run.in);
      vas.push_back(run.in + (run.bytes / 2 & ~(k4K - 1)));
    }
    const std::size_t step = std::max<std::size_t>(1, vas.size() / kMaxTouchesPerProcess);
    for (std::size_t i = 0; i < vas.size(); i += step) touch(vas[i]);
  }

  // Host frames go bad: one behind process 2's kernel 1G page (its EPT leaf splits down to 4K, a
  // guest 1G page then lies over 2M and 4K EPT pages), one behind process 1's heap, and the one
  // holding process 3's PML4 (the guest table moves to another host frame).
  void retire_host_frames() {
    if (vm_ == nullptr) return;
    const auto host_of = [&](std::size_t proc, arch::gva_t va) -> std::optional<arch::hpa_t> {
      const std::optional<Leaf> g = procs_.at(proc)->mappings().find(va);
      if (!g) return std::nullopt;
      return vm_->lookup(g->translate(va));
    };
    std::vector<std::optional<arch::hpa_t>> bad = {host_of(1, 0xffffa00000000000 + 0x2345f000),
                                                   host_of(0, 0x40000000 + 0x7000),
                                                   vm_->lookup(procs_.at(2)->cr3())};
    for (const std::optional<arch::hpa_t>& h : bad)
      if (h) vmm_->mark_bad_frame(*h);
  }

  Case case_;
  tb::DirectMachine machine_;
  arch::GoldenTranslator golden_;
  std::unique_ptr<stub::Vmm> vmm_;
  stub::VirtualMachine* vm_ = nullptr;
  std::unique_ptr<stub::BareMetal> bare_;
  std::unique_ptr<stub::GuestOs> os_;
  std::vector<stub::Process*> procs_;
};

// ---- running the command ------------------------------------------------------------------------

// ---- the tests ----------------------------------------------------------------------------------

class StubImage : public ::testing::TestWithParam<Case> {
 protected:
  // Runs `mmuvp pagetable <args>`, stdout and stderr captured in files.
  Output pagetable(const std::string& args) { return run_mmuvp(dir_, "pagetable " + args); }

  // The --list checks of one process: text and JSON, exit status and warnings.
  void check_listing(const std::string& images, const std::string& roots, const stub::Process& p,
                     const ExpectedListing& want, bool nested) {
    std::vector<std::string> want_text;
    for (const ExpectedMapping& m : want.maps) want_text.push_back(m.text());
    const std::string unmapped_warning =
        want.ept_unmapped_bytes == 0
            ? ""
            : fmt::format(
                  "mmuvp pagetable: warning: {:#x} bytes of guest pages are not mapped by "
                  "the EPT (not listed)\n",
                  want.ept_unmapped_bytes);

    const Output text = pagetable(fmt::format("{} {} --list", images, roots));
    EXPECT_EQ(text.code, 0) << text.err;
    EXPECT_EQ(text.err, unmapped_warning);
    EXPECT_EQ(listing_difference(lines_of(text.out), want_text), "");

    const Output json = pagetable(fmt::format("{} {} --list --json", images, roots));
    EXPECT_EQ(json.code, 0) << json.err;
    EXPECT_EQ(json.err, "");
    const nlohmann::json j = nlohmann::json::parse(json.out);
    EXPECT_EQ(j["mode"], nested ? "nested" : "native");
    EXPECT_EQ(j["count"], want.maps.size());
    std::vector<std::string> got_json;
    for (const nlohmann::json& m : j["mappings"]) {
      const std::string gpa = nested ? m["gpa"].get<std::string>() + " " : "";
      got_json.push_back(fmt::format("{} {}{} {} {}", m["va"].get<std::string>(), gpa,
                                     m["pa"].get<std::string>(), m["size"].get<std::string>(),
                                     m["flags"].get<std::string>()));
    }
    std::vector<std::string> want_json;
    for (const ExpectedMapping& m : want.maps) want_json.push_back(m.json_fields(nested));
    EXPECT_EQ(listing_difference(got_json, want_json), "");
    EXPECT_EQ(j["issues"].size(), 0u);
    const nlohmann::json& s = j["stats"];
    EXPECT_EQ(s["guest_leaves"], p.mappings().leaf_count());
    EXPECT_EQ(s["guest_tables"], p.table_pages());
    EXPECT_EQ(s["ept_unmapped_bytes"], want.ept_unmapped_bytes);
    EXPECT_EQ(s["stopped_at_limit"], false);
  }

  // --va for addresses of recorded leaves (and one in a hole): each translation's first line
  // gives the (h)PA, page sizes and flags the records predict.
  void check_translations(const std::string& images, const std::string& roots,
                          const stub::Process& p, const MappingRecord* ept) {
    const std::vector<Leaf> leaves = p.mappings().leaves();
    ASSERT_FALSE(leaves.empty());
    std::vector<arch::gva_t> vas;
    for (std::size_t i : {std::size_t{0}, leaves.size() / 3, leaves.size() / 2,
                          leaves.size() * 4 / 5, leaves.size() - 1}) {
      const Leaf& l = leaves[i];
      vas.push_back(l.in + ((l.bytes() / 2 + 0x123) & (l.bytes() - 8)));
    }
    arch::gva_t hole = 0x10000000;  // no process maps [256 MiB, 1 GiB)
    ASSERT_FALSE(p.mappings().find(hole));
    vas.push_back(hole);

    std::string args = fmt::format("{} {} --supervisor --va", images, roots);
    std::vector<std::string> want;
    for (arch::gva_t va : vas) {
      args += fmt::format(" {:#x}", va);
      const std::optional<Leaf> g = p.mappings().find(va);
      if (!g) {
        want.push_back(fmt::format(
            "{} 0x{:016x}: fault: guest #PF gva={:#x} level=", ept ? "gva" : "va", va, va));
        continue;
      }
      const arch::gpa_t gpa = g->translate(va);
      if (ept == nullptr) {
        want.push_back(fmt::format("va 0x{:016x} -> pa {:#x}  {}  {}", va, gpa,
                                   arch::to_string(g->size),
                                   expected_flags(g->flags, std::nullopt)));
        continue;
      }
      const std::optional<Leaf> h = ept->find(gpa);
      if (!h) {
        want.push_back(
            fmt::format("gva 0x{:016x}: fault: EPT violation gpa={:#x} gva={:#x} "
                        "stage=final ",
                        va, gpa, va));
        continue;
      }
      want.push_back(fmt::format(
          "gva 0x{:016x} -> gpa {:#x} -> hpa {:#x}  {} (guest {}, ept {})  {}", va, gpa,
          h->translate(gpa), arch::to_string(std::min(g->size, h->size)), arch::to_string(g->size),
          arch::to_string(h->size), expected_flags(g->flags, h->flags)));
    }
    const Output r = pagetable(args);
    EXPECT_EQ(r.code, 0) << r.err;
    std::vector<std::string> heads;
    for (const std::string& line : lines_of(r.out))
      if (line.rfind("  ", 0) != 0) heads.push_back(line);
    ASSERT_EQ(heads.size(), want.size()) << r.out;
    for (std::size_t i = 0; i < want.size(); ++i) {
      if (want[i].find("fault: ") != std::string::npos) {
        EXPECT_EQ(heads[i].rfind(want[i], 0), 0u) << heads[i] << "\nexpected to start with\n"
                                                  << want[i];
      } else {
        EXPECT_EQ(heads[i], want[i]);
      }
    }
  }

  TempDir dir_;
};

TEST_P(StubImage, ListingEqualsTheStubRecords) {
  StubMachine m(GetParam());
  const MappingRecord* ept = m.ept_record();
  const bool nested = ept != nullptr;

  // The whole physical memory the stub wrote, as one sparse image.
  const std::vector<Frame> frames = present_frames(m.memory(), m.physical_range());
  const ImageFile host = write_sparse_image(dir_.file("phys.bin"), frames);
  RecordProperty("image_bytes", std::to_string(host.size));
  RecordProperty("image_frames", std::to_string(host.frames));

  // Nested, the same once more from two images: guest-physical memory (holding the guest tables)
  // and a host image holding only what the EPT does not map (the EPT itself).
  std::optional<ImageFile> guest, ept_only;
  if (nested) {
    guest = write_sparse_image(dir_.file("guest.bin"), guest_physical_frames(m.memory(), *ept));
    const stub::RangeSet backing = ept_outputs(*ept);
    ept_only = write_sparse_image(dir_.file("ept.bin"),
                                  present_frames(m.memory(), m.physical_range(), &backing));
    ASSERT_LT(ept_only->frames, host.frames);
  }

  std::uint64_t total = 0;
  for (std::size_t i = 0; i < m.processes(); ++i) {
    SCOPED_TRACE(fmt::format("process {}", i + 1));
    const stub::Process& p = m.process(i);
    const auto [cr3, eptp] = m.roots_of(i);
    ASSERT_EQ(cr3, p.cr3());
    std::string roots = fmt::format("--cr3 {:#x}", cr3);
    if (nested) {
      ASSERT_EQ(eptp, m.vm()->eptp());
      roots += fmt::format(" --eptp {:#x}", eptp);
    }
    const ExpectedListing want = expected_listing(p.mappings(), ept);
    ASSERT_FALSE(want.maps.empty());
    total += want.maps.size();
    const std::string image = "--image " + host.arg();
    check_listing(image, roots, p, want, nested);
    check_translations(image, roots, p, ept);
    if (nested) {
      const std::string split =
          fmt::format("--image {} --image {}", ept_only->arg("hpa:"), guest->arg("gpa:"));
      const Output r = pagetable(fmt::format("{} {} --list", split, roots));
      EXPECT_EQ(r.code, 0) << r.err;
      std::vector<std::string> want_text;
      for (const ExpectedMapping& mp : want.maps) want_text.push_back(mp.text());
      EXPECT_EQ(listing_difference(lines_of(r.out), want_text), "") << "gpa: + EPT-only images";
    }
  }
  RecordProperty("mappings", std::to_string(total));
}

// The case machines themselves have what the listing is meant to be checked on.
TEST_P(StubImage, CasesHaveTheIntendedShapes) {
  StubMachine m(GetParam());
  const Case& c = m.config();
  unsigned guest_sizes = 0;
  bool upper_half = false, lower_half = false;
  for (std::size_t i = 0; i < m.processes(); ++i) {
    m.process(i).mappings().for_each_leaf([&](const Leaf& l) {
      guest_sizes |= 1u << static_cast<unsigned>(l.size);
      if ((l.in >> (arch::kVirtualAddressBits - 1)) != 0) {
        upper_half = true;
      } else {
        lower_half = true;
      }
    });
  }
  EXPECT_TRUE(upper_half);
  EXPECT_TRUE(lower_half);
  const unsigned all = (1u << static_cast<unsigned>(PageSize::k4K)) |
                       (1u << static_cast<unsigned>(PageSize::k2M)) |
                       (c.ram >= 2 * k1G ? 1u << static_cast<unsigned>(PageSize::k1G) : 0u);
  EXPECT_EQ(guest_sizes, all);
  if (const MappingRecord* ept = m.ept_record()) {
    unsigned host_sizes = 0;
    ept->for_each_leaf([&](const Leaf& l) { host_sizes |= 1u << static_cast<unsigned>(l.size); });
    EXPECT_TRUE(host_sizes & (1u << static_cast<unsigned>(c.host_pages)));
    if (c.retire_host_frames) {
      EXPECT_GT(m.vm()->stats().splits, 0u);
      EXPECT_GT(m.vm()->stats().frames_retired, 0u);
    }
    const ExpectedListing x = expected_listing(m.process(0).mappings(), ept);
    EXPECT_EQ(x.ept_unmapped_bytes != 0, !c.prefault);
    // Some guest pages are cut into several mappings by smaller EPT pages; with retired frames
    // under a 1G EPT, the listing has mappings of all three sizes.
    std::uint64_t cut = 0;
    unsigned listed_sizes = 0;
    for (std::size_t i = 0; i < m.processes(); ++i) {
      const ExpectedListing l = expected_listing(m.process(i).mappings(), ept);
      for (std::size_t k = 1; k < l.maps.size(); ++k) {
        const std::optional<Leaf> a = m.process(i).mappings().find(l.maps[k - 1].va);
        cut += a && a->in == m.process(i).mappings().find(l.maps[k].va)->in ? 1 : 0;
      }
      for (const ExpectedMapping& mp : l.maps) listed_sizes |= 1u << static_cast<unsigned>(mp.size);
    }
    EXPECT_GT(cut, 0u);
    if (c.retire_host_frames && c.host_pages == PageSize::k1G) {
      EXPECT_EQ(listed_sizes, all);
    }
  }
}

// Names: bare metal (RAM, options), vm-<host page>-<backing>-<options>.
const Case kCases[] = {
    {"bare_metal_6g", false, 6 * k1G, false, false, PageSize::k4K, true, false, false, false},
    {"bare_metal_5g_io_gap_preset_ad", false, 5 * k1G, true, true, PageSize::k4K, true, false,
     false, false},
    {"vm_ept4k_prefault_512m", true, 512 * kMiB, false, false, PageSize::k4K, true, false, false,
     false},
    {"vm_ept2m_lazy_io_gap_ept_ad_retired", true, 5 * k1G, true, false, PageSize::k2M, false, true,
     false, true},
    {"vm_ept1g_prefault_preset_ad_retired", true, 4 * k1G, false, true, PageSize::k1G, true, false,
     true, true},
};

INSTANTIATE_TEST_SUITE_P(Stub, StubImage, ::testing::ValuesIn(kCases), case_name);

}  // namespace
}  // namespace mmuvp::test
