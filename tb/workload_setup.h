// The software of one simulation, built by the firmware stub through a MachineBus before the cores
// start: the VMM and one VM (virtualized modes) or bare metal (native modes), the guest OS, and
// `processes` guest processes that each map every region of the workload with their own page
// tables and PCID (different processes of one VM running the same program). In the guest-segment
// modes each process's primary region (the workload's primary span) is mapped with
// GuestOs::map_primary_region and its guest segment covers it; in the VMM-segment modes the VMM
// segment covers the contiguous guest memory, and RunConfig::escaped_frames host frames behind
// workload data inside it are marked bad (the EPT remaps them, the escape filter holds them).
// Every core is then programmed: VM context (EPTP, VMID, VMM segment, filter), its first process
// (CR3, PCID, guest segment), MODE and CONFIG.AD.
//
// The same setup runs on the golden machine (tb/direct_bus.h) and on the SystemC platform's TLM
// bus (then from the firmware's SystemC thread, tb/firmware.h). After setup it is also the
// firmware's response to the cores: faults (demand paging, EPT violations) and context switches.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "arch/address.h"
#include "arch/fault.h"
#include "sw-stub/guest_os.h"
#include "sw-stub/machine_bus.h"
#include "sw-stub/paging_policy.h"
#include "sw-stub/virtual_machine.h"
#include "sw-stub/vmm.h"
#include "sw-stub/bare_metal.h"
#include "tb/run_config.h"
#include "workloads/access.h"

namespace mmuvp::tb {

// One virtual range a process maps: the workload's regions rounded out to the guest page size and
// merged (permissions are the union of the regions inside).
struct MappedArea {
  arch::gva_t lo = 0;
  arch::gva_t hi = 0;
  bool writable = false;
  bool executable = false;
  bool primary = false;  // mapped as the process's primary region (guest-segment modes)
  std::uint64_t bytes() const { return hi - lo; }
};

// The areas for `regions` (sorted, disjoint, as Workload::regions() gives) mapped with `pages`:
// each region rounded out to the page granule (4 KiB for 4k/thp, 2 MiB, 1 GiB), overlapping or
// touching areas merged. With `primary_segment`, the primary span (workloads::primary_span) is
// one area flagged primary, absorbing whatever its rounding overlaps. Throws SimulationError
// when there is nothing to map, or no primary span while one is needed.
std::vector<MappedArea> plan_areas(const std::vector<workloads::Region>& regions,
                                   stub::PagePolicy pages, bool primary_segment);

// Completed accesses of a core between two calls of WorkloadSetup::on_period: the greatest common
// divisor of the context-switch interval and, with dynamic paging, the policy's interval (0: none).
std::uint64_t period_interval(const RunConfig& config);

// The firmware's answer to a fault a core reports.
enum class FaultResponse : std::uint8_t { kRetry, kSkip };

class WorkloadSetup {
 public:
  // Builds and programs everything (see the file comment). Throws SimulationError (one line) for
  // a configuration the stub refuses.
  WorkloadSetup(stub::MachineBus& bus, const RunConfig& config,
                const std::vector<workloads::Region>& regions);
  ~WorkloadSetup();
  WorkloadSetup(const WorkloadSetup&) = delete;
  WorkloadSetup& operator=(const WorkloadSetup&) = delete;

  const std::vector<MappedArea>& areas() const { return areas_; }
  std::uint64_t guest_memory() const { return guest_memory_; }
  stub::GuestOs& guest() { return *guest_; }
  stub::Vmm* vmm() { return vmm_.get(); }              // null in the native modes
  stub::VirtualMachine* vm() { return vm_; }           // null in the native modes
  unsigned process_count() const { return static_cast<unsigned>(processes_.size()); }
  stub::Process& process(unsigned i) { return *processes_.at(i); }
  // The process running on `core` now.
  stub::Process& current(unsigned core);
  // Host frames marked bad inside the VMM segment (ascending).
  const std::vector<arch::hpa_t>& bad_frames() const { return bad_frames_; }

  // The periodic context switch. With P processes on C cores, core c runs the processes
  // p == c (mod C) in turn when P >= C (each process on one core), else process c mod P alone.
  // Switches `core` to its next process and returns true, or returns false when it has no other.
  bool switch_next(unsigned core);

  // A fault on `core`: a guest #PF goes to the guest OS (demand paging), an EPT violation to the
  // VM (backing; a VM exit). kRetry when the handler fixed the mapping. Under shadow paging a #PF
  // is first the VMM's (a hidden fault, a shadow-paging exit).
  FaultResponse handle_fault(unsigned core, const arch::Fault& fault);

  // The VM exits `core` took since the last call: EPT violations, and under shadow or dynamic
  // paging the shadow pager's (guest page-table stores, CR3 writes, hidden faults, paging
  // switches). Those of the setup are not counted. The runners call it after every fault and
  // period and charge each exit RunConfig::vm_exit_cycles.
  std::uint64_t take_exits(unsigned core);

  // The periodic work, every period_interval(config) completed accesses of a core: the context
  // switch every switch_interval accesses and, with dynamic paging, the paging policy for the
  // process that ran in the period, fed with the core's counts now (completed accesses and walk
  // memory references since the start). Returns whether the core switched processes; the paging
  // switches made are appended to paging_switches().
  bool on_period(unsigned core, std::uint64_t accesses, std::uint64_t walk_refs);
  const std::vector<PagingSwitch>& paging_switches() const { return paging_switches_; }

 private:
  void build(const RunConfig& config, const std::vector<workloads::Region>& regions);
  void mark_bad_frames(unsigned count, std::uint64_t seed);

  stub::MachineBus& bus_;
  unsigned cores_;
  std::vector<MappedArea> areas_;
  std::uint64_t guest_memory_ = 0;
  std::unique_ptr<stub::Vmm> vmm_;
  stub::VirtualMachine* vm_ = nullptr;
  std::unique_ptr<stub::BareMetal> bare_;
  std::unique_ptr<stub::GuestOs> guest_;
  std::vector<stub::Process*> processes_;
  std::vector<std::vector<unsigned>> runs_;  // per core: the processes it runs, in turn
  std::vector<unsigned> next_;               // per core: index into runs_ of the current one
  std::vector<arch::hpa_t> bad_frames_;
  std::uint64_t shadow_exits_seen_ = 0;            // the pager's count, attributed up to here
  std::vector<std::uint64_t> shadow_exits_by_core_;  // the pager's exits, per core
  std::vector<std::uint64_t> ept_exits_pending_;     // EPT violations not yet taken, per core
  std::uint64_t switch_interval_ = 0;
  // Dynamic paging: the policy, each core's counts at its last period, each process's interval.
  struct CoreMark {
    std::uint64_t accesses = 0, walk_refs = 0, exits = 0;
  };
  std::unique_ptr<stub::PagingPolicy> policy_;
  std::vector<CoreMark> marks_;
  std::map<std::uint16_t, stub::PagingSample> samples_;  // by PCID
  std::vector<PagingSwitch> paging_switches_;
};

}  // namespace mmuvp::tb
