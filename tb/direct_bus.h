// The machine the firmware stub drives without SystemC: physical memory and one register block per
// core, reached by direct calls. DirectBus is the MachineBus over them; DirectMachine owns a
// sparse memory, the register blocks and the bus, ready for the stub (sw-stub/scenario.h) and the
// golden translator (arch/golden_translator.h), which reads context(core).
#pragma once
#include <fmt/format.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "arch/phys_mem.h"
#include "arch/register_block.h"
#include "arch/sparse_memory.h"
#include "arch/translation.h"
#include "sw-stub/machine_bus.h"

namespace mmuvp::tb {

class DirectBus final : public stub::MachineBus {
 public:
  DirectBus(arch::PhysMem& memory, std::vector<arch::RegisterBlock>& mmus)
      : memory_(memory), mmus_(mmus) {}

  std::uint64_t mem_read64(arch::hpa_t hpa) override {
    std::uint64_t v = 0;
    if (!memory_.read64(hpa, v))
      throw std::out_of_range(
          fmt::format("memory read at hPA {:#x}: outside physical memory", hpa));
    return v;
  }
  void mem_write64(arch::hpa_t hpa, std::uint64_t value) override {
    if (!memory_.write64(hpa, value))
      throw std::out_of_range(
          fmt::format("memory write at hPA {:#x}: outside physical memory", hpa));
  }
  std::uint64_t mmio_read(unsigned core, std::uint32_t offset) override {
    return mmu(core).read(offset);
  }
  arch::regs::RegStatus mmio_write(unsigned core, std::uint32_t offset,
                                   std::uint64_t value) override {
    return mmu(core).write(offset, value);
  }
  unsigned cores() const override { return static_cast<unsigned>(mmus_.size()); }

 private:
  arch::RegisterBlock& mmu(unsigned core) {
    if (core >= mmus_.size())
      throw std::out_of_range(
          fmt::format("MMIO access to core {}: the machine has {} cores", core, mmus_.size()));
    return mmus_[core];
  }

  arch::PhysMem& memory_;
  std::vector<arch::RegisterBlock>& mmus_;
};

// Sparse memory + `cores` register blocks + the bus over them. Not copyable: the bus refers to
// the members.
struct DirectMachine {
  explicit DirectMachine(unsigned cores = 1, const arch::MmuParams& params = {})
      : mmus(make_mmus(cores, params)), bus(memory, mmus) {}
  DirectMachine(const DirectMachine&) = delete;
  DirectMachine& operator=(const DirectMachine&) = delete;

  // What the walker of `core` sees (mode, CR3, EPTP, committed segments, filter, A/D switch).
  const arch::TranslationContext& context(unsigned core = 0) const {
    return mmus.at(core).context();
  }

  arch::SparseMemory memory;
  std::vector<arch::RegisterBlock> mmus;
  DirectBus bus;

 private:
  static std::vector<arch::RegisterBlock> make_mmus(unsigned cores, const arch::MmuParams& params) {
    if (cores == 0) throw std::invalid_argument("a machine needs at least one core");
    std::vector<arch::RegisterBlock> v;
    v.reserve(cores);
    for (unsigned i = 0; i < cores; ++i) v.emplace_back(params);
    return v;
  }
};

}  // namespace mmuvp::tb
