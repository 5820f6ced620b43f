// The RTL walker's register block kept equal to an MMU's context (rtl_register_mirror.h).
#include "tb/rtl_register_mirror.h"

#include <fmt/format.h>

#include <stdexcept>
#include <utility>

namespace mmuvp::tb {

namespace {

namespace regs = arch::regs;

// walker_top's parameters as Verilated (rtl/CMakeLists.txt builds the defaults).
constexpr unsigned kRtlMaxPhyAddr = 52;
constexpr unsigned kRtlFilterBits = arch::kFilterDefaultBits;
constexpr unsigned kRtlFilterHashes = arch::kFilterDefaultHashes;

bool same(const arch::Segment& a, const arch::Segment& b) {
  return a.base == b.base && a.limit == b.limit && a.offset == b.offset;
}

}  // namespace

RtlRegisterMirror::RtlRegisterMirror(std::string owner, WriteFn write, FramesFn escaped_frames)
    : owner_(std::move(owner)),
      write_(std::move(write)),
      escaped_frames_(std::move(escaped_frames)),
      shadow_filter_(kRtlFilterBits, kRtlFilterHashes) {}

void RtlRegisterMirror::write(std::uint32_t offset, std::uint64_t value) {
  const regs::RegStatus st = write_(offset, value);
  ++writes_;
  if (st != regs::RegStatus::kOk)
    throw std::runtime_error(fmt::format("{}: the RTL register block refused {:#x} = {:#x}: {}",
                                         owner_, offset, value, regs::to_string(st)));
}

void RtlRegisterMirror::program(const arch::TranslationContext& c) {
  const bool all = !programmed_;
  const arch::TranslationContext& p = ctx_;
  if (c.maxphyaddr != kRtlMaxPhyAddr)
    throw std::runtime_error(fmt::format("{}: MAXPHYADDR {}: the RTL walker is built for {}",
                                         owner_, c.maxphyaddr, kRtlMaxPhyAddr));
  if (all || c.ad_updates != p.ad_updates)
    write(regs::kConfig, regs::put(regs::field::kConfigAd, c.ad_updates ? 1 : 0) |
                             regs::put(regs::field::kConfigMaxPhy, kRtlMaxPhyAddr));
  if (all || c.mode != p.mode) write(regs::kMode, static_cast<std::uint64_t>(c.mode));
  if (all || c.cr3 != p.cr3) write(regs::kCr3, c.cr3);
  if (all || c.pcid != p.pcid) write(regs::kPcid, c.pcid);
  if (all || c.eptp != p.eptp) write(regs::kEptp, c.eptp);
  if (all || c.vmid != p.vmid) write(regs::kVmid, c.vmid);
  const bool guest = all || !same(c.guest_seg, p.guest_seg);
  const bool vmm = all || !same(c.vmm_seg, p.vmm_seg);
  if (guest) {
    write(regs::kBaseG, c.guest_seg.base);
    write(regs::kLimitG, c.guest_seg.limit);
    write(regs::kOffsetG, c.guest_seg.offset);
  }
  if (vmm) {
    write(regs::kBaseV, c.vmm_seg.base);
    write(regs::kLimitV, c.vmm_seg.limit);
    write(regs::kOffsetV, c.vmm_seg.offset);
  }
  if (guest || vmm)
    write(regs::kSegCommit, regs::put(regs::field::kCommitGuest, guest ? 1 : 0) |
                                regs::put(regs::field::kCommitVmm, vmm ? 1 : 0));
  program_filter(c.filter);
  ctx_ = c;
  programmed_ = true;
}

void RtlRegisterMirror::program_filter(const arch::EscapeFilter* f) {
  const bool want_empty = f == nullptr || f->empty();
  if (want_empty ? shadow_filter_.empty()
                 : (!shadow_filter_.empty() && shadow_filter_.words() == f->words()))
    return;
  if (f != nullptr && (f->bits() != kRtlFilterBits || f->hashes() != kRtlFilterHashes))
    throw std::runtime_error(fmt::format("{}: escape filter m={} k={}: the RTL walker is built "
                                         "with m={} k={}", owner_, f->bits(), f->hashes(),
                                         kRtlFilterBits, kRtlFilterHashes));
  write(regs::kFilterCtrl, regs::put(regs::field::kFilterClear, 1));
  shadow_filter_.clear();
  if (!want_empty && escaped_frames_) {
    for (const std::uint64_t frame : escaped_frames_()) {
      if (f->maybe_contains(frame)) {  // frames the MMU's filter holds (a subset suffices)
        write(regs::kFilterAdd, frame);
        shadow_filter_.add(frame);
      }
    }
  }
  if (want_empty ? !shadow_filter_.empty() : shadow_filter_.words() != f->words())
    throw std::runtime_error(fmt::format("{}: the RTL's escape filter cannot be made equal to "
                                         "the MMU's from the escaped frames", owner_));
}

}  // namespace mmuvp::tb
