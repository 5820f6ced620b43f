// Shadow paging (SPEC §6, seed 000's SPT): the VMM runs a guest process on a shadow page table,
// gVA -> hPA, that it builds from the guest's own page table (gVA -> gPA) and the VM's EPT
// (gPA -> hPA). The hardware walks the shadow table as a native 4-level table (MODE native, CR3 =
// the shadow root, the VM's VMID and the guest's PCID still tagging the TLBs), so a TLB miss costs
// at most 4 references instead of 24; the price is paid in VM exits:
//   - every store of the guest to one of its page-table pages traps (the VMM write-protects them)
//     and the VMM re-syncs the shadow entries under the written entry;
//   - every guest CR3 write traps (the VMM loads the shadow root of the new guest CR3, building it
//     on first use);
//   - a hardware #PF on the shadow table first reaches the VMM (a "hidden" fault): if the guest's
//     tables map the address (the shadow lagged, e.g. the gPA was not backed yet), the VMM backs
//     and fills it and the guest never sees the fault; otherwise the VMM injects the #PF.
// Each is counted here as one exit; the firmware charges each the configured exit cost.
//
// Per process (guest CR3) the VMM may also run nested paging instead (dynamic switching, SPEC
// §6, sw-stub/paging_policy.h): then the process has no shadow, its table stores do not trap,
// and the hardware runs MODE nested with the guest's CR3. CR3 writes still trap (the VMM must
// know which process runs to load its mode). set_shadowed switches a process either way, on
// every core where it is loaded, as one exit.
//
// Shadow leaves: a guest leaf of size S over gPA backed by an EPT leaf of size E becomes shadow
// leaves of size min(S, E) (smaller where alignment demands), permissions the guest's narrowed by
// the EPT's (no EPT write: read-only; no EPT execute: XD), the guest's A/D, PWT/PCD/PAT and G bits
// copied (the guest's A/D bits are not updated from the shadow: the stub's guest OS never reads
// them). gPAs the EPT does not back are left out of the shadow (a hidden fault backs them later).
// A guest leaf that maps one of the guest's own page-table frames would need a write-protected
// shadow alias; the stub's guest OS never creates one and the pager refuses it (StubError).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "arch/address.h"
#include "arch/mode.h"
#include "sw-stub/frame_allocator.h"
#include "sw-stub/host_table_memory.h"
#include "sw-stub/machine_bus.h"
#include "sw-stub/mapping_record.h"
#include "sw-stub/table_editor.h"

namespace mmuvp::stub {

class VirtualMachine;

struct ShadowStats {
  std::uint64_t table_write_exits = 0;   // guest stores to its page tables
  std::uint64_t cr3_exits = 0;           // guest CR3 writes
  std::uint64_t hidden_fault_exits = 0;  // hardware #PFs on the shadow table
  std::uint64_t injected_faults = 0;     // of those, the guest's own faults (injected)
  std::uint64_t shadow_roots = 0;        // shadow tables built
  std::uint64_t leaves_written = 0;      // shadow leaves installed
  std::uint64_t leaves_dropped = 0;      // shadow leaves removed by a re-sync
  std::uint64_t invalidations = 0;       // invalidation commands the VMM issued for the shadows
  std::uint64_t switch_exits = 0;        // processes switched between shadow and nested paging
  std::uint64_t exits() const {
    return table_write_exits + cr3_exits + hidden_fault_exits + switch_exits;
  }
};

class ShadowPager {
 public:
  // `bus`: the machine (host-physical memory, MMIO); shadow tables are allocated from `host`.
  // `shadow_by_default`: a process runs on a shadow from its first CR3 load (else nested until
  // set_shadowed).
  ShadowPager(VirtualMachine& vm, MachineBus& bus, FrameAllocator& host, bool preset_ad,
              bool shadow_by_default = true);
  ~ShadowPager();  // gives every shadow table frame back
  ShadowPager(const ShadowPager&) = delete;
  ShadowPager& operator=(const ShadowPager&) = delete;

