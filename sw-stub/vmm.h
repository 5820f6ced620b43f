// The VMM (hypervisor) of the firmware stub (SPEC §5): it owns host-physical memory (a frame
// allocator over it), creates virtual machines (each with its EPT, VMID, backing and VMM segment),
// loads a VM's context onto a core, and retires bad host frames (the VMs using one move off it).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "arch/address.h"
#include "sw-stub/frame_allocator.h"
#include "sw-stub/machine_bus.h"
#include "sw-stub/range_set.h"
#include "sw-stub/virtual_machine.h"

namespace mmuvp::stub {

class Vmm {
 public:
  // `host_memory`: the host-physical range the VMM may allocate from (4 KiB aligned, below
  // 2^MAXPHYADDR of the machine, read from the MMU's CONFIG register).
  Vmm(MachineBus& bus, Range host_memory);
  Vmm(const Vmm&) = delete;
  Vmm& operator=(const Vmm&) = delete;

  VirtualMachine& create_vm(const VmConfig& config);  // VMIDs are unique and non-zero
  void destroy_vm(std::uint16_t vmid);                // its host memory goes back
  VirtualMachine& vm(std::uint16_t vmid);
  std::vector<VirtualMachine*> vms() const;

  // VM entry on `core`: programs the VM's context there (the previous VM of the core is unloaded).
  void load(unsigned core, VirtualMachine& vm);
  VirtualMachine* loaded(unsigned core) const;

  // A host frame is bad: it is never allocated again, and a VM using it is remapped off it (inside
  // a VMM segment through the escape filter).
  void mark_bad_frame(arch::hpa_t hpa);

  FrameAllocator& host_memory() { return host_; }
  const FrameAllocator& host_memory() const { return host_; }
  MachineBus& bus() { return bus_; }
  unsigned maxphyaddr() const { return maxphyaddr_; }

 private:
  MachineBus& bus_;
  unsigned maxphyaddr_;
  FrameAllocator host_;
  std::vector<std::unique_ptr<VirtualMachine>> vms_;
  std::vector<VirtualMachine*> loaded_;  // per core
};

}  // namespace mmuvp::stub
