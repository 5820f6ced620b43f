// The physical memory a translator walks: 8-byte aligned reads and writes by physical address.
#pragma once
#include <cstdint>

namespace mmuvp::arch {

class PhysMem {
 public:
  virtual ~PhysMem() = default;
  // False when `pa` is outside the memory (e.g. beyond a loaded image): the walker reports a
  // memory error fault instead of inventing a value.
  virtual bool read64(std::uint64_t pa, std::uint64_t& value) = 0;
  virtual bool write64(std::uint64_t pa, std::uint64_t value) = 0;
  // Read of a guest paging-structure entry located at gPA `gpa` and hPA `hpa`. Memories that hold
  // guest-physical images (mmuvp pagetable --image gpa:FILE) override this; the default reads hPA.
  virtual bool read_guest_table64(std::uint64_t gpa, std::uint64_t hpa, std::uint64_t& value) {
    (void)gpa;
    return read64(hpa, value);
  }
};

}  // namespace mmuvp::arch
