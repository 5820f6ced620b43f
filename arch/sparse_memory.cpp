#include "arch/sparse_memory.h"

#include <algorithm>
#include <cstring>

namespace mmuvp::arch {

std::uint8_t* SparseMemory::frame_if_present(std::uint64_t pa) const {
  const std::uint64_t fn = pa >> 12;
  if (fn == last_fn_) return last_frame_;
  auto it = frames_.find(fn);
  if (it == frames_.end()) return nullptr;
  last_fn_ = fn;
  last_frame_ = it->second->data();
  return last_frame_;
}

std::uint8_t* SparseMemory::frame_for_write(std::uint64_t pa) {
  if (std::uint8_t* f = frame_if_present(pa)) return f;
  auto& slot = frames_[pa >> 12];
  slot = std::make_unique<Frame>();
  slot->fill(0);
  last_fn_ = pa >> 12;
  last_frame_ = slot->data();
  return last_frame_;
}

bool SparseMemory::read64(std::uint64_t pa, std::uint64_t& value) {
  if ((pa & 7) != 0) {
    read(pa, &value, 8);
    return true;
  }
  const std::uint8_t* f = frame_if_present(pa);
  if (f == nullptr) {
    value = 0;
  } else {
    std::memcpy(&value, f + (pa & 0xfff), 8);
  }
  return true;
}

bool SparseMemory::write64(std::uint64_t pa, std::uint64_t value) {
  if ((pa & 7) != 0) {
    write(pa, &value, 8);
    return true;
  }
  std::memcpy(frame_for_write(pa) + (pa & 0xfff), &value, 8);
  return true;
}

void SparseMemory::read(std::uint64_t pa, void* dst, std::size_t len) const {
  auto* out = static_cast<std::uint8_t*>(dst);
  while (len > 0) {
    const std::size_t off = pa & 0xfff;
    const std::size_t n = std::min(len, kFrameBytes - off);
    if (const std::uint8_t* f = frame_if_present(pa)) {
      std::memcpy(out, f + off, n);
    } else {
      std::memset(out, 0, n);
    }
    out += n;
    pa += n;
    len -= n;
  }
}

void SparseMemory::write(std::uint64_t pa, const void* src, std::size_t len) {
  const auto* in = static_cast<const std::uint8_t*>(src);
  while (len > 0) {
    const std::size_t off = pa & 0xfff;
    const std::size_t n = std::min(len, kFrameBytes - off);
    std::memcpy(frame_for_write(pa) + off, in, n);
    in += n;
    pa += n;
    len -= n;
  }
}

}  // namespace mmuvp::arch
