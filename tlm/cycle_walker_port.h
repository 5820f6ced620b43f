// The cycle-level walker (tlm/cycle_walker.h) behind the platform's WalkerPort: its own clock of
// the platform's period, the walker, and the memory-port bridge that turns its valid/ready port
// into TLM transactions on the memory system's walker socket (tlm/mem_port_bridge.h).
//
// walk() is called from the core's thread with the core's local time offset: it synchronizes
// (wait(delay)), hands the request to the walker and waits for the response handshake, so the
// core's time advances by exactly the walker's cycles (the MMU measures it from sc_time_stamp()).
#pragma once
#include <memory>

#include "tlm/walker_port.h"

namespace mmuvp::tlm {

std::unique_ptr<WalkerPort> make_cycle_walker(const WalkerSetup& setup);

}  // namespace mmuvp::tlm
