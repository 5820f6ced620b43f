// Elaboration of the platform of tlm/platform.h: one sc_module `name` holding the memory system,
// the firmware bus, and per core a walker, an MMU and a core, bound as the header's picture shows.
#include "tlm/platform.h"

#include <fmt/format.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <stdexcept>
#include <string>

#include "tlm/core.h"
#include "tlm/cycle_walker_port.h"
#include "tlm/lt_walker.h"
#include "tlm/memory_system.h"
#include "tlm/mmu.h"
#include "tlm/tlm_machine_bus.h"

namespace mmuvp::tlm {

namespace {

constexpr unsigned kMaxCores = 64;
constexpr unsigned kMaxWalkSlots = 16;

void validate(const PlatformConfig& c) {
  if (c.cores < 1 || c.cores > kMaxCores)
    throw std::invalid_argument(
        fmt::format("PlatformConfig.cores: {} not in 1..{}", c.cores, kMaxCores));
  if (c.walk_slots < 1 || c.walk_slots > kMaxWalkSlots)
    throw std::invalid_argument(
        fmt::format("PlatformConfig.walk_slots: {} not in 1..{}", c.walk_slots, kMaxWalkSlots));
  if (c.clock_period == sc_core::SC_ZERO_TIME)
    throw std::invalid_argument("PlatformConfig.clock_period: must be positive");
  if (c.quantum_cycles == 0)
    throw std::invalid_argument("PlatformConfig.quantum_cycles: must be positive");
  c.tlb.validate();
  c.pwc.validate();
  c.ntlb.validate();
  c.cache.validate();
  arch::RegisterBlock check(c.mmu);  // throws for bad MMU parameters
}

}  // namespace

// The module hierarchy. Built inside its own constructor so every part is its child.
class PlatformTop : public sc_core::sc_module {
 public:
  PlatformTop(sc_core::sc_module_name name, const PlatformConfig& config)
      : sc_module(name), config_(config), counters_(config.cores) {
    MemorySystemConfig mc;
    mc.cores = config.cores;
    mc.cache = config.cache;
    mc.phys_bits = config.mmu.maxphyaddr;
    mc.clock_period = config.clock_period;
    memory_ = std::make_unique<MemorySystem>("memory", mc);
    bus_ = std::make_unique<TlmMachineBus>("bus", config.cores);
    bus_->mem_socket.bind(memory_->firmware_socket());

    const WalkerFactory factory =
        config.walker_factory ? config.walker_factory
        : config.walker == WalkerFidelity::kCycle ? WalkerFactory(&make_cycle_walker)
                                                  : WalkerFactory(&make_lt_walker);
    for (unsigned i = 0; i < config.cores; ++i) {
      const std::string wname = fmt::format("walker_{}", i);
      MmuConfig mmu;
      mmu.core = i;
      mmu.tlb = config.tlb;
      mmu.l2_tlb_latency = config.l2_tlb_latency;
      mmu.params = config.mmu;
      mmu.clock_period = config.clock_period;
      mmus_.push_back(std::make_unique<Mmu>(fmt::format("mmu_{}", i).c_str(), mmu));
      Mmu& m = *mmus_.back();
      m.data_socket.bind(memory_->data_socket(i));
      bus_->mmio_socket(i).bind(m.mmio_socket);
      WalkerSetup ws;
      ws.name = wname.c_str();
      ws.core = i;
      ws.pwc = config.pwc;
      ws.ntlb = config.ntlb;
      ws.walk_slots = config.walk_slots;
      ws.clock_period = config.clock_period;
      ws.registers = &m.registers();
      walkers_.push_back(factory(ws));
      if (!walkers_.back())
        throw std::invalid_argument(fmt::format("walker factory returned no walker for core {}", i));
      walkers_.back()->memory_socket().bind(memory_->walker_socket(i));
      m.set_walker(*walkers_.back());
      CoreConfig cc;
      cc.core = i;
      cc.clock_period = config.clock_period;
      cores_.push_back(
          std::make_unique<Core>(fmt::format("core_{}", i).c_str(), cc, start_, counters_[i]));
      cores_.back()->socket.bind(m.cpu_socket);
      if (config.dmi) {
        m.set_direct_memory(memory_.get());
        cores_.back()->set_direct(&m);
      }
      cores_.back()->set_finished([this] { core_finished(); });
    }
    tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_core::sc_time::from_value(
        config.quantum_cycles * config.clock_period.value()));
  }

