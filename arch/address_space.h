// Enumerates every leaf mapping of a guest address space (SPEC §8 "real page tables"): the walk
// `mmuvp pagetable --list` prints, the way QEMU's `info tlb` lists a guest's mappings.
//
// A depth-first walk over the x86-64 4-level tables from CR3, index 0..511 at every level, so the
// mappings come out ascending by (sign-extended, canonical) virtual address. Non-present entries
// are skipped. An entry the walk cannot follow -- reserved bits set, a table outside memory, a
// table gPA the EPT does not map -- is reported as an issue carrying the fault a supervisor read of
// that address would raise (the encoding, error code or exit qualification, is taken from
// GoldenTranslator::translate itself), and its subtree is skipped.
//
// Nested (EPT): each guest table's gPA is translated through the EPT (the access a walk makes: a
// read, or a write when EPTP enables A/D, as the golden translator checks it), and each guest
// leaf's gPA range is enumerated through the EPT leaves that back it: a mapping is the intersection
// of a guest page and an EPT page, so a guest 2 MiB page backed by 4 KiB EPT pages yields 512
// mappings of 4 KiB. Parts of a guest page the EPT leaves unmapped yield no mapping (counted in the
// stats); a guest page above the EPT's 48-bit input range is an issue.
//
// Flags of a mapping (letters, in this order): r readable (always natively; EPT R when nested),
// w writable at every guest level and in the EPT, x no XD at any guest level and EPT X, u user at
// every guest level, g global, a accessed, d dirty (these three from the guest leaf). They equal
// the permissions of GoldenTranslator's result for the same address.
//
// The walk reads memory only (no A/D updates) and allocates nothing per mapping: mappings stream to
// a sink, so an address space of millions of mappings lists in constant memory.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "arch/address.h"
#include "arch/fault.h"
#include "arch/phys_mem.h"
#include "arch/translation.h"

namespace mmuvp::arch {

// Flag bits of a mapping; kLetters[i] names bit i.
namespace mapping_flag {
constexpr std::uint8_t kR = 1u << 0;
constexpr std::uint8_t kW = 1u << 1;
constexpr std::uint8_t kX = 1u << 2;
constexpr std::uint8_t kU = 1u << 3;
constexpr std::uint8_t kG = 1u << 4;
constexpr std::uint8_t kA = 1u << 5;
constexpr std::uint8_t kD = 1u << 6;
constexpr unsigned kCount = 7;
constexpr char kLetters[kCount + 1] = "rwxugad";
}  // namespace mapping_flag

// Flags of a translation: r/w/x/u from the effective permissions, g/a/d from the guest leaf entry.
std::uint8_t mapping_flags(const Perms& perms, std::uint64_t guest_leaf);
// Writes the letters of `flags` (r w x u g a d order, absent ones omitted) to `out`, which must
// hold mapping_flag::kCount chars; returns how many were written (0 for no flags). No terminator.
std::size_t write_flag_letters(std::uint8_t flags, char* out);
std::string flag_letters(std::uint8_t flags);  // as write_flag_letters, "" for none

// What to enumerate.
struct AddressSpaceRoots {
  std::uint64_t cr3 =
      0;  // guest PML4 (gPA when nested, else PA); bits 11:0 and above MAXPHYADDR ignored
  bool nested = false;     // translate every gPA through the EPT at `eptp`
  std::uint64_t eptp = 0;  // EPT pointer (bit 6: A/D enable, which makes table accesses writes)
  unsigned maxphyaddr = kDefaultMaxPhyAddr;
};

struct Mapping {
  gva_t va = 0;                   // first virtual address, canonical (upper half sign-extended)
  gpa_t gpa = 0;                  // first gPA (== pa when not nested)
  hpa_t pa = 0;                   // first (host-)physical address
  PageSize size = PageSize::k4K;  // this mapping: the smaller of the guest and EPT pages
  PageSize guest_size = PageSize::k4K;  // the guest leaf's page
  std::uint8_t flags = 0;               // mapping_flag bits
  std::uint64_t guest_leaf = 0;         // the guest leaf entry as read
  std::uint64_t ept_leaf = 0;           // the EPT leaf entry as read (0 when not nested)
};

// An entry the enumeration could not follow; everything below it is skipped.
struct ListIssue {
  Fault fault;              // what a supervisor read of `va` raises (GoldenTranslator's fault)
  gva_t va = 0;             // first virtual address the entry (or the run of entries) covers
  std::uint64_t span = 0;   // bytes of virtual address space covered
  bool entry_read = false;  // `entry` was read at `entry_addr`
  hpa_t entry_addr = 0;     // host-physical address of the (first) entry that failed
  std::uint64_t entry = 0;  // that entry as read
};
std::string describe(const ListIssue& issue);  // one line

struct ListStats {
  std::uint64_t mappings = 0;      // passed to the sink
  std::uint64_t guest_leaves = 0;  // present, valid guest leaf entries
  std::uint64_t guest_tables = 0;  // guest paging-structure pages read (PML4 included)
  std::uint64_t issues = 0;
  std::uint64_t ept_unmapped_bytes = 0;  // bytes of guest pages that no EPT leaf maps
  bool stopped = false;                  // the sink ended the enumeration early
};

// Receives the enumeration in ascending virtual-address order (issues interleaved where they
// occur).
class MappingSink {
 public:
  virtual ~MappingSink() = default;
  virtual bool on_mapping(const Mapping& m) = 0;  // false stops the enumeration
  virtual void on_issue(const ListIssue& issue) = 0;
};

// Where a guest paging-structure page at gPA `table` lives in host memory, checked as a guest walk
// of `va` accesses it: through the EPT (a read, or a write when EPTP enables A/D), or the identity
// when not nested. On failure `fault` is what GoldenTranslator reports for that walk.
struct GuestTableLocation {
  Fault fault;              // kind kNone on success
  hpa_t hpa = 0;            // the table's host-physical address (on success)
  bool entry_read = false;  // on failure: `entry` was read at `entry_addr`
  hpa_t entry_addr = 0;     // on failure: the EPT entry that stopped the translation
  std::uint64_t entry = 0;  // on failure: that entry as read
  bool ok() const { return fault.ok(); }
};
GuestTableLocation locate_guest_table(PhysMem& mem, const AddressSpaceRoots& roots, gpa_t table,
                                      gva_t va);

// Enumerates the address space at `roots` in `mem` (read-only: read64 / read_guest_table64).
ListStats list_mappings(PhysMem& mem, const AddressSpaceRoots& roots, MappingSink& sink);

// Convenience for tests and small spaces: every mapping (and every issue, if `issues` is given).
std::vector<Mapping> list_mappings(PhysMem& mem, const AddressSpaceRoots& roots,
                                   std::vector<ListIssue>* issues = nullptr);

}  // namespace mmuvp::arch