  // ---- the guest's traps (the VM's guest bus calls these) -------------------------------------
  // True when `hpa` lies in a guest page-table page a shadow was built from (a write-protected
  // frame: a guest store there is a VM exit).
  bool protects(arch::hpa_t hpa) const;
  // The guest stored to its page-table memory at `hpa` (the store is done): one exit, and the
  // shadow entries under the written entry re-synced in every shadow built from that table.
  void table_written(arch::hpa_t hpa);
  // What the hardware of a core runs for the loaded process.
  struct Load {
    arch::hpa_t cr3 = 0;  // the shadow root, or the guest's CR3 under nested paging
    arch::Mode mode = arch::Mode::kNative;
  };
  // The guest wrote CR3 = `guest_cr3` (gPA of its PML4) on `core`, whose PCID is `pcid`: one
  // exit; returns what to load instead (a shadow is built on first use).
  Load cr3_written(unsigned core, arch::gpa_t guest_cr3, std::uint16_t pcid);
  // What `core` runs now (nothing before the guest's first CR3 write there).
  std::optional<Load> loaded(unsigned core) const;
  // The guest wrote PCID on `core` (no exit): the shadow there is tagged with it.
  void pcid_written(unsigned core, std::uint16_t pcid);
  // The guest CR3 loaded on `core` (what the guest reads back), if any.
  std::optional<arch::gpa_t> guest_cr3(unsigned core) const;

  // A hardware #PF (SDM error code `error_code`) on `core`'s shadow table at `gva`: one exit.
  // True when the guest's tables map `gva` and the shadow now does too (retry; the guest does not
  // see the fault); false when the fault is the guest's own (the VMM injects it).
  bool hidden_fault(unsigned core, arch::gva_t gva, std::uint64_t error_code);

  // ---- dynamic switching ----------------------------------------------------------------------
  bool shadowed(arch::gpa_t guest_cr3) const;  // the process runs (or will run) on a shadow
  bool shadowing(unsigned core) const;         // the process loaded on `core` runs on a shadow
  // Switches the process of `guest_cr3` to shadow (`on`) or nested paging: the shadow is built or
  // dropped (its table stores stop trapping), and every core where the process is loaded gets its
  // MODE and CR3 and loses the process's cached translations (INVPCID single context). One exit;
  // false and nothing done when the process already runs so.
  bool set_shadowed(arch::gpa_t guest_cr3, bool on);

  // Rebuilds every shadow from the guest tables and the EPT (after the VMM changed the EPT:
  // compaction, frame retirement) and invalidates the VM's TLB entries on the loaded cores.
  void resync_all();

  // ---- inspection -----------------------------------------------------------------------------
  std::optional<arch::hpa_t> shadow_root(arch::gpa_t guest_cr3) const;
  const MappingRecord* shadow_mappings(arch::gpa_t guest_cr3) const;  // gVA -> hPA leaves
  const ShadowStats& stats() const { return stats_; }

 private:
  struct Shadow {
    arch::gpa_t guest_cr3 = 0;
    std::unique_ptr<TableEditor<GuestTableFormat>> editor;
    bool active = false;                      // the process runs on it (else nested)
    MappingRecord record;                     // gVA -> hPA leaves as written
    std::map<unsigned, std::uint16_t> cores;  // where it is loaded, with the guest's PCID
  };
  // A guest page-table page as a shadow saw it: which shadow, its level, the first gVA it maps.
  struct TableUse {
    Shadow* shadow = nullptr;
    unsigned level = 0;
    arch::gva_t base = 0;
  };
  // An inclusive gVA range (the top of the address space has no exclusive end).
  struct Span {
    arch::gva_t lo = 0;
    arch::gva_t last = 0;
  };

  Shadow& shadow_of(arch::gpa_t guest_cr3);  // created on first use, active by default
  Load load_of(const Shadow& s) const;
  void sync(Shadow& s, Span span, unsigned level);
  void drop(Shadow& s, Span span, unsigned level);
  void populate(Shadow& s, arch::gpa_t table, unsigned level, arch::gva_t base, Span span);
  void shadow_leaf(Shadow& s, arch::gva_t va, arch::gpa_t gpa, arch::PageSize size,
                   std::uint64_t guest_flags, Span span);
  void invalidate(Shadow& s, const std::vector<Leaf>& dropped);
  std::uint64_t read_guest(arch::gpa_t gpa) const;

  VirtualMachine& vm_;
  MachineBus& bus_;
  HostTableMemory mem_;
  bool preset_ad_;
  bool shadow_by_default_;
  std::map<arch::gpa_t, std::unique_ptr<Shadow>> shadows_;  // by guest CR3
  std::map<arch::hpa_t, std::vector<TableUse>> tables_;     // guest table frames (write-protected)
  std::map<unsigned, Shadow*> loaded_;                      // per core
  ShadowStats stats_;
};

}  // namespace mmuvp::stub
