#include "sw-stub/mmu_program.h"

#include <fmt/format.h>

#include <algorithm>

#include "arch/pte.h"
#include "sw-stub/stub_error.h"

namespace mmuvp::stub::mmu {

namespace regs = arch::regs;

namespace {

void check_core(const MachineBus& bus, unsigned core) {
  if (core >= bus.cores())
    throw StubError(
        fmt::format("core {} does not exist (the machine has {} cores)", core, bus.cores()));
}

void write_segment(MachineBus& bus, unsigned core, const arch::Segment& seg, bool vmm) {
  const std::uint32_t base = vmm ? regs::kBaseV : regs::kBaseG;
  const std::uint32_t limit = vmm ? regs::kLimitV : regs::kLimitG;
  const std::uint32_t offset = vmm ? regs::kOffsetV : regs::kOffsetG;
  const std::uint64_t commit =
      vmm ? regs::put(regs::field::kCommitVmm, 1) : regs::put(regs::field::kCommitGuest, 1);
  const char* which = vmm ? "VMM" : "guest";
  try {
    write(bus, core, base, seg.base);
    write(bus, core, limit, seg.limit);
    write(bus, core, offset, seg.offset);
    write(bus, core, regs::kSegCommit, commit);
  } catch (const RegisterRefused& e) {
    throw RegisterRefused(
        fmt::format("core {}: {} segment [{:#x}, {:#x}) offset {:#x} refused at {}: {}", core,
                    which, seg.base, seg.limit, seg.offset, register_name(e.offset()),
                    regs::to_string(e.status())),
        core, e.offset(), e.status());
  }
}

arch::Segment read_segment(MachineBus& bus, unsigned core, bool vmm) {
  arch::Segment s;
  s.base = read(bus, core, vmm ? regs::kBaseV : regs::kBaseG);
  s.limit = read(bus, core, vmm ? regs::kLimitV : regs::kLimitG);
  s.offset = read(bus, core, vmm ? regs::kOffsetV : regs::kOffsetG);
  return s;
}

}  // namespace

std::string_view register_name(std::uint32_t offset) {
  for (const regs::RegDesc& r : regs::kRegisters)
    if (r.offset == offset) return r.name;
  return "?";
}

void write(MachineBus& bus, unsigned core, std::uint32_t offset, std::uint64_t value) {
  check_core(bus, core);
  const regs::RegStatus st = bus.mmio_write(core, offset, value);
  if (st != regs::RegStatus::kOk)
    throw RegisterRefused(
        fmt::format("core {}: MMU refused writing {:#x} to {} ({:#05x}): {}", core, value,
                    register_name(offset), offset, regs::to_string(st)),
        core, offset, st);
}

std::uint64_t read(MachineBus& bus, unsigned core, std::uint32_t offset) {
  check_core(bus, core);
  return bus.mmio_read(core, offset);
}

void write_guest_segment(MachineBus& bus, unsigned core, const arch::Segment& seg) {
  write_segment(bus, core, seg, false);
}
void write_vmm_segment(MachineBus& bus, unsigned core, const arch::Segment& seg) {
  write_segment(bus, core, seg, true);
}
arch::Segment read_guest_segment(MachineBus& bus, unsigned core) {
  return read_segment(bus, core, false);
}
arch::Segment read_vmm_segment(MachineBus& bus, unsigned core) {
  return read_segment(bus, core, true);
}

void write_filter(MachineBus& bus, unsigned core, const std::vector<std::uint64_t>& frames) {
  write(bus, core, regs::kFilterCtrl, regs::put(regs::field::kFilterClear, 1));
  for (std::uint64_t f : frames) write(bus, core, regs::kFilterAdd, f);
}

void set_mode(MachineBus& bus, unsigned core, arch::Mode mode) {
  write(bus, core, regs::kMode, static_cast<std::uint64_t>(mode));
}

void set_ad_updates(MachineBus& bus, unsigned core, bool enable) {
  // Read-modify-write: the read-only MAXPHYADDR field is written back unchanged.
  const std::uint64_t cur = read(bus, core, regs::kConfig);
  const std::uint64_t ad = regs::put(regs::field::kConfigAd, 1);
  write(bus, core, regs::kConfig, enable ? (cur | ad) : (cur & ~ad));
}

void invalidate(MachineBus& bus, unsigned core, regs::InvOp op, std::uint16_t pcid,
                std::uint16_t vmid, std::uint64_t addr) {
  if (op == regs::InvOp::kInvlpg || op == regs::InvOp::kInvpcidAddr)
    write(bus, core, regs::kInvAddr, addr);
  write(bus, core, regs::kInvCmd,
        regs::put(regs::field::kInvOp, static_cast<std::uint64_t>(op)) |
            regs::put(regs::field::kInvPcid, pcid) | regs::put(regs::field::kInvVmid, vmid));
}

unsigned invalidate_leaves(MachineBus& bus, unsigned core, std::uint16_t pcid,
                           const std::vector<Leaf>& leaves) {
  constexpr std::size_t kByAddressMax = 32;  // more pages: flush the whole PCID
  if (leaves.empty()) return 0;
  const bool global = std::any_of(leaves.begin(), leaves.end(),
                                  [](const Leaf& l) { return (l.flags & arch::pte::kG) != 0; });
  if (global) {
    invalidate(bus, core, regs::InvOp::kInvpcidAllGlobal);
    return 1;
  }
  if (leaves.size() > kByAddressMax) {
    invalidate(bus, core, regs::InvOp::kInvpcidContext, pcid);
    return 1;
  }
  for (const Leaf& l : leaves) invalidate(bus, core, regs::InvOp::kInvpcidAddr, pcid, 0, l.in);
  return static_cast<unsigned>(leaves.size());
}

}  // namespace mmuvp::stub::mmu
