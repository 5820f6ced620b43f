// Hand-built address spaces shared by the lister tests and the `mmuvp pagetable` command tests.
// Every mapping is written the way an OS (guest tables) or a VMM (EPT) writes it; the tests state
// the mappings they expect from these descriptions.
#pragma once
#include <cstdint>
#include <string>

#include "arch/address.h"
#include "arch/ept.h"
#include "arch/pte.h"
#include "arch/sparse_memory.h"
#include "tests/tb/table_builder.h"

namespace mmuvp::test {

namespace pte = arch::pte;
namespace ept = arch::ept;
using arch::PageSize;

// Native: tables from PA 0x1000; the image holds [0, table end).
//   0x0000000000400000 4K -> 0x100000  P RW US A D        rwxuad
//   0x0000000000401000 4K -> 0x105000  P US (read-only)   rxu
//   0x0000000000402000    not present
//   0x0000000000403000 4K -> 0x200000  P RW XD            rw
//   0x0000000000404000 4K -> 0x220000  P RW US PAT        rwxu
//   0x0000000040000000 2M -> 0x80000000 P RW US G A       rwxuga
//   0x0000000040200000 2M PDE with bit 13 set: reserved (issue, level 2)
//   0x0000008000000000 1G -> 0x100000000 P US XD          ru
//   0x0000010000000000 4K -> 0x300000, PDPTE has XD       rwu
//   0x0000010040000000 4K -> 0x310000, PDE read-only      rxu
//   0x0000018000000000 4K -> 0x320000, PML4E supervisor   rwx
//   0x0000028000000000 PML4E with PS: reserved (issue, level 4)
//   0x0000030000000000 PML4E -> PDPT at 0x400000000000, outside the image (issue, memory error)
//   0xffff888000000000 2M -> 0x0       P RW G A D XD      rwgad
//   0xffff888000200000 2M -> 0x200000  P RW G A D XD      rwgad
//   0xffffffff81000000 2M -> 0x1000000 P G A (read-only)  rxga
struct NativeScenario {
  static constexpr std::uint64_t kOutsidePdpt = 0x4000'0000'0000ull;

  arch::SparseMemory mem;
  TableBuilder pt{mem, TableBuilder::Kind::kGuest, 0x1000};

  NativeScenario() {
    const std::uint64_t urw = pte::kRW | pte::kUS;
    pt.map(0x400000, 0x100000, PageSize::k4K, urw | pte::kA | pte::kD);
    pt.map(0x401000, 0x105000, PageSize::k4K, pte::kUS);
    pt.map(0x403000, 0x200000, PageSize::k4K, pte::kRW | pte::kXD);
    pt.map(0x404000, 0x220000, PageSize::k4K, urw | pte::kPS);  // bit 7 of a PTE is PAT
    pt.map(0x40000000, 0x80000000, PageSize::k2M, urw | pte::kG | pte::kA);
    pt.map(0x40200000, 0x80200000 | (1ull << 13), PageSize::k2M, urw);
    pt.map(0x8000000000, 0x100000000, PageSize::k1G, pte::kUS | pte::kXD);
    pt.map(0x10000000000, 0x300000, PageSize::k4K, urw);
    pt.write(pt.entry_addr(0x10000000000, 3), pt.read(pt.entry_addr(0x10000000000, 3)) | pte::kXD);
    pt.map(0x10040000000, 0x310000, PageSize::k4K, urw);
    pt.write(pt.entry_addr(0x10040000000, 2), pt.read(pt.entry_addr(0x10040000000, 2)) & ~pte::kRW);
    pt.map(0x18000000000, 0x320000, PageSize::k4K, urw);
    pt.write(pt.entry_addr(0x18000000000, 4), pt.read(pt.entry_addr(0x18000000000, 4)) & ~pte::kUS);
    pt.write(pt.root() + 8 * 5, pt.alloc_page() | pte::kP | pte::kRW | pte::kPS);
    pt.write(pt.root() + 8 * 6, kOutsidePdpt | pte::kP | pte::kRW | pte::kUS);
    const std::uint64_t kernel = pte::kRW | pte::kG | pte::kA | pte::kD | pte::kXD;
    pt.map(0xffff888000000000, 0x0, PageSize::k2M, kernel);
    pt.map(0xffff888000200000, 0x200000, PageSize::k2M, kernel);
    pt.map(0xffffffff81000000, 0x1000000, PageSize::k2M, pte::kG | pte::kA);
  }
  std::uint64_t cr3() const { return pt.root(); }
  std::uint64_t image_end() const { return pt.alloc_end(); }
  void save(const std::string& path) const { save_image(mem, 0, image_end(), path); }
};

// Nested: guest tables from gPA 0x1000 in `guest`; the EPT from hPA 0x100000 in `host`; the EPT
// maps the guest tables' 4K pages to hPA kTableOffset + gPA, where `host` holds a copy of them.
//   gVA 0x0000000000200000 2M -> gPA 0x40400000 over 4K EPT pages: EPT page i -> hPA
//       0x90000000 + (511 - i) * 4K, except i = 5 unmapped, i = 6 R-X (no w), i = 7 X only (no r)
//   gVA 0x0000000000400000 4K -> gPA 0x40005000, EPT 2M 0x40000000 -> hPA 0x80000000   rwxua
//   gVA 0x0000000000600000 4K -> gPA 0x40800000, EPT 4K -> hPA 0xa0000000 (a 24-reference walk)
//   gVA 0x0000000040000000 1G -> gPA 0x100000000, EPT 1G -> hPA 0x200000000           rwxua
//   gVA 0x0000000080000000 1G -> gPA 0x200000000 over EPT 2M pages i = 0, 1, 511 only: page i ->
//       hPA 0x400000000 + (i ^ 1) * 2M                                                  rwxu
//   gVA 0xffff800000000000 4K -> gPA 0x40600000, EPT 2M leaf W without R: misconfiguration
//   gVA 0xffff960000000000 PML4E (index 300) -> PDPT at gPA 0x70000000, not mapped by the EPT
struct NestedScenario {
  static constexpr std::uint64_t kTableOffset = 0x200000;
  static constexpr std::uint64_t kEptBase = 0x100000;
  static constexpr std::uint64_t kWb = ept::kMemTypeWB << ept::kMemTypeShift;
  static constexpr std::uint64_t kUnmappedPdpt = 0x70000000;

