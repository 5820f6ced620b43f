#include "tlm/core.h"

#include <algorithm>
#include <stdexcept>

#include "tlm/memory_system.h"
#include "tlm/mmu.h"
#include "tlm/platform.h"

namespace mmuvp::tlm {

Core::Core(sc_core::sc_module_name name, const CoreConfig& config, sc_core::sc_event& start,
           CoreCounters& counters)
    : sc_module(name),
      socket("socket"),
      config_(config),
      period_ps_(config.clock_period.value()),
      counters_(counters),
      now_(&sc_core::sc_get_curr_simcontext()->time_stamp()),
      scratch_(kMaxDataBytes) {
  if (config.clock_period == sc_core::SC_ZERO_TIME)
    throw std::invalid_argument("CoreConfig.clock_period: must be positive");
  for (unsigned n = 0; n < kInsnTimes; ++n)
    insn_times_[n] = sc_core::sc_time::from_value(n * period_ps_);
  attr_ = new TranslateAttr;
  attr_->user = config.user;
  trans_.set_extension(attr_);
  auto* mem = new MemAttr;
  mem->who = Initiator::kData;
  mem->core = static_cast<std::uint16_t>(config.core);
  trans_.set_extension(mem);
  trans_.set_data_ptr(scratch_.data());
  trans_.set_byte_enable_ptr(nullptr);
  SC_HAS_PROCESS(Core);
  SC_THREAD(run);
  sensitive << start;
  dont_initialize();
}

unsigned Core::access_bytes(const workloads::MemAccess& m) {
  return std::clamp<unsigned>(m.size, 1, kMaxDataBytes);
}

void Core::issue(const workloads::MemAccess& m) {
  const unsigned size = access_bytes(m);
  attr_->type = m.type;
  trans_.set_command(m.write() ? ::tlm::TLM_WRITE_COMMAND : ::tlm::TLM_READ_COMMAND);
  trans_.set_address(m.va);
  trans_.set_data_length(size);
  trans_.set_streaming_width(size);
  trans_.set_response_status(::tlm::TLM_INCOMPLETE_RESPONSE);
  socket->b_transport(trans_, local_);  // the local time is the delay, advanced in place
}

bool Core::issue_timed(const workloads::MemAccess& m) {
  issue(m);
  if (trans_.is_response_error()) {
    ++bus_errors_;
    return false;
  }
  translation_time_ += attr_->translation_time;
  data_time_ += attr_->data_time;
  return true;
}

[[gnu::noinline]] bool Core::transported(const workloads::MemAccess& m) {
  return issue_timed(m) && (attr_->fault.ok() || completed_after_faults(m));
}

bool Core::completed_after_faults(const workloads::MemAccess& m) {
  for (unsigned attempt = 0;; ++attempt) {
    // The access just issued faulted (trans_ holds its outcome).
    ++counters_.faults;
    FaultAction action = FaultAction::kSkip;
    if (fault_handler_ != nullptr && *fault_handler_) {
      sync();  // the handler sees the core's time, and may use the bus and wait
      update_cycle_counters();
      action = (*fault_handler_)(config_.core, attr_->fault);
    }
    if (action != FaultAction::kRetry || attempt >= kRetryLimit) return false;
    ++counters_.retries;
    if (!issue_timed(m)) return false;
    if (attr_->fault.ok()) return true;
  }
}

void Core::update_cycle_counters() {
  counters_.translation_cycles = translation_time_.value() / period_ps_;
  counters_.data_cycles = data_time_.value() / period_ps_;
}

void Core::run() {
  const std::uint64_t start = now_cycles();
  keeper_reset();
  std::uint64_t left = workload_ != nullptr ? max_accesses_ : 0;
  std::uint64_t until_hook = hook_interval_;
  const bool hooked = hook_interval_ != 0 && hook_ != nullptr && *hook_;
  while (left > 0) {
    const std::size_t n =
        workload_->next(batch_.data(), static_cast<std::size_t>(std::min<std::uint64_t>(
                                           left, kBatch)));
    if (n == 0) break;
    left -= n;
    for (std::size_t i = 0; i < n; ++i) {
      const workloads::MemAccess& m = batch_[i];
      const std::uint64_t insns = m.insns == 0 ? 1 : m.insns;
      counters_.instructions += insns;
      local_ += insn_time(insns);
      // One access: served by the MMU's direct hit path, or issued once; a fault goes to the
      // handler and may be retried.
      bool completed;
      const sc_core::sc_time before = local_;
      if (direct_ != nullptr && direct_->direct_access(m.va, m.type, config_.user,
                                                       access_bytes(m), local_)) {
        data_time_ += local_ - before;
        completed = true;
      } else {
        completed = transported(m);
      }
      if (need_sync()) sync();
      if (!completed) continue;
      ++counters_.accesses;
      if (hooked && --until_hook == 0) {
        until_hook = hook_interval_;
        sync();
        update_cycle_counters();
        (*hook_)(config_.core);
      }
    }
  }
  counters_.total_cycles = now_cycles() - start;
  update_cycle_counters();
  sync();
  done_ = true;
  if (finished_) finished_();
}

}  // namespace mmuvp::tlm
