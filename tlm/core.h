// One in-order core of the platform (SPEC §4): an SC_THREAD that runs its workload's access
// stream (workloads/access.h) through its MMU's CPU socket, one blocking b_transport per access
// (translation and data access together, tlm/translate_attr.h), loosely timed with a
// tlm_utils::tlm_quantumkeeper. With the MMU's direct path granted (set_direct, the platform's
// DMI), an access the MMU can serve directly (Mmu::direct_access: an L1 TLB hit through a live
// hint) is made by a call instead, with the same counts and time.
//
// Time of one access, in clock cycles: MemAccess::insns (0 counts as 1: the access's own
// instruction and the non-memory work since the previous one) + the translation beyond the L1
// TLB + the data access's cache latency. The core syncs (wait) only when the quantum is used up,
// before a fault handler and before a periodic hook.
//
// Faults: the fault handler (platform.h FaultAction) decides: kRetry translates the access again
// (at most kRetryLimit times, then it is dropped), kSkip drops it. Every faulting translation
// counts in `faults`; dropped accesses do not count in `accesses`.
// Start and end: the thread first runs when the start event fires (static sensitivity, so an
// immediate notification during initialization is not lost); when the stream ends (or
// max_accesses were taken from it) it syncs and calls the `finished` callback.
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "arch/fault.h"
#include "tlm/mem_attr.h"
#include "tlm/translate_attr.h"
#include "workloads/access.h"

namespace mmuvp::tlm {

enum class FaultAction : std::uint8_t;  // platform.h
struct CoreCounters;                    // platform.h
class Mmu;

struct CoreConfig {
  unsigned core = 0;
  sc_core::sc_time clock_period = sc_core::sc_time(1, sc_core::SC_NS);
  bool user = true;  // CPL of the workload's accesses
};

class Core : public sc_core::sc_module {
 public:
  static constexpr std::size_t kBatch = 256;   // accesses taken from the workload at a time
  static constexpr unsigned kRetryLimit = 4;   // retries of one access after faults

  using FaultHandler = std::function<FaultAction(unsigned core, const arch::Fault&)>;
  using Hook = std::function<void(unsigned core)>;

  tlm_utils::simple_initiator_socket<Core> socket;  // to the MMU's CPU socket

  // The thread starts when `start` fires; `counters` is where the run is counted (owned by the
  // caller, so that platform.h can return it).
  Core(sc_core::sc_module_name name, const CoreConfig& config, sc_core::sc_event& start,
       CoreCounters& counters);

  // Before sc_start. Not owned.
  void set_workload(workloads::Workload* w, std::uint64_t max_accesses) {
    workload_ = w;
    max_accesses_ = max_accesses;
  }
  // Before sc_start: accesses the MMU's direct hit path serves (Mmu::direct_access) skip the
  // socket; the others are transported. nullptr (the default): every access is a b_transport.
  void set_direct(Mmu* mmu) { direct_ = mmu; }
  // Not owned; each may be null or empty.
  void set_fault_handler(const FaultHandler* h) { fault_handler_ = h; }
  void set_periodic_hook(std::uint64_t interval, const Hook* h) {
    hook_interval_ = interval;
    hook_ = h;
  }
  void set_finished(std::function<void()> f) { finished_ = std::move(f); }

  bool done() const { return done_; }
  // Brings counters().translation_cycles/data_cycles up to date (they are summed as time on the
  // per-access path and converted here: at the end, before hooks and fault handlers).
  void update_cycle_counters();
  std::uint64_t bus_errors() const { return bus_errors_; }

 private:
  void run();
  static unsigned access_bytes(const workloads::MemAccess& m);
  // One b_transport of `m` to the MMU (its outcome in trans_ and *attr_).
  inline void issue(const workloads::MemAccess& m);
  // issue(), then a bus error counted (false) or the access's times summed (true).
  bool issue_timed(const workloads::MemAccess& m);
  // The access `m` through the socket: issued, its times summed, a fault handled (and retried).
  // Returns whether it completed. Out of line: the per-access loop keeps the direct path's
  // registers.
  bool transported(const workloads::MemAccess& m);
  // After `m` faulted: the fault handler and the retries it asks for. Returns true if a retry
  // completed. Out of line: the per-access loop keeps only the fault-free path.
  bool completed_after_faults(const workloads::MemAccess& m);
  std::uint64_t now_cycles() const { return (now_->value() + local_.value()) / period_ps_; }

  // The quantum keeper, as tlm_utils::tlm_quantumkeeper does it (same sync points: the global
  // quantum's local quantum from the time of the last sync), with the kernel's current time
  // read through a reference instead of a library call per access.
  void keeper_reset() {
    local_ = sc_core::SC_ZERO_TIME;
    next_sync_ =
        now_->value() + ::tlm::tlm_global_quantum::instance().compute_local_quantum().value();
  }
  bool need_sync() const { return now_->value() + local_.value() >= next_sync_; }
  void sync() {
    sc_core::wait(local_);
    keeper_reset();
  }

  // Time of n instructions for small n (sc_time::from_value is an out-of-line call).
  static constexpr unsigned kInsnTimes = 64;
  sc_core::sc_time insn_time(std::uint64_t n) const {
    return n < kInsnTimes ? insn_times_[n] : sc_core::sc_time::from_value(n * period_ps_);
  }

  CoreConfig config_;
  std::uint64_t period_ps_;
  std::array<sc_core::sc_time, kInsnTimes> insn_times_;
  CoreCounters& counters_;
  const sc_core::sc_time* now_;                     // the kernel's current time
  sc_core::sc_time local_;                          // the core's time ahead of it
  std::uint64_t next_sync_ = 0;                     // in sc_time resolution units
  Mmu* direct_ = nullptr;
  workloads::Workload* workload_ = nullptr;
  std::uint64_t max_accesses_ = 0;
  const FaultHandler* fault_handler_ = nullptr;
  std::uint64_t hook_interval_ = 0;
  const Hook* hook_ = nullptr;
  std::function<void()> finished_;
  bool done_ = false;
  sc_core::sc_time translation_time_, data_time_;  // sums over the run
  std::uint64_t bus_errors_ = 0;

  std::array<workloads::MemAccess, kBatch> batch_{};
  ::tlm::tlm_generic_payload trans_;
  TranslateAttr* attr_ = nullptr;             // owned by trans_
  std::vector<unsigned char> scratch_;        // data buffer (data accesses are timing only)
};

}  // namespace mmuvp::tlm
