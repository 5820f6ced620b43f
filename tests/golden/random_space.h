// A seeded random address space for the randomized golden-vs-reference comparison: guest pages of
// mixed sizes with random permissions and pre-set A/D bits, EPT backing with mixed host page sizes
// and permissions (and holes), candidate guest and VMM segments placed over mapped memory and at
// its edges, an escape filter with a few escaped (some remapped) frames, corrupted guest and EPT
// entries, and table pointers beyond the end of physical memory. Deterministic for a given seed.
#pragma once
#include <cstdint>
#include <random>
#include <vector>

#include "arch/escape_filter.h"
#include "arch/translation.h"
#include "tests/golden/bounded_memory.h"
#include "tests/golden/walk_fixture.h"

namespace mmuvp::golden {

class RandomSpace {
 public:
  RandomSpace(arch::Mode mode, std::uint64_t seed, unsigned maxphyaddr);

  // The memory both walkers must use (it ends at kMemoryLimit).
  arch::PhysMem& memory() { return bounded_; }
  // One of the prepared contexts (segments, filter, EPTP A/D bit, A/D updates vary).
  const arch::TranslationContext& pick_context(std::mt19937_64& rng) const;
  // A random access: mostly inside mapped pages, some at segment edges, some unmapped, some
  // non-canonical; random access type and CPL.
  arch::Access pick_access(std::mt19937_64& rng) const;

  std::size_t pages() const { return pages_.size(); }
  std::size_t corruptions() const { return corruptions_; }

  static constexpr std::uint64_t kMemoryLimit = 0x400'0000'0000ull;  // 4 TiB

 private:
  struct Page {
    gva_t va;
    arch::PageSize size;
    std::vector<std::uint64_t> hot;  // offsets whose gPA the EPT backs (empty: any offset)
  };

  void map_pages();
  void add_page(gva_t va, arch::PageSize size, gpa_t gpa);
  void back_data(gpa_t gpa, std::vector<std::uint64_t>& hot, std::uint64_t page_bytes);
  std::uint64_t random_ept_rwx();
  void make_segments();
  void make_filter();
  void corrupt_guest(unsigned count);
  void corrupt_ept(unsigned count);
  void make_contexts();
  gva_t random_gva_in_used_slots(std::mt19937_64& rng) const;

  arch::Mode mode_;
  bool virt_;
  unsigned maxphyaddr_;
  std::mt19937_64 rng_;
  WalkFixture fx_;
  BoundedMemory bounded_;
  arch::EscapeFilter filter_;
  arch::EscapeFilter empty_filter_;
  std::vector<arch::PageSize> host_size_;  // EPT page size per 1 GiB block of data gPAs
  std::vector<Page> pages_;
  std::vector<arch::Segment> guest_segs_, vmm_segs_;
  std::vector<arch::TranslationContext> contexts_;
  std::size_t corruptions_ = 0;
};

}  // namespace mmuvp::golden
