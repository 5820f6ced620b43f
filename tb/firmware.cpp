#include "tb/firmware.h"

#include <exception>
#include <utility>

#include "tb/simulation.h"

namespace mmuvp::tb {

Firmware::Firmware(const sc_core::sc_module_name& name, tlm::Platform& platform,
                   const RunConfig& config, std::vector<workloads::Region> regions)
    : sc_core::sc_module(name),
      platform_(platform),
      config_(config),
      regions_(std::move(regions)),
      lock_("stub_lock"),
      switches_(config.cores, 0),
      exits_(config.cores, 0),
      exit_cycles_(config.cores, 0) {
  SC_HAS_PROCESS(Firmware);
  SC_THREAD(setup_thread);
  SC_THREAD(done_thread);
  platform_.set_fault_handler(
      [this](unsigned core, const arch::Fault& f) { return on_fault(core, f); });
  if (const std::uint64_t every = period_interval(config); every != 0)
    platform_.set_periodic_hook(every, [this](unsigned core) { on_period(core); });
}

Firmware::~Firmware() = default;

void Firmware::fail(const std::string& message) {
  if (error_.empty()) error_ = message;
  sc_core::sc_stop();
}

void Firmware::setup_thread() {
  try {
    setup_ = std::make_unique<WorkloadSetup>(platform_.bus(), config_, regions_);
  } catch (const std::exception& e) {
    fail(e.what());
    return;
  }
  started_at_ = std::chrono::steady_clock::now();
  platform_.start_event().notify(sc_core::SC_ZERO_TIME);
}

void Firmware::done_thread() {
  wait(platform_.done_event());
  sc_core::sc_stop();
}

tlm::FaultAction Firmware::on_fault(unsigned core, const arch::Fault& fault) {
  if (!error_.empty() || setup_ == nullptr) return tlm::FaultAction::kSkip;
  lock_.lock();
  FaultResponse r = FaultResponse::kSkip;
  std::uint64_t stall_cycles = 0;
  try {
    r = setup_->handle_fault(core, fault);
    stall_cycles = charge_exits(core);
  } catch (const std::exception& e) {
    fail(std::string("firmware failed handling a fault: ") + e.what());
    r = FaultResponse::kSkip;
  }
  lock_.unlock();
  stall(stall_cycles);
  return r == FaultResponse::kRetry ? tlm::FaultAction::kRetry : tlm::FaultAction::kSkip;
}

std::uint64_t Firmware::charge_exits(unsigned core) {
  const std::uint64_t n = setup_->take_exits(core);
  exits_.at(core) += n;
  exit_cycles_.at(core) += n * config_.vm_exit_cycles;
  return n * config_.vm_exit_cycles;
}

// The core that took the exits is the caller (its thread runs the handler, synced): its time
// moves on by their cost.
void Firmware::stall(std::uint64_t cycles) {
  if (cycles == 0 || !error_.empty()) return;
  wait(static_cast<double>(cycles) / config_.clock_ghz, sc_core::SC_NS);
}

void Firmware::on_period(unsigned core) {
  if (!error_.empty() || setup_ == nullptr) return;
  lock_.lock();
  std::uint64_t stall_cycles = 0;
  try {
    if (setup_->on_period(core, platform_.core_counters(core).accesses,
                          platform_.walker_stats(core).walk_mem_refs))
      ++switches_.at(core);
    stall_cycles = charge_exits(core);
  } catch (const std::exception& e) {
    fail(std::string("firmware failed in a context switch: ") + e.what());
  }
  lock_.unlock();
  stall(stall_cycles);
}

}  // namespace mmuvp::tb
