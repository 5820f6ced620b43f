#include "arch/image_memory.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

namespace mmuvp::arch {

// Images hold x86 memory: little-endian 64-bit entries, copied as they are.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "ImageMemory assumes a little-endian host");

std::string_view to_string(ImageSpace s) { return s == ImageSpace::kGuest ? "gpa" : "hpa"; }

namespace {

// Closes a file descriptor on every path out of ImageMemory::add.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

[[noreturn]] void fail(const std::string& path, std::string_view what) {
  throw ImageError(fmt::format("image '{}': {}", path, what));
}

}  // namespace

ImageMemory::~ImageMemory() {
  for (const auto& space : images_) {
    for (const Image& img : space) {
      ::munmap(const_cast<std::uint8_t*>(img.data), img.size);
    }
  }
}

const ImageMemory::Image& ImageMemory::add(const std::string& path, std::uint64_t base,
                                           ImageSpace space) {
  if (base % kBaseAlign != 0) {
    fail(path, fmt::format("base 0x{:x} is not 4 KiB aligned", base));
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, std::strerror(errno));
  FdCloser closer(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail(path, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(path, "not a regular file");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size == 0) fail(path, "file is empty");
  if (size < kMinImageBytes) {
    fail(path, fmt::format("{} bytes is smaller than one 8-byte entry", size));
  }
  if (size > std::numeric_limits<std::uint64_t>::max() - base) {
    fail(path, fmt::format("base 0x{:x} + size 0x{:x} overflows 64 bits", base, size));
  }
  if (size > std::numeric_limits<std::size_t>::max()) fail(path, "too large to map");

  std::vector<Image>& list = images_[index(space)];
  // The first image starting after `base`; its predecessor is the only other candidate.
  auto next = std::upper_bound(list.begin(), list.end(), base,
                               [](std::uint64_t b, const Image& img) { return b < img.base; });
  const Image* clash = nullptr;
  if (next != list.end() && next->base < base + size) clash = &*next;
  if (next != list.begin() && std::prev(next)->end() > base) clash = &*std::prev(next);
  if (clash != nullptr) {
    fail(path,
         fmt::format("{} range [0x{:x}, 0x{:x}) overlaps image '{}' at [0x{:x}, 0x{:x})",
                     to_string(space), base, base + size, clash->path, clash->base, clash->end()));
  }

  void* data = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ,
                      MAP_PRIVATE | MAP_NORESERVE, fd, 0);
  if (data == MAP_FAILED) fail(path, fmt::format("mmap failed: {}", std::strerror(errno)));
  // Page-table walks jump around: read-ahead would only fetch pages nobody looks at.
  ::madvise(data, static_cast<std::size_t>(size), MADV_RANDOM);

  Image img;
  img.path = path;
  img.base = base;
  img.size = size;
  img.space = space;
  img.data = static_cast<const std::uint8_t*>(data);
  const auto pos = list.insert(next, std::move(img));
  last_[0] = last_[1] = nullptr;  // the insertion may have moved every Image
  return *pos;
}

const ImageMemory::Image* ImageMemory::find(ImageSpace space, std::uint64_t addr) const {
  const Image*& last = last_[index(space)];
  if (last != nullptr && addr - last->base < last->size) return last;
  const std::vector<Image>& list = images_[index(space)];
  auto next = std::upper_bound(list.begin(), list.end(), addr,
                               [](std::uint64_t a, const Image& img) { return a < img.base; });
  if (next == list.begin()) return nullptr;
  const Image& img = *std::prev(next);
  if (addr - img.base >= img.size) return nullptr;
  last = &img;
  return last;
}

bool ImageMemory::read(ImageSpace space, std::uint64_t addr, void* dst, std::size_t len) const {
  auto* out = static_cast<std::uint8_t*>(dst);
  while (len > 0) {
    const Image* img = find(space, addr);
    if (img == nullptr) return false;
    const std::uint64_t offset = addr - img->base;
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(len, img->size - offset));
    std::memcpy(out, img->data + offset, n);
    out += n;
    addr += n;
    len -= n;
    if (len > 0 && addr == 0) return false;  // wrapped past 2^64
  }
  return true;
}

bool ImageMemory::contains(ImageSpace space, std::uint64_t addr, std::uint64_t len) const {
  while (len > 0) {
    const Image* img = find(space, addr);
    if (img == nullptr) return false;
    const std::uint64_t n = std::min<std::uint64_t>(len, img->size - (addr - img->base));
    addr += n;
    len -= n;
    if (len > 0 && addr == 0) return false;
  }
  return true;
}

bool ImageMemory::read_from(ImageSpace space, std::uint64_t addr, std::uint64_t& value) const {
  const Image* img = find(space, addr);
  if (img == nullptr) return false;
  const std::uint64_t offset = addr - img->base;
  if (img->size - offset >= sizeof value) {  // the common case: all 8 bytes in one image
    std::memcpy(&value, img->data + offset, sizeof value);
    return true;
  }
  return read(space, addr, &value, sizeof value);
}

bool ImageMemory::read64(std::uint64_t hpa, std::uint64_t& value) {
  return read_from(ImageSpace::kHost, hpa, value);
}

bool ImageMemory::write64(std::uint64_t hpa, std::uint64_t value) {
  (void)hpa;
  (void)value;
  return false;
}

bool ImageMemory::read_guest_table64(std::uint64_t gpa, std::uint64_t hpa, std::uint64_t& value) {
  if (find(ImageSpace::kGuest, gpa) != nullptr) return read_from(ImageSpace::kGuest, gpa, value);
  return read_from(ImageSpace::kHost, hpa, value);
}

}  // namespace mmuvp::arch
