// One MMU's register block: the write rules of arch/mmu_regs.h (each refusal leaves every register
// but STATUS unchanged), staged segment registers applied atomically by SEG_COMMIT, the escape
// filter behind FILTER_CTRL/FILTER_ADD, and INV_CMD decoding.
#include "arch/register_block.h"

#include <limits>
#include <stdexcept>
#include <string>

#include "arch/ept.h"
#include "arch/mode.h"

namespace mmuvp::arch {

namespace {

using regs::RegAccess;
using regs::RegStatus;
namespace field = regs::field;

constexpr std::uint64_t reset_of(std::uint32_t offset) {
  const regs::RegDesc* r = regs::find_register(offset);
  return r ? r->reset : 0;
}

constexpr bool aligned_4k(std::uint64_t v) { return (v & (kPage4K - 1)) == 0; }

bool same(const Segment& a, const Segment& b) {
  return a.base == b.base && a.limit == b.limit && a.offset == b.offset;
}

RegStatus to_status(SegmentError e) {
  switch (e) {
    case SegmentError::kOk: return RegStatus::kOk;
    case SegmentError::kMisaligned: return RegStatus::kSegMisaligned;
    case SegmentError::kLimitBelowBase: return RegStatus::kSegLimitBelowBase;
    case SegmentError::kInputOutOfRange: return RegStatus::kSegInputOutOfRange;
    case SegmentError::kOutputOutOfRange: return RegStatus::kSegOutputOutOfRange;
  }
  return RegStatus::kSegMisaligned;
}

unsigned checked_maxphyaddr(unsigned m) {
  if (m < kMinMaxPhyAddr || m > kDefaultMaxPhyAddr)
    throw std::invalid_argument("MAXPHYADDR " + std::to_string(m) + " must be in [" +
                                std::to_string(kMinMaxPhyAddr) + ", " +
                                std::to_string(kDefaultMaxPhyAddr) + "]");
  return m;
}

}  // namespace

RegisterBlock::RegisterBlock(const MmuParams& params)
    : params_{checked_maxphyaddr(params.maxphyaddr), params.filter_bits, params.filter_hashes},
      filter_(params.filter_bits, params.filter_hashes) {
  reset();
}

RegisterBlock::RegisterBlock(const RegisterBlock& other)
    : on_invalidate(other.on_invalidate),
      params_(other.params_),
      filter_(other.filter_),
      ctx_(other.ctx_),
      staged_guest_(other.staged_guest_),
      staged_vmm_(other.staged_vmm_),
      inv_addr_(other.inv_addr_),
      status_(other.status_),
      fault_info_(other.fault_info_),
      fault_gva_(other.fault_gva_),
      fault_gpa_(other.fault_gpa_) {
  ctx_.filter = &filter_;
}

RegisterBlock& RegisterBlock::operator=(const RegisterBlock& other) {
  if (this == &other) return *this;
  on_invalidate = other.on_invalidate;
  params_ = other.params_;
  filter_ = other.filter_;
  ctx_ = other.ctx_;
  ctx_.filter = &filter_;
  staged_guest_ = other.staged_guest_;
  staged_vmm_ = other.staged_vmm_;
  inv_addr_ = other.inv_addr_;
  status_ = other.status_;
  fault_info_ = other.fault_info_;
  fault_gva_ = other.fault_gva_;
  fault_gpa_ = other.fault_gpa_;
  return *this;
}

void RegisterBlock::reset() {
  filter_.clear();
  ctx_ = TranslationContext{};
  ctx_.mode = mode_from_register(reset_of(regs::kMode)).value_or(Mode::kNative);
  ctx_.cr3 = reset_of(regs::kCr3);
  ctx_.pcid = static_cast<std::uint16_t>(reset_of(regs::kPcid));
  ctx_.eptp = reset_of(regs::kEptp);
  ctx_.vmid = static_cast<std::uint16_t>(reset_of(regs::kVmid));
  ctx_.guest_seg = {reset_of(regs::kBaseG), reset_of(regs::kLimitG), reset_of(regs::kOffsetG)};
  ctx_.vmm_seg = {reset_of(regs::kBaseV), reset_of(regs::kLimitV), reset_of(regs::kOffsetV)};
  ctx_.filter = &filter_;
  ctx_.maxphyaddr = params_.maxphyaddr;
  ctx_.ad_updates = regs::get(reset_of(regs::kConfig), field::kConfigAd) != 0;
  staged_guest_ = ctx_.guest_seg;
  staged_vmm_ = ctx_.vmm_seg;
  inv_addr_ = reset_of(regs::kInvAddr);
  status_ = reset_of(regs::kStatus);
  fault_info_ = reset_of(regs::kFaultInfo);
  fault_gva_ = reset_of(regs::kFaultGva);
  fault_gpa_ = reset_of(regs::kFaultGpa);
}

std::uint64_t RegisterBlock::read(std::uint32_t offset) {
  const regs::RegDesc* r = regs::find_register(offset);
  if (r == nullptr) {
    refuse(RegStatus::kBadOffset, offset);
    return 0;
  }
  if (r->access == RegAccess::kWO) return 0;
  switch (offset) {
    case regs::kId: return regs::kIdValue;
    case regs::kMode: return static_cast<std::uint64_t>(ctx_.mode);
    case regs::kCr3: return ctx_.cr3;
    case regs::kPcid: return ctx_.pcid;
    case regs::kEptp: return ctx_.eptp;
    case regs::kVmid: return ctx_.vmid;
    case regs::kBaseG: return ctx_.guest_seg.base;
    case regs::kLimitG: return ctx_.guest_seg.limit;
    case regs::kOffsetG: return ctx_.guest_seg.offset;
    case regs::kBaseV: return ctx_.vmm_seg.base;
    case regs::kLimitV: return ctx_.vmm_seg.limit;
    case regs::kOffsetV: return ctx_.vmm_seg.offset;
    case regs::kFilterCtrl:
      return regs::put(field::kFilterBits, filter_.bits()) |
             regs::put(field::kFilterHashes, filter_.hashes()) |
             regs::put(field::kFilterAdded, filter_.added());
    case regs::kInvAddr: return inv_addr_;
    case regs::kStatus: return status_;
    case regs::kFaultInfo: return fault_info_;
    case regs::kFaultGva: return fault_gva_;
    case regs::kFaultGpa: return fault_gpa_;
    case regs::kConfig:
      return regs::put(field::kConfigAd, ctx_.ad_updates ? 1 : 0) |
             regs::put(field::kConfigMaxPhy, params_.maxphyaddr);
    default: return 0;
  }
}

regs::RegStatus RegisterBlock::write(std::uint32_t offset, std::uint64_t value) {
  const RegStatus s = write_register(offset, value);
  if (s != RegStatus::kOk) refuse(s, offset);
  return s;
}

regs::RegStatus RegisterBlock::write_register(std::uint32_t offset, std::uint64_t value) {
  const regs::RegDesc* r = regs::find_register(offset);
  if (r == nullptr) return RegStatus::kBadOffset;
  if (r->access == RegAccess::kRO) return RegStatus::kReadOnly;
  switch (offset) {
    case regs::kMode: {
      const auto mode = mode_from_register(value);
      if (!mode) return RegStatus::kBadMode;
      if (*mode != ctx_.mode) {
        ctx_.mode = *mode;
        flush_all();  // cached translations were made under the other mode's rules
      }
      return RegStatus::kOk;
    }
    case regs::kCr3:
      if (!aligned_4k(value) || value >= phys_limit(params_.maxphyaddr)) return RegStatus::kBadCr3;
      ctx_.cr3 = value;
      return RegStatus::kOk;
    case regs::kPcid:
      if ((value >> regs::kPcidBits) != 0) return RegStatus::kBadValue;
      ctx_.pcid = static_cast<std::uint16_t>(value);
      return RegStatus::kOk;
    case regs::kEptp:
      if (value != 0 && !ept::eptp::valid(value, params_.maxphyaddr)) return RegStatus::kBadEptp;
      ctx_.eptp = value;
      return RegStatus::kOk;
    case regs::kVmid:
      if ((value >> regs::kVmidBits) != 0) return RegStatus::kBadValue;
      ctx_.vmid = static_cast<std::uint16_t>(value);
      return RegStatus::kOk;
    case regs::kBaseG:
    case regs::kLimitG:
    case regs::kOffsetG:
    case regs::kBaseV:
    case regs::kLimitV:
    case regs::kOffsetV: return write_segment(offset, value);
    case regs::kSegCommit: return commit_segments(value);
    case regs::kFilterCtrl: return write_filter_ctrl(value);
    case regs::kFilterAdd: return write_filter_add(value);
    case regs::kInvCmd: return write_inv_cmd(value);
    case regs::kInvAddr:
      inv_addr_ = value;
      return RegStatus::kOk;
    case regs::kStatus:
      status_ = 0;  // any write clears
      return RegStatus::kOk;
    case regs::kConfig: return write_config(value);
    default: return RegStatus::kBadOffset;
  }
}

regs::RegStatus RegisterBlock::write_segment(std::uint32_t offset, std::uint64_t value) {
  if (!aligned_4k(value)) return RegStatus::kSegMisaligned;
  switch (offset) {
    case regs::kBaseG: staged_guest_.base = value; break;
    case regs::kLimitG: staged_guest_.limit = value; break;
    case regs::kOffsetG: staged_guest_.offset = value; break;
    case regs::kBaseV: staged_vmm_.base = value; break;
    case regs::kLimitV: staged_vmm_.limit = value; break;
    case regs::kOffsetV: staged_vmm_.offset = value; break;
    default: return RegStatus::kBadOffset;
  }
  return RegStatus::kOk;
}

regs::RegStatus RegisterBlock::commit_segments(std::uint64_t value) {
  const std::uint64_t defined =
      regs::field_mask(field::kCommitGuest) | regs::field_mask(field::kCommitVmm);
  if ((value & ~defined) != 0) return RegStatus::kBadValue;
  const bool guest = regs::get(value, field::kCommitGuest) != 0;
  const bool vmm = regs::get(value, field::kCommitVmm) != 0;
  const std::uint64_t phys = phys_limit(params_.maxphyaddr);
  // Check everything first: with both bits set, one failure applies neither segment.
  if (guest) {
    const SegmentError e =
        staged_guest_.validate(1ull << regs::kGuestSegmentInputBits, phys);
    if (e != SegmentError::kOk) return to_status(e);
  }
  if (vmm) {
    const SegmentError e = staged_vmm_.validate(phys, phys);
    if (e != SegmentError::kOk) return to_status(e);
  }
  bool changed = false;
  if (guest && !same(ctx_.guest_seg, staged_guest_)) {
    ctx_.guest_seg = staged_guest_;
    changed = true;
  }
  if (vmm && !same(ctx_.vmm_seg, staged_vmm_)) {
    ctx_.vmm_seg = staged_vmm_;
    changed = true;
  }
  if (changed) flush_all();
  return RegStatus::kOk;
}

regs::RegStatus RegisterBlock::write_filter_ctrl(std::uint64_t value) {
  if ((value & ~regs::field_mask(field::kFilterClear)) != 0) return RegStatus::kBadValue;
  if (regs::get(value, field::kFilterClear) != 0) {
    filter_.clear();
    flush_all();
  }
  return RegStatus::kOk;
}

regs::RegStatus RegisterBlock::write_filter_add(std::uint64_t value) {
  if ((value >> (params_.maxphyaddr - kPageShift)) != 0) return RegStatus::kBadValue;
  filter_.add(value);
  flush_all();
  return RegStatus::kOk;
}

regs::RegStatus RegisterBlock::write_inv_cmd(std::uint64_t value) {
  const std::uint64_t defined = regs::field_mask(field::kInvOp) |
                                regs::field_mask(field::kInvPcid) |
                                regs::field_mask(field::kInvVmid);
  if ((value & ~defined) != 0) return RegStatus::kBadInvCommand;
  const std::uint64_t op = regs::get(value, field::kInvOp);
  if (op == static_cast<std::uint64_t>(regs::InvOp::kNone) || op >= regs::kInvOpCount)
    return RegStatus::kBadInvCommand;
  Invalidation inv;
  inv.op = static_cast<regs::InvOp>(op);
  inv.pcid = ctx_.pcid;
  inv.vmid = ctx_.vmid;
  switch (inv.op) {
    case regs::InvOp::kInvlpg: inv.addr = inv_addr_; break;
    case regs::InvOp::kInvpcidAddr:
      inv.addr = inv_addr_;
      inv.pcid = static_cast<std::uint16_t>(regs::get(value, field::kInvPcid));
      break;
    case regs::InvOp::kInvpcidContext:
    case regs::InvOp::kInvpcidAllGlobal:
    case regs::InvOp::kInvpcidAll:
      inv.pcid = static_cast<std::uint16_t>(regs::get(value, field::kInvPcid));
      break;
    case regs::InvOp::kInveptSingle:
      inv.vmid = static_cast<std::uint16_t>(regs::get(value, field::kInvVmid));
      break;
    case regs::InvOp::kNone:
    case regs::InvOp::kInveptAll:
    case regs::InvOp::kFlushAll: break;
  }
  invalidate(inv);
  return RegStatus::kOk;
}

regs::RegStatus RegisterBlock::write_config(std::uint64_t value) {
  const std::uint64_t defined =
      regs::field_mask(field::kConfigAd) | regs::field_mask(field::kConfigMaxPhy);
  if ((value & ~defined) != 0) return RegStatus::kBadValue;
  if (regs::get(value, field::kConfigMaxPhy) != params_.maxphyaddr) return RegStatus::kReadOnly;
  ctx_.ad_updates = regs::get(value, field::kConfigAd) != 0;
  return RegStatus::kOk;
}

void RegisterBlock::refuse(regs::RegStatus s, std::uint32_t offset) {
  constexpr std::uint64_t kCountMax = std::numeric_limits<std::uint32_t>::max();
  static_assert(field::kStatusCount.width == 32, "STATUS.COUNT saturates at 2^32 - 1");
  std::uint64_t count = regs::get(status_, field::kStatusCount);
  if (count < kCountMax) ++count;
  status_ = regs::put(field::kStatusCode, static_cast<std::uint64_t>(s)) |
            regs::put(field::kStatusOffset, offset) | regs::put(field::kStatusCount, count);
}

void RegisterBlock::invalidate(const Invalidation& inv) {
  if (on_invalidate) on_invalidate(inv);
}

void RegisterBlock::flush_all() {
  Invalidation inv;
  inv.op = regs::InvOp::kFlushAll;
  inv.pcid = ctx_.pcid;
  inv.vmid = ctx_.vmid;
  invalidate(inv);
}

void RegisterBlock::record_fault(const Fault& f) {
  fault_info_ = regs::put(field::kFaultKind, static_cast<std::uint64_t>(f.kind)) |
                regs::put(field::kFaultStage, static_cast<std::uint64_t>(f.stage)) |
                regs::put(field::kFaultLevel, f.level) | regs::put(field::kFaultCode, f.code);
  fault_gva_ = f.gva;
  fault_gpa_ = f.gpa;
}

}  // namespace mmuvp::arch