  void core_finished() {
    if (++finished_ == cores_.size()) done_.notify(sc_core::SC_ZERO_TIME);
  }

  PlatformConfig config_;
  sc_core::sc_event start_{"start"};
  sc_core::sc_event done_{"done"};
  std::vector<CoreCounters> counters_;
  std::unique_ptr<MemorySystem> memory_;
  std::unique_ptr<TlmMachineBus> bus_;
  std::vector<std::unique_ptr<WalkerPort>> walkers_;
  std::vector<std::unique_ptr<Mmu>> mmus_;
  std::vector<std::unique_ptr<Core>> cores_;
  std::size_t finished_ = 0;
  Core::FaultHandler fault_handler_;
  Core::Hook hook_;
  MmuObserver observer_;
};

struct Platform::Impl {
  std::unique_ptr<PlatformTop> top;
};

namespace {
const PlatformConfig& validated(const PlatformConfig& c) {
  validate(c);
  return c;
}
}  // namespace

Platform::Platform(const char* name, const PlatformConfig& config) : impl_(new Impl) {
  impl_->top = std::make_unique<PlatformTop>(name, validated(config));
  PlatformTop& t = *impl_->top;
  for (unsigned i = 0; i < t.config_.cores; ++i) {
    t.cores_[i]->set_fault_handler(&t.fault_handler_);
    t.mmus_[i]->set_observer(&t.observer_, /*tlb_hits=*/false);  // none set yet
  }
}

Platform::~Platform() = default;

const PlatformConfig& Platform::config() const { return impl_->top->config_; }
unsigned Platform::cores() const { return impl_->top->config_.cores; }
stub::MachineBus& Platform::bus() { return *impl_->top->bus_; }
arch::SparseMemory& Platform::memory() { return impl_->top->memory_->memory(); }

const arch::RegisterBlock& Platform::registers(unsigned core) const {
  return impl_->top->mmus_.at(core)->registers();
}

void Platform::set_workload(unsigned core, workloads::Workload* w, std::uint64_t max_accesses) {
  impl_->top->cores_.at(core)->set_workload(w, max_accesses);
}

sc_core::sc_event& Platform::start_event() { return impl_->top->start_; }
sc_core::sc_event& Platform::done_event() { return impl_->top->done_; }

void Platform::set_fault_handler(std::function<FaultAction(unsigned, const arch::Fault&)> h) {
  impl_->top->fault_handler_ = std::move(h);
}

void Platform::set_periodic_hook(std::uint64_t interval, std::function<void(unsigned)> h) {
  PlatformTop& t = *impl_->top;
  t.hook_ = std::move(h);
  for (auto& c : t.cores_) c->set_periodic_hook(interval, &t.hook_);
}

void Platform::set_translation_observer(TranslationObserver o, bool tlb_hits) {
  PlatformTop& t = *impl_->top;
  t.observer_ = std::move(o);
  for (auto& m : t.mmus_) m->set_observer(&t.observer_, tlb_hits);
}

const CoreCounters& Platform::core_counters(unsigned core) const {
  return impl_->top->counters_.at(core);
}
const Tlb& Platform::tlb(unsigned core) const { return impl_->top->mmus_.at(core)->tlb(); }
const WalkerStats& Platform::walker_stats(unsigned core) const {
  return impl_->top->walkers_.at(core)->stats();
}
const PwcCounters& Platform::pwc_counters(unsigned core) const {
  return impl_->top->walkers_.at(core)->pwc_counters();
}
const NestedTlbCounters& Platform::ntlb_counters(unsigned core) const {
  return impl_->top->walkers_.at(core)->ntlb_counters();
}
const CacheSystem& Platform::caches() const { return impl_->top->memory_->caches(); }
const MmuCounters& Platform::mmu_counters(unsigned core) const {
  return impl_->top->mmus_.at(core)->counters();
}
const MemorySystem& Platform::memory_system() const { return *impl_->top->memory_; }

void Platform::trace(sc_core::sc_trace_file* vcd) {
  if (vcd == nullptr) return;
  for (auto& w : impl_->top->walkers_) w->trace(vcd);
}

}  // namespace mmuvp::tlm
