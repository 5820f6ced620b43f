#include "tests/golden/random_space.h"

#include <algorithm>
#include <stdexcept>

#include "arch/pte.h"

namespace mmuvp::golden {

namespace ept = arch::ept;
namespace pte = arch::pte;
using arch::PageSize;

namespace {

// Data gPAs live in 16 blocks of 1 GiB from 512 GiB: their EPT path leaves the PML4 by slot 1,
// the guest tables' (gPA 2 MiB..) by slot 0, so a data-path corruption spares the tables.
constexpr unsigned kDataBlocks = 16;
constexpr gpa_t kDataBase = 0x80'0000'0000ull;
constexpr unsigned kPml4Slots[] = {0, 1, 2, 5, 0x40, 0x80, 0x100, 0x1ff};  // >= 0x100: upper half
constexpr unsigned kPdptSlots[] = {0, 3, 0x100, 0x1ff};
constexpr unsigned kPdSlots[] = {0, 1, 7, 0x80, 0x1fe};
constexpr hpa_t kRemapHpa = 0x300'0000'0000ull;  // where escaped frames are moved (3 TiB)

constexpr gpa_t data_block(std::uint64_t b) { return kDataBase + (b << 30); }
// Block number of a data gPA, or kDataBlocks when it is not in the data area.
constexpr std::uint64_t block_of(gpa_t gpa) {
  return gpa >= kDataBase && gpa < data_block(kDataBlocks) ? (gpa - kDataBase) >> 30 : kDataBlocks;
}

constexpr unsigned leaf_level(PageSize s) {
  return s == PageSize::k1G ? 3 : s == PageSize::k2M ? 2 : 1;
}
constexpr std::uint64_t sign_extend48(std::uint64_t v) {
  return (v & (1ull << 47)) ? (v | 0xffff'0000'0000'0000ull) : (v & 0x0000'ffff'ffff'ffffull);
}
template <typename T, std::size_t N>
T pick(std::mt19937_64& rng, const T (&options)[N]) {
  return options[rng() % N];
}
// Level 1 most often, level 4 rarely: an upper-level corruption breaks many translations.
unsigned weighted_level(std::mt19937_64& rng, unsigned lowest) {
  const unsigned r = rng() % 100;
  const unsigned l = r < 65 ? 1 : r < 90 ? 2 : r < 98 ? 3 : 4;
  return std::max(l, lowest);
}

}  // namespace

RandomSpace::RandomSpace(arch::Mode mode, std::uint64_t seed, unsigned maxphyaddr)
    : mode_(mode),
      virt_(arch::is_virtualized(mode)),
      maxphyaddr_(maxphyaddr),
      rng_(seed),
      fx_([&] {
        FixtureOptions o;
        o.virtualized = arch::is_virtualized(mode);
        o.maxphyaddr = maxphyaddr;
        std::mt19937_64 r(seed ^ 0x5eed);
        const PageSize sizes[] = {PageSize::k4K, PageSize::k2M, PageSize::k1G};
        o.table_host_size = pick(r, sizes);
        return o;
      }()),
      bounded_(fx_.mem, kMemoryLimit) {
  host_size_.resize(kDataBlocks);
  for (PageSize& s : host_size_) {
    const unsigned r = rng_() % 100;
    s = r < 50 ? PageSize::k4K : r < 80 ? PageSize::k2M : PageSize::k1G;
  }
  map_pages();
  make_segments();
  make_filter();
  corrupt_guest(12);
  corrupt_ept(12);
  make_contexts();
}

std::uint64_t RandomSpace::random_ept_rwx() {
  const unsigned r = rng_() % 100;
  if (r < 76) return ept::kRWX;
  if (r < 84) return ept::kR;
  if (r < 90) return ept::kR | ept::kW;
  if (r < 95) return ept::kR | ept::kX;
  if (r < 99) return ept::kX;
  return ept::kW | ept::kX;  // misconfiguration
}

void RandomSpace::back_data(gpa_t gpa, std::vector<std::uint64_t>& hot, std::uint64_t page_bytes) {
  if (!virt_) return;
  const std::uint64_t block = block_of(gpa);
  if (block >= kDataBlocks) return;  // beyond the 48-bit EPT: never backed
  const PageSize h = host_size_[block];
  const std::uint64_t hbytes = arch::page_bytes(h);
  auto back_one = [&](gpa_t a) {
    if (rng_() % 100 < 5) return;  // hole
    try {
      fx_.back(a, h, random_ept_rwx());
    } catch (const std::logic_error&) {
    }
  };
  if (page_bytes <= hbytes) {
    back_one(gpa);
    return;
  }
  for (unsigned i = 0; i < 4; ++i) {
    const std::uint64_t off = (rng_() % (page_bytes / hbytes)) * hbytes;
    back_one(gpa + off);
    hot.push_back(off);
  }
}

void RandomSpace::add_page(gva_t va, PageSize size, gpa_t gpa) {
  const bool w = rng_() % 100 < 85, u = rng_() % 100 < 90, x = rng_() % 100 < 80;
  std::uint64_t extra = 0;
  if (rng_() % 5 == 0) extra |= pte::kA;
  if (rng_() % 8 == 0) extra |= pte::kA | pte::kD;
  if (rng_() % 10 == 0) extra |= pte::kG;
  if (size != PageSize::k4K && rng_() % 10 == 0) extra |= pte::kPATLarge;
  try {
    fx_.map_guest(va, gpa, size, w, u, x, extra);
  } catch (const std::logic_error&) {
    return;  // overlaps a page of another size: skip
  }
  Page p{va, size, {}};
  back_data(gpa, p.hot, arch::page_bytes(size));
  pages_.push_back(std::move(p));
}

void RandomSpace::map_pages() {
  for (unsigned region = 0; region < 40; ++region) {
    const unsigned r = rng_() % 100;
    const PageSize size = r < 55 ? PageSize::k4K : r < 85 ? PageSize::k2M : PageSize::k1G;
    const std::uint64_t bytes = arch::page_bytes(size);
    std::uint64_t va48 =
        std::uint64_t{pick(rng_, kPml4Slots)} << 39 | std::uint64_t{pick(rng_, kPdptSlots)} << 30;
    if (size != PageSize::k1G) va48 |= std::uint64_t{pick(rng_, kPdSlots)} << 21;
    if (size == PageSize::k4K) va48 |= (rng_() % 512) << 12;
    const unsigned count = size == PageSize::k4K   ? 1 + rng_() % 16
                           : size == PageSize::k2M ? 1 + rng_() % 4
                                                   : 1;
    for (unsigned i = 0; i < count; ++i) {
      const std::uint64_t va_i = (va48 + i * bytes) & 0x0000'ffff'ffff'ffffull;
      gpa_t gpa = data_block(rng_() % kDataBlocks) + (rng_() % (arch::kPage1G / bytes)) * bytes;
      if (maxphyaddr_ == 52 && rng_() % 100 == 0) gpa += 1ull << 48;  // beyond the 4-level EPT
      add_page(sign_extend48(va_i), size, gpa);
    }
  }
  // Non-leaf permissions: accumulate R/W, U/S and XD over the levels (mostly just above the
  // leaf: an upper entry governs many pages).
  for (unsigned i = 0; i < pages_.size() / 16; ++i) {
    const Page& p = pages_[rng_() % pages_.size()];
    const unsigned level = std::min(4u, leaf_level(p.size) + 1 + (rng_() % 8 == 0 ? 1 : 0));
    const std::uint64_t flip[] = {pte::kRW, pte::kUS, pte::kXD};
    fx_.set_guest_entry(p.va, level, fx_.guest_entry(p.va, level) ^ pick(rng_, flip));
  }
}

void RandomSpace::make_segments() {
  const std::uint64_t aligns[] = {arch::kPage4K, arch::kPage2M, arch::kPage1G};
  guest_segs_.push_back({0, 0, 0});
  const Page& any = pages_[rng_() % pages_.size()];
  guest_segs_.push_back({any.va, any.va, 0x1000});  // BASE == LIMIT: disabled
  for (unsigned i = 0; i < 3; ++i) {
    const Page& p = pages_[rng_() % pages_.size()];
    const std::uint64_t a = pick(rng_, aligns);
    std::uint64_t base = (p.va & ~(a - 1)) - (rng_() % 2) * a;
    if (base > p.va) base = p.va & ~(a - 1);  // no wrap below 0
    const std::uint64_t limit = base + (1 + rng_() % 4) * a;
    const gpa_t target = data_block(rng_() % kDataBlocks) + (rng_() % (arch::kPage1G / a)) * a;
    guest_segs_.push_back({base, limit, target - base});
  }

  const hpa_t ram = fx_.options().ram_offset;
  vmm_segs_.push_back({0, 0, ram});
  vmm_segs_.push_back({0, data_block(1 + rng_() % (kDataBlocks - 1)), ram});  // tables + data
  vmm_segs_.push_back({0, data_block(kDataBlocks), ram});                     // all of VM RAM
  const gpa_t vbase = data_block(rng_() % (kDataBlocks - 1)) + (rng_() % 512) * arch::kPage2M +
                      (rng_() % 2) * (rng_() % 512) * arch::kPage4K + arch::kPage4K;
  const gpa_t vlimit = vbase + (1 + rng_() % 2048) * arch::kPage4K;
  const std::uint64_t shifts[] = {0, arch::kPage2M, 7 * arch::kPage4K};
  vmm_segs_.push_back({vbase, vlimit, ram + pick(rng_, shifts)});
  // Guest pages onto the edges of that segment: BASE, LIMIT-1, LIMIT, BASE-1.
  const gva_t edge_va = sign_extend48(std::uint64_t{5} << 39 | std::uint64_t{0x1ff} << 30);
  const gpa_t edges[] = {vbase, vlimit - arch::kPage4K, vlimit, vbase - arch::kPage4K};
  for (unsigned i = 0; i < 4; ++i) add_page(edge_va + i * arch::kPage4K, PageSize::k4K, edges[i]);
}

void RandomSpace::make_filter() {
  for (unsigned i = 0; i < 5; ++i) {
    const Page& p = pages_[rng_() % pages_.size()];
    const std::uint64_t off = p.hot.empty() ? 0 : p.hot[rng_() % p.hot.size()];
    gpa_t gpa = 0;
    try {
      gpa = fx_.guest_entry(p.va, leaf_level(p.size)) & arch::frame_mask(maxphyaddr_) &
            ~(arch::page_bytes(p.size) - 1);
    } catch (const std::logic_error&) {
      continue;
    }
    const gpa_t frame = gpa + off;
    filter_.add(frame >> 12);
    const std::uint64_t block = block_of(frame);
    if (virt_ && block < kDataBlocks && host_size_[block] == PageSize::k4K) {
      try {
        fx_.map_ept(frame & ~(arch::kPage4K - 1), kRemapHpa + (rng_() % 4096) * arch::kPage4K,
                    PageSize::k4K);
      } catch (const std::logic_error&) {
      }
    }
  }
  if (rng_() % 2) {
    const auto& tables = fx_.guest_tables();
    filter_.add(tables[rng_() % tables.size()] >> 12);
  }
}

void RandomSpace::corrupt_guest(unsigned count) {
  for (unsigned i = 0; i < count; ++i) {
    const Page& p = pages_[rng_() % pages_.size()];
    const unsigned leaf = leaf_level(p.size);
    const unsigned level = weighted_level(rng_, leaf);
    std::uint64_t e = 0;
    try {
      e = fx_.guest_entry(p.va, level);
    } catch (const std::logic_error&) {
      continue;  // an earlier corruption cut this walk short
    }
    switch (rng_() % 6) {
      case 0:
        e &= ~pte::kP;
        break;
      case 1:
        e |= 1ull << (maxphyaddr_ < 52 ? maxphyaddr_ + rng_() % (52 - maxphyaddr_) : 51);
        break;
      case 2:
        if (level == 4) {
          e |= pte::kPS;
        } else if (level == leaf && level > 1) {
          e |= 1ull << (13 + rng_() % (level == 3 ? 17 : 8));
        } else {
          e |= pte::kPS;  // a table pointer read as a large page
        }
        break;
      case 3:
        e |= arch::bit_range(62, 52) & rng_();
        break;  // ignored bits
      case 4: {
        const std::uint64_t flip[] = {pte::kRW, pte::kUS, pte::kXD};
        e ^= pick(rng_, flip);
        break;
      }
      default:
        e = (e & ~arch::frame_mask(52)) | (kMemoryLimit + (rng_() % 16) * arch::kPage4K);
        break;
    }
    fx_.set_guest_entry(p.va, level, e);
    ++corruptions_;
  }
}

void RandomSpace::corrupt_ept(unsigned count) {
  if (!virt_) return;
  // Read-only guest tables (not the PML4): an A/D update, or any access under EPT A/D, is then
  // an EPT write to them.
  const auto& tables = fx_.guest_tables();
  if (fx_.options().table_host_size == PageSize::k4K) {
    for (unsigned i = 0; i < 3; ++i) {
      const gpa_t t = tables[1 + rng_() % (tables.size() - 1)];
      const std::uint64_t keep = rng_() % 2 ? ept::kR : ept::kR | ept::kX;
      fx_.set_ept_entry(t, 1, (fx_.ept_entry(t, 1) & ~ept::kRWX) | keep);
    }
  }
  for (unsigned i = 0; i < count; ++i) {
    gpa_t gpa;
    unsigned level;
    if (rng_() % 2) {  // a data page
      const Page& p = pages_[rng_() % pages_.size()];
      try {
        gpa = (fx_.guest_entry(p.va, leaf_level(p.size)) & arch::frame_mask(maxphyaddr_) &
               ~(arch::page_bytes(p.size) - 1)) +
              (p.hot.empty() ? 0 : p.hot[0]);
      } catch (const std::logic_error&) {
        continue;
      }
      if (block_of(gpa) >= kDataBlocks) continue;     // a corrupted guest leaf points elsewhere
      level = std::min(3u, weighted_level(rng_, 1));  // the PML4E is shared by all data
    } else {  // a guest table's own 4K EPT leaf (the entries above it are shared by all tables),
              // not the PML4's (every walk uses it)
      if (fx_.options().table_host_size != PageSize::k4K) continue;
      gpa = tables[1 + rng_() % (tables.size() - 1)];
      level = 1;
    }
    std::uint64_t e = 0;
    try {
      e = fx_.ept_entry(gpa, level);
    } catch (const std::logic_error&) {
      continue;
    }
    const bool leaf = level == 1 || (level < 4 && (e & ept::kLarge));
    switch (rng_() % 6) {
      case 0:
        e &= ~ept::kRWX;
        break;
      case 1:
        e = (e & ~ept::kRWX) | ept::kW | (rng_() % 2 ? ept::kX : 0);
        break;
      case 2:
        if (leaf) {
          const std::uint64_t bad[] = {2, 3, 7};
          e = (e & ~arch::bit_range(5, 3)) | (pick(rng_, bad) << ept::kMemTypeShift);
        } else {
          e |= std::uint64_t{1 + rng_() % 15} << 3;  // bits 6:3 of a non-leaf
        }
        break;
      case 3:
        e |= 1ull << (maxphyaddr_ < 52 ? maxphyaddr_ + rng_() % (52 - maxphyaddr_) : 51);
        break;
      case 4:
        if (level == 4) {
          e |= ept::kLarge;
        } else {
          const std::uint64_t keep[] = {ept::kR, ept::kR | ept::kX, ept::kX, ept::kR | ept::kW};
          e = (e & ~ept::kRWX) | pick(rng_, keep);
        }
        break;
      default:
        e = (e & ~arch::frame_mask(52)) | (kMemoryLimit + (rng_() % 16) * arch::kPage1G);
        break;
    }
    fx_.set_ept_entry(gpa, level, e);
    ++corruptions_;
  }
}

void RandomSpace::make_contexts() {
  for (unsigned i = 0; i < 12; ++i) {
    arch::TranslationContext ctx = fx_.context(mode_);
    if (virt_) ctx.eptp = fx_.eptp(rng_() % 2 == 0);
    ctx.ad_updates = rng_() % 2 == 0;
    ctx.guest_seg = guest_segs_[rng_() % guest_segs_.size()];
    ctx.vmm_seg = vmm_segs_[rng_() % vmm_segs_.size()];
    const unsigned f = rng_() % 10;
    ctx.filter = f < 6 ? &filter_ : f < 8 ? &empty_filter_ : nullptr;
    contexts_.push_back(ctx);
  }
}

const arch::TranslationContext& RandomSpace::pick_context(std::mt19937_64& rng) const {
  return contexts_[rng() % contexts_.size()];
}

gva_t RandomSpace::random_gva_in_used_slots(std::mt19937_64& rng) const {
  const std::uint64_t va48 = std::uint64_t{pick(rng, kPml4Slots)} << 39 |
                             std::uint64_t{pick(rng, kPdptSlots)} << 30 |
                             std::uint64_t{pick(rng, kPdSlots)} << 21 | (rng() % (1u << 21));
  return sign_extend48(va48);
}

arch::Access RandomSpace::pick_access(std::mt19937_64& rng) const {
  arch::Access a;
  const unsigned t = rng() % 100;
  a.type = t < 45   ? arch::AccessType::kRead
           : t < 80 ? arch::AccessType::kWrite
                    : arch::AccessType::kExecute;
  a.user = rng() % 10 < 7;
  const unsigned r = rng() % 100;
  if (r < 76) {
    const Page& p = pages_[rng() % pages_.size()];
    const std::uint64_t bytes = arch::page_bytes(p.size);
    std::uint64_t off = rng() % bytes;
    if (!p.hot.empty() && rng() % 5 != 0) off = p.hot[rng() % p.hot.size()] + rng() % 4096;
    a.va = p.va + off;
  } else if (r < 84) {
    const arch::Segment& s = guest_segs_[rng() % guest_segs_.size()];
    const std::uint64_t span = s.limit > s.base ? s.limit - s.base : 1;
    const std::uint64_t at[] = {s.base - 1, s.base, s.limit - 1, s.limit, s.base + rng() % span};
    a.va = pick(rng, at);
  } else if (r < 92) {
    a.va = random_gva_in_used_slots(rng);
  } else if (r < 96) {
    a.va = sign_extend48(rng());
  } else {
    a.va = (rng() | (1ull << 60)) & ~(1ull << 47);  // upper bits not a sign extension
  }
  return a;
}

}  // namespace mmuvp::golden
