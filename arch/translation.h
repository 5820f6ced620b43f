// What a translation takes (context + access) and what it returns (result, fault, page size, and
// the ordered memory references and segment additions it made, so that costs are counted).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

#include "arch/address.h"
#include "arch/escape_filter.h"
#include "arch/fault.h"
#include "arch/mode.h"
#include "arch/segment.h"

namespace mmuvp::arch {

enum class AccessType : std::uint8_t { kRead = 0, kWrite = 1, kExecute = 2 };

struct Access {
  gva_t va = 0;
  AccessType type = AccessType::kRead;
  bool user = true;  // CPL 3
};

// The state the MMU's register block holds (SPEC §4), as the walker sees it.
struct TranslationContext {
  Mode mode = Mode::kNative;
  std::uint64_t cr3 = 0;    // guest PML4 physical address (gPA; PA in native modes)
  std::uint16_t pcid = 0;   // tags TLB entries; not used by the walk itself
  std::uint64_t eptp = 0;   // EPT pointer (virtualized modes)
  std::uint16_t vmid = 0;   // tags TLB entries; not used by the walk itself
  Segment guest_seg;        // BASE_G/LIMIT_G/OFFSET_G: gVA -> gPA (native-ds: VA -> PA)
  Segment vmm_seg;          // BASE_V/LIMIT_V/OFFSET_V: gPA -> hPA
  const EscapeFilter* filter = nullptr;  // consulted with the VMM segment; null = empty
  unsigned maxphyaddr = kDefaultMaxPhyAddr;
  bool ad_updates = true;   // set A/D bits (guest; EPT too when EPTP bit 6); off for counting studies
};

// Segment permissions (SPEC §2: segments map read/write/user memory). The guest segment does not
// grant execute (an instruction fetch inside it is a guest #PF); the VMM segment grants R/W/X.
struct Perms {
  bool r = false, w = false, x = false, u = false;
  // Whether a cached translation with these permissions may serve `a` (else the walker runs and
  // reports the fault from memory).
  constexpr bool allow(AccessType type, bool user) const {
    return (!user || u) && (type != AccessType::kWrite || w) &&
           (type != AccessType::kExecute || x) && (type == AccessType::kExecute || r);
  }
  bool operator==(const Perms& o) const { return r == o.r && w == o.w && x == o.x && u == o.u; }
};

// Which structure a walker memory reference touched.
enum class RefTarget : std::uint8_t { kGuestEntry = 0, kEptEntry = 1 };

struct MemRef {
  hpa_t addr = 0;
  RefTarget target = RefTarget::kGuestEntry;
  std::uint8_t level = 0;    // level of the entry, 4..1
  // For EPT references: which gPA was being translated: 4..1 = the guest table of that level,
  // 0 = the final gPA. For guest references: same as level.
  std::uint8_t for_level = 0;
  bool write = false;        // A/D update (locked read-modify-write)
  bool operator==(const MemRef& o) const {
    return addr == o.addr && target == o.target && level == o.level && for_level == o.for_level &&
           write == o.write;
  }
  bool operator!=(const MemRef& o) const { return !(*this == o); }
};

enum class SegmentKind : std::uint8_t { kGuest = 0, kVmm = 1 };
struct SegmentAdd {
  SegmentKind seg = SegmentKind::kGuest;
  std::uint64_t in = 0, out = 0;
  bool operator==(const SegmentAdd& o) const { return seg == o.seg && in == o.in && out == o.out; }
};

// A small fixed-capacity list: translations allocate nothing.
template <typename T, std::size_t N>
class FixedList {
 public:
  void push(const T& v) { if (n_ < N) items_[n_++] = v; else overflow_ = true; }
  std::size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  bool overflowed() const { return overflow_; }
  const T& operator[](std::size_t i) const { return items_[i]; }
  const T* begin() const { return items_.data(); }
  const T* end() const { return items_.data() + n_; }
  void clear() { n_ = 0; overflow_ = false; }
  bool operator==(const FixedList& o) const {
    if (n_ != o.n_) return false;
    for (std::size_t i = 0; i < n_; ++i) if (!(items_[i] == o.items_[i])) return false;
    return true;
  }

 private:
  std::array<T, N> items_{};
  std::size_t n_ = 0;
  bool overflow_ = false;
};

// Upper bound: 24 reads + A/D writes on 4 guest entries and 5 EPT walks of 4 entries.
constexpr std::size_t kMaxRefs = 56;
constexpr std::size_t kMaxAdds = 6;

struct TranslationResult {
  Fault fault;                     // kind == kNone on success
  gpa_t gpa = 0;                   // gVA -> gPA (== hpa in native modes)
  hpa_t hpa = 0;
  PageSize size = PageSize::k4K;   // effective size of the gVA -> hPA mapping (TLB fill size)
  PageSize guest_size = PageSize::k4K;  // size of the gVA -> gPA mapping (page or segment block)
  PageSize host_size = PageSize::k4K;   // size of the gPA -> hPA mapping
  Perms perms;                     // effective permissions of the combined mapping
  std::uint64_t guest_leaf = 0;    // guest leaf entry as read (0 if a segment translated)
  std::uint64_t ept_leaf = 0;      // EPT leaf of the final gPA as read (0 if none)
  bool guest_seg_hit = false;      // gVA -> gPA by the guest segment
  bool vmm_seg_hit = false;        // final gPA -> hPA by the VMM segment
  std::uint8_t filter_hits = 0;    // gPAs inside the VMM segment that the escape filter sent to EPT
  // For the TLB fill: `global` = the guest leaf's G bit (false for a segment); `dirty` = a cached
  // copy of this translation may serve writes without a walk: perms.w, and the guest leaf's D set
  // (or the guest segment translated), and natively / by the VMM segment / EPT A/D off / the EPT
  // leaf's D set (or a nested-TLB entry that says so).
  bool global = false;
  bool dirty = false;
  FixedList<MemRef, kMaxRefs> refs;
  FixedList<SegmentAdd, kMaxAdds> adds;

  bool ok() const { return fault.ok(); }
  std::size_t read_refs() const;   // references that were entry reads (not A/D writes)
};

}  // namespace mmuvp::arch
