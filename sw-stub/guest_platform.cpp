#include "sw-stub/guest_platform.h"

#include <algorithm>

namespace mmuvp::stub {

std::vector<Range> ram_layout(std::uint64_t bytes, bool io_gap) {
  if (bytes == 0) return {};
  if (!io_gap || bytes <= kIoGap.lo) return {{0, bytes}};
  return {{0, kIoGap.lo}, {kIoGap.hi, kIoGap.hi + (bytes - kIoGap.lo)}};
}

}  // namespace mmuvp::stub
