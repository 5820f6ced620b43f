// One core's MMU, loosely-timed walker and test CPU over a memory system, with the firmware bus
// the stub programs them through, bound as tlm/platform.cpp binds a core (for the SystemC tests
// of the MMU that need no Core thread). Module names start with `prefix`.
#pragma once
#include <string>

#include "tests/tlm/sc_test_util.h"
#include "tlm/lt_walker.h"
#include "tlm/memory_system.h"
#include "tlm/mmu.h"
#include "tlm/tlm_machine_bus.h"

namespace mmuvp::tlm::testing {

struct CoreRig {
  explicit CoreRig(const std::string& prefix = "", const WalkerSetup& walker_setup = {})
      : memory((prefix + "memory").c_str(), MemorySystemConfig{}),
        bus((prefix + "bus").c_str(), 1),
        mmu((prefix + "mmu").c_str(), MmuConfig{}),
        walker((prefix + "walker").c_str(), walker_setup),
        cpu((prefix + "cpu").c_str()) {
    bus.mem_socket.bind(memory.firmware_socket());
    bus.mmio_socket(0).bind(mmu.mmio_socket);
    mmu.data_socket.bind(memory.data_socket(0));
    walker.mem_socket.bind(memory.walker_socket(0));
    mmu.set_walker(walker);
    cpu.socket.bind(mmu.cpu_socket);
  }

  MemorySystem memory;
  TlmMachineBus bus;
  Mmu mmu;
  LtWalker walker;
  TestCpu cpu;
};

}  // namespace mmuvp::tlm::testing
