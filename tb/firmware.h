// The firmware stub on the SystemC platform: a module whose thread builds the run's software over
// the platform's TLM bus at time 0 (tb/workload_setup.h: VMM, VM, guest OS, processes, MMU
// programming) and then releases the cores (Platform::start_event); and the firmware's side of the
// run, called in the cores' threads: the fault handler (guest #PF -> the guest OS, EPT violation ->
// the VM, a VM exit; fixed -> retry, else skip) and the periodic context switch of a core to its
// next process (through the bus: CR3, PCID, guest segment; PCID-tagged TLBs need no flush). When
// every core has finished (Platform::done_event) it stops the simulation.
//
// Errors (a refused setup, a stub failure in a handler) stop the simulation; error() says why.
#pragma once
#include <systemc>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tb/run_config.h"
#include "tb/workload_setup.h"
#include "tlm/platform.h"
#include "workloads/access.h"

namespace mmuvp::tb {

class Firmware : public sc_core::sc_module {
 public:
  // Registers its thread and the platform's fault handler and periodic hook (before sc_start).
  Firmware(const sc_core::sc_module_name& name, tlm::Platform& platform, const RunConfig& config,
           std::vector<workloads::Region> regions);
  ~Firmware() override;

  // After the run.
  bool ready() const { return setup_ != nullptr; }  // the setup completed
  // Host time when the setup finished and the cores were released (the run proper starts).
  std::chrono::steady_clock::time_point started_at() const { return started_at_; }
  const std::string& error() const { return error_; }
  std::uint64_t context_switches(unsigned core) const { return switches_.at(core); }
  std::uint64_t vm_exits(unsigned core) const { return exits_.at(core); }
  std::uint64_t vm_exit_cycles(unsigned core) const { return exit_cycles_.at(core); }
  WorkloadSetup* setup() { return setup_.get(); }

 private:
  void setup_thread();
  void done_thread();
  tlm::FaultAction on_fault(unsigned core, const arch::Fault& fault);
  void on_period(unsigned core);
  void fail(const std::string& message);
  // Counts the VM exits the last handler or period took on `core` and returns the cycles they
  // cost (the caller waits them out after releasing the lock).
  std::uint64_t charge_exits(unsigned core);
  void stall(std::uint64_t cycles);

  tlm::Platform& platform_;
  RunConfig config_;
  std::vector<workloads::Region> regions_;
  std::unique_ptr<WorkloadSetup> setup_;
  // The stub is not re-entrant: one core's handler at a time (a bus access may yield).
  sc_core::sc_mutex lock_;
  std::vector<std::uint64_t> switches_, exits_, exit_cycles_;
  std::string error_;
  std::chrono::steady_clock::time_point started_at_{};
};

}  // namespace mmuvp::tb
