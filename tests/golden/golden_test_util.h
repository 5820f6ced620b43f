// Small helpers shared by the golden translator tests: readable GoogleTest printing of the result
// types, conversion of the fixed lists to vectors, and constructors of expected references.
#pragma once
#include <cstdint>
#include <ostream>
#include <vector>

#include "arch/fault.h"
#include "arch/translation.h"

namespace mmuvp::arch {

// GoogleTest finds these by argument-dependent lookup when it prints a failed comparison.
inline void PrintTo(const MemRef& m, std::ostream* os) {
  *os << (m.target == RefTarget::kEptEntry ? "ept" : "guest") << (m.write ? " W" : " R") << " L"
      << unsigned(m.level) << " for" << unsigned(m.for_level) << " @0x" << std::hex << m.addr
      << std::dec;
}
inline void PrintTo(const SegmentAdd& a, std::ostream* os) {
  *os << (a.seg == SegmentKind::kGuest ? "guest-seg" : "vmm-seg") << " 0x" << std::hex << a.in
      << "->0x" << a.out << std::dec;
}
inline void PrintTo(const Fault& f, std::ostream* os) { *os << describe(f); }
inline void PrintTo(const Perms& p, std::ostream* os) {
  *os << (p.r ? "r" : "-") << (p.w ? "w" : "-") << (p.x ? "x" : "-") << (p.u ? "u" : "s");
}
inline void PrintTo(PageSize s, std::ostream* os) { *os << to_string(s); }

}  // namespace mmuvp::arch

namespace mmuvp::golden {

template <typename T, std::size_t N>
std::vector<T> to_vector(const arch::FixedList<T, N>& list) {
  return std::vector<T>(list.begin(), list.end());
}

inline arch::MemRef guest_ref(std::uint64_t addr, unsigned level, bool write = false) {
  return {addr, arch::RefTarget::kGuestEntry, static_cast<std::uint8_t>(level),
          static_cast<std::uint8_t>(level), write};
}
inline arch::MemRef ept_ref(std::uint64_t addr, unsigned level, unsigned for_level,
                            bool write = false) {
  return {addr, arch::RefTarget::kEptEntry, static_cast<std::uint8_t>(level),
          static_cast<std::uint8_t>(for_level), write};
}

// 9-bit table index of `addr` at paging level 4..1, written out here rather than taken from
// arch/address.h so that expected addresses do not share code with the model under test.
constexpr unsigned index_at(std::uint64_t addr, unsigned level) {
  return static_cast<unsigned>((addr >> (12 + 9 * (level - 1))) & 0x1ff);
}

constexpr arch::Fault make_fault(arch::FaultKind kind, arch::FaultStage stage, unsigned level,
                                 std::uint32_t code, std::uint64_t gva, std::uint64_t gpa) {
  arch::Fault f;
  f.kind = kind;
  f.stage = stage;
  f.level = static_cast<std::uint8_t>(level);
  f.code = code;
  f.gva = gva;
  f.gpa = gpa;
  return f;
}

}  // namespace mmuvp::golden