  arch::SparseMemory guest;
  arch::SparseMemory host;
  TableBuilder gpt{guest, TableBuilder::Kind::kGuest, 0x1000};
  TableBuilder ept_pt{host, TableBuilder::Kind::kEpt, kEptBase};

  NestedScenario() {
    const std::uint64_t urw = pte::kRW | pte::kUS | pte::kA;
    gpt.map(0x200000, 0x40400000, PageSize::k2M, urw | pte::kD);
    gpt.map(0x400000, 0x40005000, PageSize::k4K, urw);
    gpt.map(0x600000, 0x40800000, PageSize::k4K, urw);
    gpt.map(0x40000000, 0x100000000, PageSize::k1G, urw);
    gpt.map(0x80000000, 0x200000000, PageSize::k1G, pte::kRW | pte::kUS);
    gpt.map(0xffff800000000000, 0x40600000, PageSize::k4K, pte::kRW);
    gpt.write(gpt.root() + 8 * 300, kUnmappedPdpt | pte::kP | pte::kRW | pte::kUS);

    for (unsigned i = 0; i < 512; ++i) {
      if (i == 5) continue;
      const std::uint64_t rwx = i == 6 ? (ept::kR | ept::kX) : i == 7 ? ept::kX : ept::kRWX;
      ept_pt.map(0x40400000 + i * arch::kPage4K, 0x90000000 + (511 - i) * arch::kPage4K,
                 PageSize::k4K, rwx | kWb);
    }
    ept_pt.map(0x40000000, 0x80000000, PageSize::k2M, ept::kRWX | kWb);
    ept_pt.map(0x40800000, 0xa0000000, PageSize::k4K, ept::kRWX | kWb);
    ept_pt.map(0x100000000, 0x200000000, PageSize::k1G, ept::kRWX | kWb);
    for (unsigned i : {0u, 1u, 511u}) {
      ept_pt.map(0x200000000 + i * arch::kPage2M, 0x400000000 + (i ^ 1) * arch::kPage2M,
                 PageSize::k2M, ept::kRWX | kWb);
    }
    ept_pt.map(0x40600000, 0x60000000, PageSize::k2M, ept::kW | kWb);
    // Last: the guest tables are all allocated now.
    for (std::uint64_t g = gpt.alloc_base(); g < gpt.alloc_end(); g += arch::kPage4K) {
      ept_pt.map(g, kTableOffset + g, PageSize::k4K, ept::kRWX | kWb);
    }
    copy_range(guest, gpt.alloc_base(), gpt.alloc_end(), host, kTableOffset + gpt.alloc_base());
  }

  std::uint64_t cr3() const { return gpt.root(); }
  std::uint64_t eptp(bool ad = false) const { return ept::eptp::make(ept_pt.root(), ad); }
  // Host memory with the EPT and the copies of the guest tables: [kEptBase, host_end()).
  std::uint64_t host_end() const { return kTableOffset + gpt.alloc_end(); }
  void save_host(const std::string& path) const { save_image(host, kEptBase, host_end(), path); }
  // Only the EPT: the guest tables must then come from a gpa: image.
  void save_ept_only(const std::string& path) const {
    save_image(host, kEptBase, ept_pt.alloc_end(), path);
  }
  // Guest-physical memory [0, guest tables' end).
  void save_guest(const std::string& path) const { save_image(guest, 0, gpt.alloc_end(), path); }
};

}  // namespace mmuvp::test
