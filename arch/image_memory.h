// Physical memory backed by raw memory images (e.g. a QEMU `pmemsave` dump: byte 0 of the file is
// physical address 0), mapped read-only with mmap so that an image of several GiB costs address
// space, not RAM, and nothing is copied.
//
// Two address spaces: host-physical images (the default; in a native setup simply "physical") serve
// read64(), the interface every walker uses; guest-physical images (`mmuvp pagetable --image
// gpa:F`) hold a guest's RAM as the guest sees it and serve the guest paging-structure reads of a
// nested walk (read_guest_table64) when they cover the entry's gPA. Images of one space never
// overlap; images are kept sorted by base. The memory is read-only: write64() returns false, so a
// walker that needs to set A/D bits reports it instead of silently changing a file. Reads outside
// every image return false (the golden translator reports kMemoryError).
//
// Not thread-safe: lookups keep a one-entry cache of the last image hit.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "arch/phys_mem.h"

namespace mmuvp::arch {

enum class ImageSpace : std::uint8_t { kHost = 0, kGuest = 1 };
std::string_view to_string(ImageSpace s);  // "hpa", "gpa"

// A file that cannot be used as an image; what() is one line naming the file and the problem.
class ImageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ImageMemory final : public PhysMem {
 public:
  static constexpr std::uint64_t kBaseAlign = 4096;   // image bases are 4 KiB aligned
  static constexpr std::uint64_t kMinImageBytes = 8;  // one paging entry

  struct Image {
    std::string path;
    std::uint64_t base = 0;  // physical address of the file's byte 0
    std::uint64_t size = 0;  // bytes
    ImageSpace space = ImageSpace::kHost;
    const std::uint8_t* data = nullptr;                // the read-only mapping
    std::uint64_t end() const { return base + size; }  // one past the last byte
  };

  ImageMemory() = default;
  ~ImageMemory() override;
  ImageMemory(const ImageMemory&) = delete;
  ImageMemory& operator=(const ImageMemory&) = delete;

  // Maps `path` read-only with its byte 0 at `base` of `space`. Throws ImageError when the file
  // cannot be opened or is not a regular file, is smaller than kMinImageBytes, when `base` is not
  // 4 KiB aligned or base + size overflows 64 bits, or when it overlaps an image of the same space.
  const Image& add(const std::string& path, std::uint64_t base = 0,
                   ImageSpace space = ImageSpace::kHost);

  // PhysMem: host-physical reads; writes are refused (the images are read-only).
  bool read64(std::uint64_t hpa, std::uint64_t& value) override;
  bool write64(std::uint64_t hpa, std::uint64_t value) override;
  // The guest image covering `gpa` if there is one, else the host images at `hpa`.
  bool read_guest_table64(std::uint64_t gpa, std::uint64_t hpa, std::uint64_t& value) override;

  // Copies [addr, addr + len) of `space`; false (and nothing defined in dst) unless every byte lies
  // in some image (a range may span adjacent images).
  bool read(ImageSpace space, std::uint64_t addr, void* dst, std::size_t len) const;
  // True when every byte of [addr, addr + len) lies in some image of `space`.
  bool contains(ImageSpace space, std::uint64_t addr, std::uint64_t len = 1) const;

  // The loaded images of one space, ascending by base.
  const std::vector<Image>& images(ImageSpace space) const { return images_[index(space)]; }
  bool empty(ImageSpace space) const { return images_[index(space)].empty(); }

 private:
  static constexpr std::size_t index(ImageSpace s) { return static_cast<std::size_t>(s); }
  // The image of `space` holding byte `addr`, or nullptr.
  const Image* find(ImageSpace space, std::uint64_t addr) const;
  bool read_from(ImageSpace space, std::uint64_t addr, std::uint64_t& value) const;

  std::vector<Image> images_[2];
  mutable const Image* last_[2] = {nullptr, nullptr};
};

}  // namespace mmuvp::arch
