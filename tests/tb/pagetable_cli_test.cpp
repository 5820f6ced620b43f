// `mmuvp pagetable` end to end: the built binary (MMUVP_EXE) run on image files of hand-built
// address spaces; its text, QEMU-style and JSON output, its walks, its errors and its speed.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "arch/address_space.h"
#include "arch/image_memory.h"
#include "tests/tb/run_mmuvp.h"
#include "tests/tb/scenarios.h"

#ifndef MMUVP_EXE
#error "MMUVP_EXE must name the mmuvp executable"
#endif

namespace mmuvp::test {
namespace {

class PagetableCli : public ::testing::Test {
 protected:
  // Runs `mmuvp pagetable <args>`; stdout and stderr are captured in files.
  Output run(const std::string& args) { return run_mmuvp(dir_, "pagetable " + args); }
  // A usage error: exit 2, nothing on stdout, one line on stderr naming the problem.
  void expect_error(const std::string& args, const std::string& what) {
    const Output r = run(args);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_EQ(r.out, "") << args;
    ASSERT_EQ(r.err_lines().size(), 1u) << args << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("mmuvp pagetable: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(what), std::string::npos) << "want '" << what << "' in: " << r.err;
  }
  std::string native_image() {
    const std::string path = dir_.file("native.bin");
    native_.save(path);
    return path;
  }
  std::string file(const std::string& name) const { return dir_.file(name); }

  TempDir dir_;
  NativeScenario native_;
};

// A small address space without problems: n 4K pages from gVA 0x10000000000, PA scattered.
struct CleanSpace {
  arch::SparseMemory mem;
  TableBuilder pt{mem, TableBuilder::Kind::kGuest, 0x1000};
  explicit CleanSpace(unsigned n) {
    for (unsigned i = 0; i < n; ++i) {
      pt.map(va(i), pa(i), PageSize::k4K, pte::kRW | pte::kUS | pte::kA);
    }
  }
  static std::uint64_t va(unsigned i) { return 0x10000000000ull + i * arch::kPage4K; }
  static std::uint64_t pa(unsigned i) { return 0x100000000ull + ((i * 7919ull) % 1000003) * 4096; }
};

TEST_F(PagetableCli, ListsTextLinesAscendingAndWarnsAboutBadEntries) {
  const std::string img = native_image();
  const Output r = run(fmt::format("--image '{}' --cr3 {:#x} --list", img, native_.cr3()));
  EXPECT_EQ(r.code, 1);  // the listing skipped entries
  const std::vector<std::string> lines = r.out_lines();
  ASSERT_EQ(lines.size(), 12u);
  EXPECT_EQ(lines[0], "0x0000000000400000 0x0000000000100000 4K rwxuad");
  EXPECT_EQ(lines[1], "0x0000000000401000 0x0000000000105000 4K rxu");
  EXPECT_EQ(lines[4], "0x0000000040000000 0x0000000080000000 2M rwxuga");
  EXPECT_EQ(lines[5], "0x0000008000000000 0x0000000100000000 1G ru");
  EXPECT_EQ(lines[9], "0xffff888000000000 0x0000000000000000 2M rwgad");
  EXPECT_EQ(lines[11], "0xffffffff81000000 0x0000000001000000 2M rxga");
  // The same as the library's enumeration, line for line.
  arch::ImageMemory mem;
  mem.add(img);
  arch::AddressSpaceRoots roots;
  roots.cr3 = native_.cr3();
  std::vector<arch::ListIssue> issues;
  const std::vector<arch::Mapping> maps = arch::list_mappings(mem, roots, &issues);
  ASSERT_EQ(maps.size(), lines.size());
  for (std::size_t i = 0; i < maps.size(); ++i) {
    EXPECT_EQ(lines[i],
              fmt::format("0x{:016x} 0x{:016x} {} {}", maps[i].va, maps[i].pa,
                          arch::to_string(maps[i].size), arch::flag_letters(maps[i].flags)));
  }
  const std::vector<std::string> warnings = r.err_lines();
  ASSERT_EQ(warnings.size(), issues.size());
  for (std::size_t i = 0; i < issues.size(); ++i) {
    EXPECT_EQ(warnings[i], "mmuvp pagetable: warning: " + arch::describe(issues[i]));
  }
}

TEST_F(PagetableCli, CleanSpaceExitsZeroAndMaxMappingsStops) {
  CleanSpace space(700);
  save_image(space.mem, 0, space.pt.alloc_end(), file("clean.bin"));
  const std::string base = fmt::format("--image '{}' --cr3 {} --list", file("clean.bin"),
                                       space.pt.root());  // decimal CR3
  Output r = run(base);
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.err, "");
  ASSERT_EQ(r.out_lines().size(), 700u);
  EXPECT_EQ(r.out_lines()[699],
            fmt::format("0x{:016x} 0x{:016x} 4K rwxua", CleanSpace::va(699), CleanSpace::pa(699)));
  r = run(base + " --max-mappings 5");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out_lines().size(), 5u);
  EXPECT_EQ(r.err, "mmuvp pagetable: warning: listing stopped after 5 mappings (--max-mappings)\n");
  r = run(base + " --max-mappings 5 --json");
  EXPECT_EQ(nlohmann::json::parse(r.out)["count"], 5);
  EXPECT_EQ(nlohmann::json::parse(r.out)["stats"]["stopped_at_limit"], true);
}

// CR4 as QEMU's `info registers` shows it: PCIDE lets CR3 carry a PCID; 32-bit and 5-level paging
// are refused rather than walked as 4-level tables.
TEST_F(PagetableCli, Cr4TellsThePagingModeAndThePcid) {
  const std::string image = fmt::format("--image '{}' --list", native_image());
  const Output plain = run(fmt::format("{} --cr3 {:#x}", image, native_.cr3()));
  const Output pcid =
      run(fmt::format("{} --cr3 {:#x} --cr4 0x20020", image, native_.cr3() | 0x5));  // PAE, PCIDE
  EXPECT_EQ(pcid.code, plain.code) << pcid.err;
  EXPECT_EQ(pcid.out, plain.out);
  const Output no_pcide = run(fmt::format("{} --cr3 {:#x} --cr4 0x20", image, native_.cr3() | 0x5));
  EXPECT_EQ(no_pcide.code, 2);
  EXPECT_NE(no_pcide.err.find("give --cr4 with PCIDE set"), std::string::npos) << no_pcide.err;
  const Output la57 = run(fmt::format("{} --cr3 {:#x} --cr4 0x1020", image, native_.cr3()));
  EXPECT_EQ(la57.code, 2);
  EXPECT_EQ(la57.err, "mmuvp pagetable: error: --cr4 0x1020: LA57 is set, the guest uses 5-level "
                      "paging, which mmuvp does not model (boot it with no5lvl, or on a CPU "
                      "without la57)\n");
  const Output pae = run(fmt::format("{} --cr3 {:#x} --cr4 0x0", image, native_.cr3()));
  EXPECT_EQ(pae.code, 2);
  EXPECT_NE(pae.err.find("32-bit paging"), std::string::npos) << pae.err;
  EXPECT_EQ(run(fmt::format("{} --cr3 {:#x} --cr4 zz", image, native_.cr3())).code, 2);
}

TEST_F(PagetableCli, QemuFormatShowsTheGuestLeafBits) {
  const Output r = run(
      fmt::format("--image '{}' --cr3 {:#x} --list --format qemu", native_image(), native_.cr3()));
  EXPECT_EQ(r.code, 1);
  const std::vector<std::string> lines = r.out_lines();
  ASSERT_EQ(lines.size(), 12u);
  EXPECT_EQ(lines[0], "0000000000400000: 0000000000100000 ---DA--UW");
  EXPECT_EQ(lines[2], "0000000000403000: 0000000000200000 X-------W");
  EXPECT_EQ(lines[3], "0000000000404000: 0000000000220000 -------UW");  // PAT is not PS
  EXPECT_EQ(lines[4], "0000000040000000: 0000000080000000 -GP-A--UW");
  EXPECT_EQ(lines[9], "ffff888000000000: 0000000000000000 XGPDA---W");
  EXPECT_EQ(lines[11], "ffffffff81000000: 0000000001000000 -GP-A----");
}

TEST_F(PagetableCli, JsonListHasMappingsCountAndIssues) {
  const Output r =
      run(fmt::format("--image '{}' --cr3 {:#x} --list --json", native_image(), native_.cr3()));
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "");  // everything is in the JSON
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["mode"], "native");
  EXPECT_EQ(j["count"], 12);
  ASSERT_EQ(j["mappings"].size(), 12u);
  EXPECT_EQ(j["mappings"][0],
            nlohmann::json(
                {{"va", "0x400000"}, {"pa", "0x100000"}, {"size", "4K"}, {"flags", "rwxuad"}}));
  EXPECT_EQ(j["mappings"][10]["va"], "0xffff888000200000");
  ASSERT_EQ(j["issues"].size(), 3u);
  EXPECT_EQ(j["issues"][0]["va"], "0x40200000");
  EXPECT_EQ(j["issues"][0]["span"], "0x200000");
  EXPECT_EQ(j["issues"][0]["fault"]["kind"], "guest-page-fault");
  EXPECT_EQ(j["issues"][0]["fault"]["level"], 2);
  EXPECT_EQ(j["issues"][2]["fault"]["kind"], "memory-error");
  EXPECT_EQ(j["stats"]["issues"], 3);
}

