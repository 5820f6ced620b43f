#include "tests/golden/walk_fixture.h"

#include <array>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "arch/pte.h"

namespace mmuvp::golden {

namespace ept = arch::ept;
namespace pte = arch::pte;
using arch::table_index;

namespace {

constexpr unsigned leaf_level(PageSize s) {
  return s == PageSize::k1G ? 3 : s == PageSize::k2M ? 2 : 1;
}

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

void check_aligned(std::uint64_t a, PageSize s, const char* what) {
  if ((a & (arch::page_bytes(s) - 1)) != 0)
    throw std::logic_error(std::string(what) + " " + hex(a) + " not aligned to " +
                           std::string(arch::to_string(s)));
}

}  // namespace

WalkFixture::WalkFixture(FixtureOptions options) : opt_(options) {
  if (opt_.virtualized) ept_pml4_ = alloc_ept_table();
  cr3_ = alloc_guest_table();
}

std::uint64_t WalkFixture::eptp(bool ad_enable) const {
  return ept::eptp::make(ept_pml4_, ad_enable);
}

arch::TranslationContext WalkFixture::context(arch::Mode mode) const {
  arch::TranslationContext ctx;
  ctx.mode = mode;
  ctx.cr3 = cr3_;
  ctx.eptp = opt_.virtualized ? eptp(false) : 0;
  ctx.maxphyaddr = opt_.maxphyaddr;
  ctx.ad_updates = false;
  return ctx;
}

gpa_t WalkFixture::alloc_guest_table() {
  const gpa_t gpa = next_guest_table_;
  next_guest_table_ += arch::kPage4K;
  guest_tables_.push_back(gpa);
  const std::array<std::uint8_t, arch::kPage4K> zeros{};
  mem.write(table_hpa(gpa), zeros.data(), zeros.size());
  if (opt_.virtualized && opt_.back_tables) back(gpa, opt_.table_host_size);
  return gpa;
}

hpa_t WalkFixture::alloc_ept_table() {
  const hpa_t hpa = next_ept_table_;
  next_ept_table_ += arch::kPage4K;
  ept_tables_.push_back(hpa);
  const std::array<std::uint8_t, arch::kPage4K> zeros{};
  mem.write(hpa, zeros.data(), zeros.size());
  return hpa;
}

hpa_t WalkFixture::table_hpa(gpa_t table_gpa) const {
  return opt_.virtualized ? linear_hpa(table_gpa) : table_gpa;
}

std::uint64_t WalkFixture::read(hpa_t pa) const {
  std::uint64_t v = 0;
  mem.read(pa, &v, sizeof v);
  return v;
}

void WalkFixture::write(hpa_t pa, std::uint64_t value) { mem.write(pa, &value, sizeof value); }

void WalkFixture::map_ept(gpa_t gpa, hpa_t hpa, PageSize size, std::uint64_t rwx,
                          std::uint64_t extra) {
  if (!opt_.virtualized) throw std::logic_error("map_ept on a native fixture");
  check_aligned(gpa, size, "EPT page gPA");
  check_aligned(hpa, size, "EPT page hPA");
  const unsigned leaf = leaf_level(size);
  hpa_t table = ept_pml4_;
  for (unsigned level = 4; level > leaf; --level) {
    const hpa_t pa = table + 8ull * table_index(gpa, level);
    const std::uint64_t e = read(pa);
    if (!ept::present(e)) {
      const hpa_t t = alloc_ept_table();
      write(pa, ept::make_table(t));
      table = t;
    } else if (ept::is_leaf(e, level)) {
      throw std::logic_error("EPT: " + std::string(arch::to_string(size)) + " page at gPA " +
                             hex(gpa) + " inside a larger page");
    } else {
      table = ept::next_table(e, opt_.maxphyaddr);
    }
  }
  const hpa_t pa = table + 8ull * table_index(gpa, leaf);
  const std::uint64_t e = read(pa);
  if (ept::present(e) && !ept::is_leaf(e, leaf))
    throw std::logic_error("EPT: page at gPA " + hex(gpa) + " over a table of smaller pages");
  write(pa, ept::make_leaf(hpa, leaf, rwx) | extra);
}

void WalkFixture::back(gpa_t gpa, PageSize size, std::uint64_t rwx) {
  const unsigned leaf = leaf_level(size);
  hpa_t table = ept_pml4_;
  for (unsigned level = 4; level >= leaf; --level) {
    const std::uint64_t e = read(table + 8ull * table_index(gpa, level));
    if (!ept::present(e)) break;
    if (ept::is_leaf(e, level)) return;  // already covered
    if (level == leaf)
      throw std::logic_error("EPT: cannot back gPA " + hex(gpa) + " with a " +
                             std::string(arch::to_string(size)) + " page over smaller pages");
    table = ept::next_table(e, opt_.maxphyaddr);
  }
  const gpa_t block = gpa & ~(arch::page_bytes(size) - 1);
  map_ept(block, linear_hpa(block), size, rwx);
}

void WalkFixture::back_range(gpa_t lo, gpa_t hi, PageSize size, std::uint64_t rwx) {
  const std::uint64_t bytes = arch::page_bytes(size);
  for (gpa_t a = lo & ~(bytes - 1); a < hi; a += bytes) back(a, size, rwx);
}

void WalkFixture::map_guest(gva_t va, gpa_t gpa, PageSize size, bool w, bool u, bool x,
                            std::uint64_t extra) {
  check_aligned(va, size, "guest page gVA");
  check_aligned(gpa, size, "guest page gPA");
  const unsigned leaf = leaf_level(size);
  gpa_t table = cr3_;
  for (unsigned level = 4; level > leaf; --level) {
    const hpa_t pa = table_hpa(table) + 8ull * table_index(va, level);
    const std::uint64_t e = read(pa);
    if (!pte::present(e)) {
      const gpa_t t = alloc_guest_table();
      write(pa, pte::make_table(t));
      table = t;
    } else if (pte::is_leaf(e, level)) {
      throw std::logic_error("guest: page at gVA " + hex(va) + " inside a larger page");
    } else {
      table = pte::next_table(e, opt_.maxphyaddr);
    }
  }
  const hpa_t pa = table_hpa(table) + 8ull * table_index(va, leaf);
  const std::uint64_t e = read(pa);
  if (pte::present(e) && !pte::is_leaf(e, leaf))
    throw std::logic_error("guest: page at gVA " + hex(va) + " over a table of smaller pages");
  write(pa, pte::make_leaf(gpa, leaf, w, u, x, extra));
}

gpa_t WalkFixture::guest_entry_gpa(gva_t va, unsigned level) const {
  gpa_t table = cr3_;
  for (unsigned l = 4; l > level; --l) {
    const std::uint64_t e = read(table_hpa(table) + 8ull * table_index(va, l));
    if (!pte::present(e) || pte::is_leaf(e, l))
      throw std::logic_error("guest walk for " + hex(va) + " ends above level " +
                             std::to_string(level));
    table = pte::next_table(e, opt_.maxphyaddr);
  }
  return table + 8ull * table_index(va, level);
}

hpa_t WalkFixture::guest_entry_hpa(gva_t va, unsigned level) const {
  const gpa_t entry = guest_entry_gpa(va, level);
  const gpa_t page = entry & ~(arch::kPage4K - 1);
  return table_hpa(page) + (entry - page);
}

std::uint64_t WalkFixture::guest_entry(gva_t va, unsigned level) const {
  return read(guest_entry_hpa(va, level));
}

void WalkFixture::set_guest_entry(gva_t va, unsigned level, std::uint64_t value) {
  write(guest_entry_hpa(va, level), value);
}

hpa_t WalkFixture::ept_entry_hpa(gpa_t gpa, unsigned level) const {
  if (!opt_.virtualized) throw std::logic_error("no EPT in a native fixture");
  hpa_t table = ept_pml4_;
  for (unsigned l = 4; l > level; --l) {
    const std::uint64_t e = read(table + 8ull * table_index(gpa, l));
    if (!ept::present(e) || ept::is_leaf(e, l))
      throw std::logic_error("EPT walk for " + hex(gpa) + " ends above level " +
                             std::to_string(level));
    table = ept::next_table(e, opt_.maxphyaddr);
  }
  return table + 8ull * table_index(gpa, level);
}

std::uint64_t WalkFixture::ept_entry(gpa_t gpa, unsigned level) const {
  return read(ept_entry_hpa(gpa, level));
}

void WalkFixture::set_ept_entry(gpa_t gpa, unsigned level, std::uint64_t value) {
  write(ept_entry_hpa(gpa, level), value);
}

std::vector<std::uint8_t> WalkFixture::snapshot() const {
  std::vector<std::uint8_t> out;
  auto append = [&](hpa_t frame) {
    const std::size_t at = out.size();
    out.resize(at + arch::kPage4K);
    mem.read(frame, out.data() + at, arch::kPage4K);
  };
  for (gpa_t t : guest_tables_) append(table_hpa(t));
  for (hpa_t t : ept_tables_) append(t);
  return out;
}

}  // namespace mmuvp::golden
