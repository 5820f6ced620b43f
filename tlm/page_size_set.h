// A set of page sizes (4K, 2M, 1G) as a 3-bit mask: which translations a TLB array or the nested
// TLB may hold.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>

#include "arch/address.h"

namespace mmuvp::tlm {

constexpr unsigned kPageSizeCount = 3;  // arch::PageSize values 0..2

constexpr unsigned size_index(arch::PageSize s) { return static_cast<unsigned>(s); }

class PageSizeSet {
 public:
  constexpr PageSizeSet() = default;
  constexpr PageSizeSet(std::initializer_list<arch::PageSize> sizes) {
    for (arch::PageSize s : sizes) bits_ |= bit_of(s);
  }
  static constexpr PageSizeSet all() {
    return {arch::PageSize::k4K, arch::PageSize::k2M, arch::PageSize::k1G};
  }

  constexpr bool has(arch::PageSize s) const { return (bits_ & bit_of(s)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr std::uint8_t bits() const { return bits_; }
  constexpr bool overlaps(PageSizeSet o) const { return (bits_ & o.bits_) != 0; }
  constexpr PageSizeSet operator|(PageSizeSet o) const { return from_bits(bits_ | o.bits_); }
  constexpr bool operator==(PageSizeSet o) const { return bits_ == o.bits_; }
  constexpr bool operator!=(PageSizeSet o) const { return bits_ != o.bits_; }

  // "4K|2M", or "none".
  std::string to_string() const {
    std::string out;
    for (unsigned i = 0; i < kPageSizeCount; ++i) {
      const auto s = static_cast<arch::PageSize>(i);
      if (!has(s)) continue;
      if (!out.empty()) out += '|';
      out += arch::to_string(s);
    }
    return out.empty() ? "none" : out;
  }

 private:
  static constexpr PageSizeSet from_bits(unsigned b) {
    PageSizeSet p;
    p.bits_ = static_cast<std::uint8_t>(b);
    return p;
  }
  static constexpr std::uint8_t bit_of(arch::PageSize s) {
    return static_cast<std::uint8_t>(1u << size_index(s));
  }
  std::uint8_t bits_ = 0;
};

}  // namespace mmuvp::tlm