TEST_F(PagetableCli, TranslatesWithTheWalkNative) {
  const std::string img = native_image();
  const Output r =
      run(fmt::format("--image '{}' --cr3 {:#x} --va 0x400123 0x402000", img, native_.cr3()));
  EXPECT_EQ(r.code, 0);
  const std::vector<std::string> lines = r.out_lines();
  ASSERT_EQ(lines.size(), 2u + 4 + 4);
  EXPECT_EQ(lines[0], "va 0x0000000000400123 -> pa 0x100123  4K  rwxuad");
  const TableBuilder& pt = native_.pt;
  for (unsigned level = 4; level >= 1; --level) {
    const std::uint64_t addr = pt.entry_addr(0x400123, level);
    EXPECT_EQ(lines[5 - level],
              fmt::format("  guest L{} @ hpa {:#x} = 0x{:016x}", level, addr, pt.read(addr)));
  }
  EXPECT_EQ(lines[5],
            "va 0x0000000000402000: fault: guest #PF gva=0x402000 level=1 error=0x4 "
            "[NP R U]");
  EXPECT_EQ(lines[9],
            fmt::format("  guest L1 @ hpa {:#x} = 0x0000000000000000", pt.entry_addr(0x402000, 1)));
  // User access to a supervisor page faults; --supervisor reads it; a write to read-only faults.
  const std::string kernel =
      fmt::format("--image '{}' --cr3 {:#x} --va 0xffffffff81000010", img, native_.cr3());
  EXPECT_NE(run(kernel).out.find("fault: guest #PF gva=0xffffffff81000010 level=2 error=0x5"),
            std::string::npos);
  EXPECT_EQ(run(kernel + " --supervisor").out_lines()[0],
            "va 0xffffffff81000010 -> pa 0x1000010  2M  rxga");
  EXPECT_NE(run(kernel + " --supervisor --access w").out.find("error=0x3 [P W S]"),
            std::string::npos);
}

