// Sparse 64-bit-addressable physical memory: a 4 KiB frame is allocated on its first write; reading
// an untouched frame returns zeros and allocates nothing.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "arch/phys_mem.h"

namespace mmuvp::arch {

class SparseMemory final : public PhysMem {
 public:
  bool read64(std::uint64_t pa, std::uint64_t& value) override;
  bool write64(std::uint64_t pa, std::uint64_t value) override;

  // Byte-granular access of any length (crossing frames allowed).
  void read(std::uint64_t pa, void* dst, std::size_t len) const;
  void write(std::uint64_t pa, const void* src, std::size_t len);

  // Pointer to the frame holding `pa` (nullptr if untouched): for DMI-style fast paths.
  std::uint8_t* frame_if_present(std::uint64_t pa) const;
  std::uint8_t* frame_for_write(std::uint64_t pa);

  std::size_t frames_allocated() const { return frames_.size(); }
  std::size_t bytes_allocated() const { return frames_.size() * kFrameBytes; }

 private:
  static constexpr std::size_t kFrameBytes = 4096;
  using Frame = std::array<std::uint8_t, kFrameBytes>;
  std::unordered_map<std::uint64_t, std::unique_ptr<Frame>> frames_;
  // One-entry lookup cache: walks and streams touch the same frame repeatedly.
  mutable std::uint64_t last_fn_ = ~0ull;
  mutable std::uint8_t* last_frame_ = nullptr;
};

}  // namespace mmuvp::arch
