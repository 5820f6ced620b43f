#include "arch/mode.h"

#include <array>

namespace mmuvp::arch {

namespace {
constexpr std::array<std::string_view, kModeCount> kNames = {
    "native", "native-ds", "nested", "dual-direct", "vmm-direct", "guest-direct", "flat-nested"};
}

std::string_view to_string(Mode m) {
  const auto i = static_cast<unsigned>(m);
  return i < kModeCount ? kNames[i] : "?";
}

std::optional<Mode> parse_mode(std::string_view name) {
  for (unsigned i = 0; i < kModeCount; ++i)
    if (kNames[i] == name) return static_cast<Mode>(i);
  return std::nullopt;
}

std::optional<Mode> mode_from_register(std::uint64_t value) {
  if (value >= kModeCount) return std::nullopt;
  return static_cast<Mode>(value);
}

}  // namespace mmuvp::arch