TEST_F(PagetableCli, TranslatesNestedWithAll24References) {
  NestedScenario sc;
  sc.save_host(file("host.bin"));
  const std::string args =
      fmt::format("--image '{}@{:#x}' --cr3 {:#x} --eptp {:#x} --va 0x600010", file("host.bin"),
                  NestedScenario::kEptBase, sc.cr3(), sc.eptp());
  const Output r = run(args);
  EXPECT_EQ(r.code, 0) << r.err;
  const std::vector<std::string> lines = r.out_lines();
  ASSERT_EQ(lines.size(), 25u);
  EXPECT_EQ(lines[0],
            "gva 0x0000000000600010 -> gpa 0x40800010 -> hpa 0xa0000010  4K (guest 4K, "
            "ept 4K)  rwxua");
  // Five EPT walks of 4 (the 4 guest tables, then the final gPA) around the 4 guest reads.
  for (unsigned walk = 0; walk < 5; ++walk) {
    for (unsigned level = 4; level >= 1; --level) {
      const std::string& line = lines[1 + walk * 5 + (4 - level)];
      EXPECT_EQ(line.rfind(fmt::format("  ept   L{} @ hpa ", level), 0), 0u) << line;
      EXPECT_NE(line.find(walk == 4 ? std::string("; final gPA")
                                    : fmt::format("; gPA of guest L{} table", 4 - walk)),
                std::string::npos)
          << line;
    }
    if (walk < 4) {
      const unsigned level = 4 - walk;
      const std::uint64_t gpa = sc.gpt.entry_addr(0x600010, level);
      EXPECT_EQ(lines[5 + walk * 5],
                fmt::format("  guest L{} @ hpa {:#x} = 0x{:016x}", level,
                            NestedScenario::kTableOffset + gpa, sc.gpt.read(gpa)));
    }
  }
  EXPECT_EQ(lines[1], fmt::format("  ept   L4 @ hpa {:#x} = 0x{:016x}  ; gPA of guest L4 table",
                                  sc.ept_pt.root(), sc.ept_pt.read(sc.ept_pt.root())));

  const nlohmann::json t = nlohmann::json::parse(run(args + " --json").out)["translations"][0];
  EXPECT_EQ(t["ok"], true);
  EXPECT_EQ(t["gpa"], "0x40800010");
  EXPECT_EQ(t["pa"], "0xa0000010");
  EXPECT_EQ(t["guest_size"], "4K");
  EXPECT_EQ(t["flags"], "rwxua");
  ASSERT_EQ(t["refs"].size(), 24u);
  const std::uint64_t last_ept_pte = sc.ept_pt.entry_addr(0x40800000, 1);
  EXPECT_EQ(t["refs"][23]["target"], "ept");
  EXPECT_EQ(t["refs"][23]["addr"], fmt::format("{:#x}", last_ept_pte));
  EXPECT_EQ(t["refs"][23]["value"], fmt::format("{:#x}", sc.ept_pt.read(last_ept_pte)));
  EXPECT_EQ(t["refs"][23]["for_level"], 0);

  // A gVA whose EPT entry is missing: the fault and the walk up to it.
  const Output f =
      run(fmt::format("--image '{}@{:#x}' --cr3 {:#x} --eptp {:#x} --va 0x205000", file("host.bin"),
                      NestedScenario::kEptBase, sc.cr3(), sc.eptp()));
  EXPECT_EQ(f.code, 0);
  EXPECT_EQ(f.out_lines()[0].rfind("gva 0x0000000000205000: fault: EPT violation gpa=0x40405000 "
                                   "gva=0x205000 stage=final level=1",
                                   0),
            0u)
      << f.out;
  EXPECT_EQ(f.out_lines().size(), 1u + 4 * 3 + 3 + 4);  // a 2M guest page: 3 guest levels
}

