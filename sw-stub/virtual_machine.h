// One virtual machine as the VMM manages it (SPEC §5): its EPT in host-physical memory (every
// entry written through the bus), the record of every gPA -> hPA leaf, its VMID, its VMM segment
// over a contiguous host block, the escape filter for bad host frames inside the segment, EPT
// violation handling, host compaction, and the balloon/hotplug devices the guest OS uses. It is
// also the GuestPlatform the guest OS of this VM runs on.
//
// Contiguous host blocks. A VM may hold host blocks: a gPA range backed by one contiguous run of
// host frames (gPA g lives at hPA block + (g - range.lo)), built at creation (VmConfig::contiguous)
// or by compaction. Only such a range can carry the VMM segment. A bad frame inside a block is
// "displaced": its gPA is mapped by the EPT to a good frame elsewhere, and while the VMM segment
// covers it, the escape filter sends that gPA to the EPT walk. The EPT keeps mapping every backed
// gPA, segment or not, so escaped frames and filter false positives translate correctly.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "arch/address.h"
#include "arch/segment.h"
#include "sw-stub/frame_allocator.h"
#include "sw-stub/ept_editor.h"
#include "sw-stub/guest_platform.h"
#include "sw-stub/host_table_memory.h"
#include "sw-stub/machine_bus.h"
#include "sw-stub/mapping_record.h"
#include "sw-stub/range_set.h"
#include "sw-stub/shadow_pager.h"
#include "sw-stub/table_editor.h"

namespace mmuvp::stub {

struct VmConfig {
  std::uint16_t vmid = 1;
  std::uint64_t memory_bytes = 0;  // guest RAM (4 KiB multiple), not counting the I/O gap
  arch::PageSize host_pages = arch::PageSize::k4K;  // largest EPT leaf used for backing
  bool ept_ad = false;      // EPTP bit 6: the walker sets A/D in EPT entries
  bool io_gap = false;      // RAM that would overlap [3 GiB, 4 GiB) is placed from 4 GiB up
  bool contiguous = false;  // back each RAM range by one contiguous host block (segment-ready)
  bool prefault = true;     // back all RAM now; otherwise page by page on EPT violations
  bool preset_ad = false;   // write EPT entries with A (and D on leaves) already set
  // Shadow paging (sw-stub/shadow_pager.h): the guest runs on VMM-built shadow tables (MODE
  // native on its cores); its page-table stores and CR3 writes are VM exits.
  bool shadow_paging = false;
  // Dynamic switching (sw-stub/paging_policy.h): processes start on nested paging and the VMM
  // moves each between nested and shadow paging (ShadowPager::set_shadowed).
  bool dynamic_paging = false;
  // A flat EPT (mode flat-nested, arch/ept.h flat): 2 levels of 2 MiB nodes, 4K and 1G leaves
  // (host_pages 2M backs with 4K leaves).
  bool flat_ept = false;
};

// A gPA range backed by one contiguous run of host frames starting at `hpa`.
struct HostBlock {
  Range gpa;
  arch::hpa_t hpa = 0;
  arch::hpa_t host_of(arch::gpa_t g) const { return hpa + (g - gpa.lo); }
  Range host() const { return {hpa, hpa + gpa.bytes()}; }
};

struct VmStats {
  std::uint64_t ept_violations = 0;  // handled by backing a page
  std::uint64_t leaves_mapped = 0;   // EPT leaves written for backing
  std::uint64_t splits = 0;          // large EPT leaves split
  std::uint64_t pages_moved = 0;     // leaves moved by compaction or frame retirement
  std::uint64_t bytes_copied = 0;    // page contents copied
  std::uint64_t frames_retired = 0;  // bad host frames this VM moved off
  std::uint64_t invepts = 0;         // INVEPT commands issued (per core)
};

class VirtualMachine final : public GuestPlatform {
 public:
  // Builds the EPT root and the RAM backing. Created by Vmm::create_vm.
  VirtualMachine(MachineBus& bus, FrameAllocator& host, const VmConfig& config);
  ~VirtualMachine() override;  // gives every host frame (backing, blocks, EPT tables) back
  VirtualMachine(const VirtualMachine&) = delete;
  VirtualMachine& operator=(const VirtualMachine&) = delete;

  std::uint16_t vmid() const { return config_.vmid; }
  const VmConfig& config() const { return config_; }
  const VmStats& stats() const { return stats_; }

  // ---- EPT and its record ---------------------------------------------------------------------
  arch::hpa_t ept_root() const { return ept_->root(); }
  std::uint64_t eptp() const;
  std::size_t ept_tables() const { return ept_mem_.tables.size(); }
  const MappingRecord& ept_mappings() const { return record_; }
  std::optional<arch::hpa_t> lookup(arch::gpa_t gpa) const;  // from the record, no walk
  arch::hpa_t gpa_to_hpa(arch::gpa_t gpa) const;             // throws StubError if unbacked

  // An EPT violation at `gpa`: backs the page (the largest allowed leaf around it) and returns
  // true; false if `gpa` is not RAM or already backed (nothing the VMM can fix by backing).
  bool handle_ept_violation(arch::gpa_t gpa);

