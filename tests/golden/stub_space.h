// A seeded random machine whose address spaces are built by the firmware stub (sw-stub/), for the
// randomized golden-vs-reference comparison on what real system software writes. Unlike
// random_space.h (which writes entries directly), every table, segment and filter here comes from
// the stub's GuestOs / VirtualMachine / Vmm / BareMetal APIs:
//
// - native modes: bare metal, one guest OS running on two cores;
// - virtualized modes: a VMM with two VMs on cores 0 and 1: VM 1 backed up front (for the VMM
//   segment modes by contiguous host blocks, with its VMM segment over the RAM range holding the
//   primary region), VM 2 backed lazily on EPT violations (for the VMM segment modes its primary
//   run is then compacted into a host block and the VMM segment turned on over it); the host page
//   sizes of the two VMs differ and rotate with the variant;
// - per guest three processes with random regions of 4K/2M/1G/THP pages in both canonical halves,
//   random permissions (writable, user, XD, global, cache bits), holes (whole regions and parts
//   unmapped, which splits large pages), re-protected parts, demand-paged areas, and primary
//   regions (the guest segment) for two of them;
// - bad host frames marked through the Vmm, inside the VMM segments (data pages, a page-table root
//   and not-yet-backed frames), so the escape filter sends them to the EPT;
// - A/D write-back on or off per core, A/D bits preset or not per guest, EPT A/D per VM.
//
// It also states what the stub's own records predict for an access (record_difference) and hands
// faults to the stub's handlers (service), predicting their answer from the same records.
#pragma once
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "arch/mode.h"
#include "arch/phys_mem.h"
#include "arch/translation.h"
#include "sw-stub/bare_metal.h"
#include "sw-stub/guest_os.h"
#include "sw-stub/mapping_record.h"
#include "sw-stub/range_set.h"
#include "sw-stub/virtual_machine.h"
#include "sw-stub/vmm.h"
#include "tb/direct_bus.h"

namespace mmuvp::golden {

class StubSpace {
 public:
  // `variant` rotates the deterministic choices (host page sizes, MAXPHYADDR 52/46, bad frames in
  // VM 1, A/D write-back per core, EPT A/D and preset A/D per VM); `seed` drives the random ones.
  StubSpace(arch::Mode mode, unsigned variant, std::uint64_t seed);
  StubSpace(const StubSpace&) = delete;
  StubSpace& operator=(const StubSpace&) = delete;

  arch::PhysMem& memory() { return machine_.memory; }
  unsigned cores() const { return kCores; }
  const arch::TranslationContext& context(unsigned core) const { return machine_.context(core); }
  std::string describe() const;  // the configuration, one line

  // Inconsistencies between what the stub believes it programmed and the MMU registers of each
  // core (mode, CR3, guest segment of the running process, A/D switch, EPTP, VMM segment, escaped
  // frames missing from the filter). Empty when consistent.
  std::string setup_problems() const;

  // The stub's context switch on `core` to a random process of the guest running there.
  void switch_process(unsigned core, std::mt19937_64& rng);
  // A random access for the process running on `core`: mostly inside its regions, primary region,
  // demand areas and mapped pages, some at region edges, in holes, on bad frames, at random
  // canonical and non-canonical addresses; random access type and CPL.
  arch::Access pick_access(unsigned core, std::mt19937_64& rng) const;

  // Empty when `got` (the golden result of `access` on `core`) is what the stub's records say:
  // the process's MappingRecord (or its guest segment) gives the gPA, leaf entry and permissions,
  // or the #PF the access must take; the VM's record (or its VMM segment, unless the filter
  // escapes the frame) gives the hPA and EPT leaf, or the EPT violation. A successful hPA is never
  // a bad host frame.
  std::string record_difference(unsigned core, const arch::Access& access,
                                const arch::TranslationResult& got) const;

  enum class Service : std::uint8_t {
    kNone,      // not a fault the stub handles (non-canonical)
    kMapped,    // the guest OS mapped the page (demand paging): retry
    kSegv,      // the guest OS refused (a real violation)
    kBacked,    // the VMM backed the gPA: retry
    kNotBacked  // the VMM could not back it
  };
  // Hands the fault of `got` to the stub (guest #PF to the guest OS on `core`, EPT violation to
  // the VM's VMM). `error` is set when the handler's answer is not what the records predict.
  Service service(unsigned core, const arch::TranslationResult& got, std::string& error);

  struct Stats {
    std::uint64_t guest_splits = 0, ept_splits = 0, demand_faults = 0, ept_violations = 0,
                  frames_retired = 0, escaped_frames = 0, fallbacks = 0;
  };
  Stats stats() const;

 private:
  static constexpr unsigned kCores = 2;

  struct Area {
    stub::Range range;
    stub::PageFlags flags;
  };
  struct ProcessPlan {
    stub::Process* process = nullptr;
    std::vector<stub::Range> regions;    // requested mappings (holes punched in some, later)
    std::vector<Area> areas;             // demand-paged areas
    std::vector<stub::MappingRun> runs;  // the mapped runs after setup, for sampling
    std::vector<arch::gva_t> hot;        // pages on bad host frames
    std::vector<arch::gva_t> slots;      // 1 GiB slots in use
  };
  struct Guest {
    stub::VirtualMachine* vm = nullptr;  // null on bare metal
    std::unique_ptr<stub::GuestOs> os;
    std::vector<ProcessPlan> procs;
    bool big = true;  // RAM for 1 GiB pages and large primary regions
  };

  void build_native();
  void build_virtualized();
  void populate(Guest& g);
  void map_region(Guest& g, ProcessPlan& plan);
  void punch_holes(Guest& g, ProcessPlan& plan);
  arch::gva_t fresh_slot(ProcessPlan& plan, bool kernel);
  stub::PageFlags random_flags(bool kernel);
  void mark_bad_frames_vm1();
  void mark_bad_frames_vm2();
  void start_cores();

  const Guest& guest_of(unsigned core) const { return guests_[virt_ ? core : 0]; }
  Guest& guest_of(unsigned core) { return guests_[virt_ ? core : 0]; }
  const ProcessPlan& plan_of(unsigned core) const;
  ProcessPlan& plan_of(unsigned core);

  arch::Mode mode_;
  bool virt_;
  unsigned variant_;
  std::mt19937_64 rng_;
  unsigned maxphyaddr_;
  bool io_gap_;
  bool ad_[kCores];
  std::uint64_t fallbacks_ = 0;
  tb::DirectMachine machine_;
  std::unique_ptr<stub::Vmm> vmm_;
  std::unique_ptr<stub::BareMetal> bare_;
  std::vector<Guest> guests_;
};

}  // namespace mmuvp::golden
