#include "sw-stub/vmm.h"

#include <fmt/format.h>

#include <algorithm>

#include "arch/mmu_regs.h"
#include "sw-stub/mmu_program.h"
#include "sw-stub/stub_error.h"

namespace mmuvp::stub {

namespace {

unsigned read_maxphyaddr(MachineBus& bus) {
  if (bus.cores() == 0) throw StubError("the machine has no cores");
  const std::uint64_t config = mmu::read(bus, 0, arch::regs::kConfig);
  const auto m = static_cast<unsigned>(arch::regs::get(config, arch::regs::field::kConfigMaxPhy));
  if (m < 32 || m > 52)
    throw StubError(
        fmt::format("the MMU reports MAXPHYADDR {} (CONFIG {:#x}); expected 32..52", m, config));
  return m;
}

}  // namespace

Vmm::Vmm(MachineBus& bus, Range host_memory)
    : bus_(bus), maxphyaddr_(read_maxphyaddr(bus)), loaded_(bus.cores(), nullptr) {
  if (host_memory.hi > arch::phys_limit(maxphyaddr_))
    throw StubError(fmt::format("host memory {} reaches beyond 2^{} (MAXPHYADDR)",
                                format_range(host_memory), maxphyaddr_));
  host_ = FrameAllocator(host_memory.lo, host_memory.hi, "host memory");
}

VirtualMachine& Vmm::create_vm(const VmConfig& config) {
  if (config.vmid == 0) throw StubError("VMID 0 is reserved for the host");
  for (const auto& vm : vms_)
    if (vm->vmid() == config.vmid)
      throw StubError(fmt::format("a VM with VMID {} already exists", config.vmid));
  vms_.push_back(std::make_unique<VirtualMachine>(bus_, host_, config));
  return *vms_.back();
}

void Vmm::destroy_vm(std::uint16_t vmid) {
  VirtualMachine& v = vm(vmid);
  for (VirtualMachine*& l : loaded_)
    if (l == &v) l = nullptr;
  vms_.erase(std::find_if(vms_.begin(), vms_.end(), [&](const auto& p) { return p.get() == &v; }));
}

VirtualMachine& Vmm::vm(std::uint16_t vmid) {
  for (const auto& vm : vms_)
    if (vm->vmid() == vmid) return *vm;
  throw StubError(fmt::format("no VM with VMID {}", vmid));
}

std::vector<VirtualMachine*> Vmm::vms() const {
  std::vector<VirtualMachine*> out;
  for (const auto& vm : vms_) out.push_back(vm.get());
  return out;
}

void Vmm::load(unsigned core, VirtualMachine& vm) {
  if (core >= loaded_.size())
    throw StubError(
        fmt::format("core {} does not exist (the machine has {} cores)", core, loaded_.size()));
  if (loaded_[core] != nullptr && loaded_[core] != &vm) loaded_[core]->unload(core);
  vm.program(core);
  loaded_[core] = &vm;
}

VirtualMachine* Vmm::loaded(unsigned core) const {
  return core < loaded_.size() ? loaded_[core] : nullptr;
}

void Vmm::mark_bad_frame(arch::hpa_t hpa) {
  hpa &= ~(arch::kPage4K - 1);
  host_.exclude({hpa, hpa + arch::kPage4K});
  for (const auto& vm : vms_)
    if (vm->retire_host_frame(hpa)) return;
}

}  // namespace mmuvp::stub