TEST_F(PagetableCli, NestedListingFromGpaAndHpaImagesMatchesTheCopy) {
  NestedScenario sc;
  sc.save_host(file("host.bin"));
  sc.save_ept_only(file("ept.bin"));
  sc.save_guest(file("guest.bin"));
  const std::string roots =
      fmt::format("--cr3 {:#x} --eptp {:#x} --list --json", sc.cr3(), sc.eptp());
  const Output copy =
      run(fmt::format("--image '{}@{:#x}' {}", file("host.bin"), NestedScenario::kEptBase, roots));
  const Output split =
      run(fmt::format("--image 'hpa:{}@{:#x}' --image 'gpa:{}' {}", file("ept.bin"),
                      NestedScenario::kEptBase, file("guest.bin"), roots));
  EXPECT_EQ(copy.code, 1);  // the scenario has two EPT issues
  EXPECT_EQ(split.code, 1);
  const nlohmann::json a = nlohmann::json::parse(copy.out);
  const nlohmann::json b = nlohmann::json::parse(split.out);
  EXPECT_EQ(a["mode"], "nested");
  EXPECT_EQ(a["count"], 517);
  EXPECT_EQ(a["mappings"], b["mappings"]);
  EXPECT_EQ(a["mappings"][0], nlohmann::json({{"va", "0x200000"},
                                              {"gpa", "0x40400000"},
                                              {"pa", "0x901ff000"},
                                              {"size", "4K"},
                                              {"flags", "rwxuad"}}));
  EXPECT_EQ(a["stats"]["ept_unmapped_bytes"], 4096 + 509 * (2 << 20));
  // Without the gpa: image the guest tables are outside the images: CR3 is refused.
  expect_error(
      fmt::format("--image '{}@{:#x}' {}", file("ept.bin"), NestedScenario::kEptBase, roots),
      fmt::format("CR3 {:#x} (hPA {:#x}) lies outside the loaded images", sc.cr3(),
                  NestedScenario::kTableOffset + sc.cr3()));
  // gpa: images only make sense with an EPT.
  expect_error(fmt::format("--image 'gpa:{}' --cr3 {:#x} --list", file("guest.bin"), sc.cr3()),
               "gpa: images need --eptp");
}

