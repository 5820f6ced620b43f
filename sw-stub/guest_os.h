// The guest OS of the firmware stub (SPEC §5): processes with their own x86-64 4-level page tables
// (written entry by entry into guest-physical memory) and PCIDs; mappings with 4K/2M/1G pages or
// transparent huge pages, permissions and global pages; a primary region (contiguous gVA backed by
// contiguous gPA, also mapped by the page table) for the guest segment; context switches that
// save and restore BASE_G/LIMIT_G/OFFSET_G over MMIO; demand paging; TLB shootdowns; and the
// fragmentation remedies of seed §3 (self-ballooning, moving RAM out from below the I/O gap).
//
// It runs on a GuestPlatform: a VM (guest-physical memory through the VMM's backing) or bare metal
// (gPA == hPA). Every leaf it writes is kept in the process's MappingRecord with its flags exactly
// as written.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "arch/address.h"
#include "arch/fault.h"
#include "arch/mode.h"
#include "arch/segment.h"
#include "sw-stub/frame_allocator.h"
#include "sw-stub/guest_platform.h"
#include "sw-stub/mapping_record.h"
#include "sw-stub/range_set.h"
#include "sw-stub/table_editor.h"

namespace mmuvp::stub {

// Page size of a mapping request. kThp: 2 MiB where a 2 MiB aligned piece fits inside the request
// (and a 2 MiB frame is free), 4 KiB elsewhere.
enum class PagePolicy : std::uint8_t { k4K, k2M, k1G, kThp };
std::string_view to_string(PagePolicy p);                            // "4k", "2m", "1g", "thp"
std::optional<PagePolicy> parse_page_policy(std::string_view text);  // inverse, any case

struct PageFlags {
  bool writable = true;
  bool user = true;
  bool executable = false;  // false: XD set
  bool global = false;
  std::uint64_t cache = 0;  // PWT (bit 3), PCD (bit 4), PAT (bit 7) as in a 4 KiB PTE
};

struct GuestOsConfig {
  std::uint64_t reserved_low = 1ull << 20;  // gPA [0, 1 MiB): firmware's, never allocated
  bool preset_ad = false;  // write entries with A (and D on leaves) set: no A/D write-backs
};

struct GuestStats {
  std::uint64_t leaves_mapped = 0;
  std::uint64_t splits = 0;         // large leaves split (partial unmap/protect)
  std::uint64_t demand_faults = 0;  // page faults resolved by mapping a page
  std::uint64_t shootdowns = 0;     // invalidation commands issued
  std::uint64_t ballooned_bytes = 0;
};

enum class FaultOutcome : std::uint8_t {
  kMapped,  // the page is now mapped: retry the access
  kSegv,    // a real violation (outside any area, or not permitted): the process would be killed
};

class GuestOs;

class Process {
 public:
  std::uint16_t pcid() const { return pcid_; }
  arch::gpa_t cr3() const { return tables_->root(); }  // PML4 gPA
  // The guest segment of this process's context (disabled unless it has a primary region).
  const arch::Segment& guest_segment() const { return segment_; }
  std::optional<Range> primary_region() const { return primary_; }  // gVA range
  const MappingRecord& mappings() const { return record_; }         // gVA -> gPA leaves as written
  std::size_t table_pages() const { return tables_->table_count(); }
  const std::set<unsigned>& cores_run_on() const { return cores_; }

 private:
  friend class GuestOs;
  struct Area {
    std::uint64_t hi = 0;
    PageFlags flags;
  };

  std::uint16_t pcid_ = 0;
  std::unique_ptr<TableEditor<GuestTableFormat>> tables_;
  MappingRecord record_;
  arch::Segment segment_;
  std::optional<Range> primary_;
  std::map<std::uint64_t, Area> areas_;  // demand-paged areas: lo -> {hi, flags}
  std::set<unsigned> cores_;
};

class GuestOs {
 public:
  explicit GuestOs(GuestPlatform& platform, const GuestOsConfig& config = {});
  GuestOs(const GuestOs&) = delete;
  GuestOs& operator=(const GuestOs&) = delete;

  Process& create_process(std::uint16_t pcid);  // allocates its PML4; PCIDs are unique, < 4096

