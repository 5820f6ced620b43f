// Programming one MMU through its MMIO registers (arch/mmu_regs.h) the way system software does:
// each write's status is checked and a refused write raises RegisterRefused naming the core, the
// register, the value and the reason. Segments are written as staged BASE/LIMIT/OFFSET followed
// by SEG_COMMIT, so the MMU switches between two consistent segments atomically.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "arch/mmu_regs.h"
#include "arch/mode.h"
#include "arch/segment.h"
#include "sw-stub/machine_bus.h"
#include "sw-stub/mapping_record.h"

namespace mmuvp::stub::mmu {

std::string_view register_name(std::uint32_t offset);  // "BASE_G"; "?" for no register

void write(MachineBus& bus, unsigned core, std::uint32_t offset, std::uint64_t value);
std::uint64_t read(MachineBus& bus, unsigned core, std::uint32_t offset);

void write_guest_segment(MachineBus& bus, unsigned core, const arch::Segment& seg);
void write_vmm_segment(MachineBus& bus, unsigned core, const arch::Segment& seg);
arch::Segment read_guest_segment(MachineBus& bus, unsigned core);  // the committed values
arch::Segment read_vmm_segment(MachineBus& bus, unsigned core);

// Clears the escape filter, then adds each gPA frame number.
void write_filter(MachineBus& bus, unsigned core, const std::vector<std::uint64_t>& frames);

void set_mode(MachineBus& bus, unsigned core, arch::Mode mode);
// CONFIG bit 0: the walker sets A/D bits (on) or leaves memory untouched (off, counting studies).
void set_ad_updates(MachineBus& bus, unsigned core, bool enable);

// INV_ADDR (when the op takes an address) then INV_CMD.
void invalidate(MachineBus& bus, unsigned core, arch::regs::InvOp op, std::uint16_t pcid = 0,
                std::uint16_t vmid = 0, std::uint64_t addr = 0);

// A shootdown on `core` of the translations of guest-format `leaves` tagged with `pcid`: every
// entry, global ones too, when a leaf is global (G); else one INVPCID per address up to 32
// leaves; else the whole PCID. Returns the invalidation commands issued.
unsigned invalidate_leaves(MachineBus& bus, unsigned core, std::uint16_t pcid,
                           const std::vector<Leaf>& leaves);

}  // namespace mmuvp::stub::mmu