TEST_F(PagetableCli, NestedRootsAreChecked) {
  NestedScenario sc;
  sc.save_host(file("host.bin"));
  const std::string img =
      fmt::format("--image '{}@{:#x}'", file("host.bin"), NestedScenario::kEptBase);
  expect_error(fmt::format("{} --cr3 {:#x} --eptp {:#x} --list", img, NestedScenario::kUnmappedPdpt,
                           sc.eptp()),
               fmt::format("CR3 gPA {:#x} cannot be walked: EPT violation gpa={:#x}",
                           NestedScenario::kUnmappedPdpt, NestedScenario::kUnmappedPdpt));
  expect_error(fmt::format("{} --cr3 {:#x} --eptp {:#x} --list", img, sc.cr3(),
                           arch::ept::eptp::make(0x40000000, false)),
               "EPTP PML4 0x40000000 lies outside the loaded host-physical images");
  expect_error(fmt::format("{} --cr3 {:#x} --eptp {:#x} --list", img, sc.cr3(), sc.eptp() | 0x80),
               "is invalid: needs memory type UC (0) or WB (6)");
}

TEST_F(PagetableCli, BadInputIsAOneLineError) {
  const std::string img = native_image();
  const std::string cr3 = fmt::format("{:#x}", native_.cr3());
  expect_error(fmt::format("--image '{}' --cr3 {:#x} --list", img, native_.cr3() | 6),
               fmt::format("CR3 {:#x} is not 4 KiB aligned (low 12 bits look like a PCID; clear "
                           "them, or give --cr4 with PCIDE set)",
                           native_.cr3() | 6));
  expect_error(fmt::format("--image '{}' --cr3 12g --list", img),
               "--cr3: '12g' is not a number (hex 0x... or decimal)");
  expect_error(fmt::format("--image '{}' --cr3 0000000000001000 --list", img),
               "--cr3: '0000000000001000' is ambiguous; write hex with 0x");
  expect_error(fmt::format("--image '{}' --cr3 {} --va 0x40z", img, cr3), "--va: '0x40z'");
  expect_error(fmt::format("--image '{}@0x1g' --cr3 {} --list", img, cr3),
               "--image '" + img + "@0x1g': base: '0x1g' is not a number");
  expect_error(fmt::format("--image '{}' --cr3 {} --list --max-mappings -1", img, cr3),
               "--max-mappings: '-1' is not a number");
  expect_error(fmt::format("--image '{}' --cr3 {} --maxphyaddr 60 --list", img, cr3),
               "--maxphyaddr: 60 is outside 32..52");
  expect_error(fmt::format("--image '{}' --cr3 0x40000000000 --maxphyaddr 40 --list", img),
               "CR3 0x40000000000 is beyond MAXPHYADDR (40 bits)");
  expect_error(fmt::format("--image '{}' --cr3 {}", img, cr3), "nothing to do");
  expect_error(fmt::format("--image '{}' --list", img), "--cr3 is required");
  expect_error(fmt::format("--image '{}' --cr3 {} --list --access q", img, cr3), "--access");
  // Images.
  expect_error(fmt::format("--image '{}' --cr3 0x1000 --list", file("missing.bin")),
               "image '" + file("missing.bin") + "': No such file or directory");
  std::ofstream(file("empty.bin")).close();
  expect_error(fmt::format("--image '{}' --cr3 0x1000 --list", file("empty.bin")), "file is empty");
  std::ofstream(file("four.bin")) << "abcd";
  expect_error(fmt::format("--image '{}' --cr3 0x1000 --list", file("four.bin")),
               "4 bytes is smaller than one 8-byte entry");
  expect_error(fmt::format("--image '{}@0x800' --cr3 {} --list", img, cr3),
               "base 0x800 is not 4 KiB aligned");
  expect_error(fmt::format("--image '{}' --image '{}@0x1000' --cr3 {} --list", img, img, cr3),
               "overlaps image '" + img + "'");
  expect_error(fmt::format("--image '{}@{:#x}' --cr3 {} --maxphyaddr 40 --list", img,
                           (1ull << 40) - 0x1000, cr3),
               "extends beyond MAXPHYADDR (40 bits");
  expect_error(fmt::format("--image '{}' --cr3 {} --eptp 0x1000 --list", img, cr3),
               "EPTP 0x1000 is invalid");
  expect_error(
      fmt::format("--image '{}' --cr3 {:#x} --list", img, native_.image_end() + 0x10000),
      fmt::format("CR3 {:#x} lies outside the loaded images", native_.image_end() + 0x10000));
}