  // Maps [va, va + bytes) with fresh gPA frames. 4 KiB aligned (2M/1G: aligned to that size),
  // canonical, not overlapping an existing mapping. All or nothing: on error nothing stays mapped.
  void map(Process& p, arch::gva_t va, std::uint64_t bytes, PagePolicy policy,
           const PageFlags& flags = {});
  // Unmaps [va, va + bytes) (holes allowed; large pages cut by an edge are split), frees the gPA
  // frames and shoots the translations down on every core the process ran on.
  void unmap(Process& p, arch::gva_t va, std::uint64_t bytes);
  // New permissions for every mapped page of [va, va + bytes) (splitting at the edges).
  void protect(Process& p, arch::gva_t va, std::uint64_t bytes, const PageFlags& flags);
  // A demand-paged area: pages are mapped (4 KiB) by handle_page_fault on first touch.
  void reserve_area(Process& p, arch::gva_t va, std::uint64_t bytes, const PageFlags& flags = {});

  // The primary region (one per process): [va, va + bytes) backed by one contiguous gPA run
  // aligned like va (up to 1 GiB) and mapped by the page table with `policy`, read/write/user,
  // not executable. The process's guest segment becomes [va, va + bytes) -> that run; it is
  // programmed at once on the cores the process is running on. Returns the run's gPA.
  arch::gpa_t map_primary_region(Process& p, arch::gva_t va, std::uint64_t bytes,
                                 PagePolicy policy = PagePolicy::kThp);

  // Switches `core` to `next`: saves the outgoing process's guest segment (read over MMIO), then
  // writes CR3, PCID and next's guest segment (staged + SEG_COMMIT).
  void context_switch(unsigned core, Process& next);
  Process* current(unsigned core) const;
  void set_mode(unsigned core, arch::Mode mode);

  // A guest #PF delivered on `core` (for the process running there).
  FaultOutcome handle_page_fault(unsigned core, const arch::Fault& fault);

  // Self-ballooning (seed §3): the balloon takes `bytes` of free pages (the smallest free runs
  // first: the fragments), gives them to the VMM, which hot-adds the same amount contiguously
  // above the top of guest memory. Returns the new range (free, contiguous).
  Range balloon_inflate(std::uint64_t bytes);
  // Hot-unplugs the free RAM range `r` and has the same amount hot-added above the top: how RAM
  // below the I/O gap is moved up to join the contiguous memory above 4 GiB. Returns the new range.
  Range relocate_memory(Range r);

  FrameAllocator& allocator() { return alloc_; }
  const FrameAllocator& allocator() const { return alloc_; }
  GuestPlatform& platform() { return platform_; }
  const GuestStats& stats() const { return stats_; }
  const RangeSet& balloon() const { return balloon_; }  // gPA pages held by the balloon

 private:
  struct TableFrames final : TableMemory {
    TableFrames(GuestPlatform& p, FrameAllocator& a) : platform(p), alloc(a) {}
    std::uint64_t read(std::uint64_t gpa) override { return platform.read64(gpa); }
    void write(std::uint64_t gpa, std::uint64_t v) override { platform.write64(gpa, v); }
    std::uint64_t alloc_table(std::uint64_t) override { return alloc.alloc(arch::PageSize::k4K); }
    void free_table(std::uint64_t gpa, std::uint64_t) override {
      alloc.free({gpa, gpa + arch::kPage4K});
    }
    GuestPlatform& platform;
    FrameAllocator& alloc;
  };

  std::uint64_t leaf_flags(const PageFlags& f) const;
  void map_leaf(Process& p, arch::gva_t va, arch::gpa_t gpa, arch::PageSize size,
                const PageFlags& f);
  void unmap_leaf(Process& p, const Leaf& leaf, bool free_frame);
  void split_leaf(Process& p, const Leaf& leaf);
  void split_at(Process& p, arch::gva_t boundary);
  void shootdown(Process& p, const std::vector<Leaf>& leaves);
  Range check_request(arch::gva_t va, std::uint64_t bytes, const char* what) const;

  GuestPlatform& platform_;
  GuestOsConfig config_;
  GuestStats stats_;
  FrameAllocator alloc_;
  TableFrames frames_;
  std::vector<std::unique_ptr<Process>> processes_;
  std::vector<Process*> current_;  // per core
  RangeSet balloon_;
};

}  // namespace mmuvp::stub
