// A physical memory that ends: reads and writes at or beyond `limit` fail (PhysMem returns false),
// as a loaded image does. Used to check the golden translator's memory-error attribution.
#pragma once
#include <cstdint>

#include "arch/phys_mem.h"

namespace mmuvp::golden {

class BoundedMemory final : public arch::PhysMem {
 public:
  BoundedMemory(arch::PhysMem& inner, std::uint64_t limit) : inner_(inner), limit_(limit) {}
  bool read64(std::uint64_t pa, std::uint64_t& value) override {
    if (pa >= limit_ || limit_ - pa < 8) return false;
    return inner_.read64(pa, value);
  }
  bool write64(std::uint64_t pa, std::uint64_t value) override {
    if (pa >= limit_ || limit_ - pa < 8) return false;
    return inner_.write64(pa, value);
  }

 private:
  arch::PhysMem& inner_;
  std::uint64_t limit_;
};

}  // namespace mmuvp::golden