TEST_F(PagetableCli, TruncatedImages) {
  // Cut inside the PML4: refused. Cut after it: listed, with the missing tables as warnings.
  const std::string cut_pml4 = file("cut-pml4.bin");
  save_image(native_.mem, 0, native_.cr3() + 2048, cut_pml4);
  expect_error(fmt::format("--image '{}' --cr3 {:#x} --list", cut_pml4, native_.cr3()),
               fmt::format("CR3 {:#x}: the PML4 page is cut off by the end of its image "
                           "(truncated image?)",
                           native_.cr3()));
  const std::string cut = file("cut.bin");
  save_image(native_.mem, 0, native_.cr3() + 4096 + 100, cut);
  const Output r = run(fmt::format("--image '{}' --cr3 {:#x} --list", cut, native_.cr3()));
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");  // every table below the PML4 is beyond the end
  const std::vector<std::string> err = r.err_lines();
  ASSERT_GE(err.size(), 2u);
  EXPECT_EQ(err[0], fmt::format("mmuvp pagetable: warning: image '{}': size 0x{:x} is not a "
                                "multiple of 4 KiB (truncated?)",
                                cut, native_.cr3() + 4096 + 100));
  EXPECT_NE(err[1].find("memory error"), std::string::npos) << err[1];
}

TEST_F(PagetableCli, HelpDocumentsTheFormats) {
  const Output r = run("--help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("gpa:FILE"), std::string::npos);
  EXPECT_NE(r.out.find("0x<va: 16 hex digits> 0x<pa: 16 hex digits> <4K|2M|1G> <flags>"),
            std::string::npos);
}

// SPEC §8: an address space of ~100k mappings lists in seconds. The figure is printed and recorded.
TEST_F(PagetableCli, Lists100kMappingsInSeconds) {
  constexpr unsigned kMappings = 100000;
  CleanSpace space(kMappings);
  save_image(space.mem, 0, space.pt.alloc_end(), file("100k.bin"));
  const std::pair<const char*, const char*> kFormats[] = {
      {"", "seconds_text"}, {" --json", "seconds_json"}, {" --format qemu", "seconds_qemu"}};
  for (const auto& [format, key] : kFormats) {
    const auto start = std::chrono::steady_clock::now();
    const Output r = run(fmt::format("--image '{}' --cr3 {:#x} --list{}", file("100k.bin"),
                                     space.pt.root(), format));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_EQ(r.code, 0) << r.err;
    if (std::string(format) == " --json") {
      const nlohmann::json j = nlohmann::json::parse(r.out);
      EXPECT_EQ(j["count"], kMappings);
      EXPECT_EQ(j["mappings"][kMappings - 1]["va"],
                fmt::format("{:#x}", CleanSpace::va(kMappings - 1)));
    } else {
      EXPECT_EQ(r.out_lines().size(), kMappings);
    }
    std::printf("[ figure   ] 100k mappings, --list%s: %.3f s (process wall time)\n", format,
                seconds);
    RecordProperty(key, fmt::format("{:.3f}", seconds));
    EXPECT_LT(seconds, 10.0);
  }
}

}  // namespace
}  // namespace mmuvp::test