  // ---- the VMM segment and the escape filter --------------------------------------------------
  // Turns the VMM segment on over `gpa` (4 KiB aligned, inside one contiguous host block) on
  // every core this VM is loaded on. Displaced frames inside it become escaped frames.
  void set_vmm_segment(Range gpa);
  void clear_vmm_segment();  // the segment off: gPA -> hPA by the EPT walk only
  const arch::Segment& vmm_segment() const { return segment_; }
  const std::set<std::uint64_t>& escaped_frames() const { return escaped_; }  // gPA >> 12
  const std::vector<HostBlock>& host_blocks() const { return blocks_; }

  // A host frame went bad (the Vmm calls this after excluding it from allocation). If this VM
  // uses it, the gPA is remapped by the EPT to a good 4 KiB frame (splitting a large leaf; the
  // contents are copied) and, inside the VMM segment, escaped through the filter. Returns whether
  // this VM used the frame. A frame holding an EPT table cannot be retired (StubError).
  bool retire_host_frame(arch::hpa_t hpa);

  // Host compaction (seed §3): moves the backing of `gpa` into one contiguous host block, a few
  // pages per step, then turns the VMM segment on over it. While it runs the segment is off, so
  // VMM Direct works as nested and Dual Direct as Guest Direct.
  void begin_compaction(Range gpa);
  bool compaction_step(std::uint64_t max_leaves);  // true when finished (segment on)
  bool compacting() const { return compaction_.has_value(); }
  void compact(Range gpa);  // begin + steps until done

  // ---- MMU programming ------------------------------------------------------------------------
  // Loads this VM's context on `core`: EPTP, VMID, escape filter, VMM segment (staged + commit).
  // Later segment, filter and EPT changes are programmed on every loaded core (Vmm::load switches
  // a core from one VM to another).
  void program(unsigned core);
  void unload(unsigned core) { loaded_.erase(core); }
  const std::set<unsigned>& loaded_cores() const { return loaded_; }

  // ---- shadow paging (VmConfig::shadow_paging) ------------------------------------------------
  ShadowPager* shadow() { return shadow_.get(); }  // null unless shadow paging
  const ShadowPager* shadow() const { return shadow_.get(); }

  // ---- GuestPlatform --------------------------------------------------------------------------
  // The guest's view of the machine: the bus itself, or under shadow paging the bus with the
  // VMM's traps (page-table stores, CR3, MODE).
  MachineBus& bus() override { return shadow_ ? static_cast<MachineBus&>(guest_bus_) : bus_; }
  bool virtualized() const override { return true; }
  std::vector<Range> ram() const override { return ram_.ranges(); }
  arch::hpa_t host_address(arch::gpa_t gpa) override;
  void balloon_give(const std::vector<Range>& pages) override;
  Range hot_add(std::uint64_t bytes) override;
  void hot_unplug(Range r) override;

 private:
  // The machine as a guest under shadow paging sees it: stores to write-protected guest tables
  // and CR3/PCID writes trap to the ShadowPager; MODE writes keep the hardware in native mode
  // (the guest reads back what it wrote, as it does CR3).
  struct GuestBus final : MachineBus {
    explicit GuestBus(VirtualMachine& v) : vm(v) {}
    std::uint64_t mem_read64(arch::hpa_t hpa) override { return vm.bus_.mem_read64(hpa); }
    void mem_write64(arch::hpa_t hpa, std::uint64_t value) override;
    std::uint64_t mmio_read(unsigned core, std::uint32_t offset) override;
    arch::regs::RegStatus mmio_write(unsigned core, std::uint32_t offset,
                                     std::uint64_t value) override;
    unsigned cores() const override { return vm.bus_.cores(); }
    VirtualMachine& vm;
    std::map<unsigned, std::uint64_t> guest_mode;  // per core, as the guest wrote it
  };
  struct Compaction {
    Range gpa;
    arch::hpa_t block = 0;
    arch::gpa_t cursor = 0;
  };

  std::uint64_t leaf_flags() const;
  void map_leaf(arch::gpa_t gpa, arch::hpa_t hpa, arch::PageSize size);
  bool try_back(arch::gpa_t base, arch::PageSize size);
  void back_range(Range r);
  std::optional<HostBlock> block_for(arch::gpa_t gpa) const;  // includes a compaction target
  std::optional<HostBlock> block_holding(arch::hpa_t hpa) const;
  bool displaced(Range gpa) const;
  void split_leaf(const Leaf& leaf);
  void split_at(arch::gpa_t boundary);
  void move_leaf(const Leaf& leaf, arch::hpa_t to);
  void unback(Range r, bool free_host);
  void dissolve_blocks(Range gpa);
  void add_block(Range gpa, const FrameAllocator::SpanningRun& run);
  void escape(arch::gpa_t gpa);
  void flush_ept();
  void copy_frames(arch::hpa_t from, arch::hpa_t to, std::uint64_t bytes);
  Range ram_range_of(Range r, const char* what) const;
  void release_all() noexcept;

  MachineBus& bus_;
  FrameAllocator& host_;
  VmConfig config_;
  VmStats stats_;
  HostTableMemory ept_mem_;
  std::unique_ptr<EptEditor> ept_;
  MappingRecord record_;
  RangeSet ram_;
  std::vector<HostBlock> blocks_;
  std::set<std::uint64_t> displaced_;  // gPA frames of blocks whose host frame is bad
  arch::Segment segment_;
  std::set<std::uint64_t> escaped_;
  std::optional<Compaction> compaction_;
  std::set<unsigned> loaded_;
  std::unique_ptr<ShadowPager> shadow_;
  GuestBus guest_bus_{*this};
};

}  // namespace mmuvp::stub
