// Translation modes (SPEC §2, seed Table I). The numeric values are the MODE register encoding.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace mmuvp::arch {

enum class Mode : std::uint8_t {
  kNative = 0,       // 4-level walk, PA = gPA
  kNativeDs = 1,     // direct segment (BASE_G/LIMIT_G/OFFSET_G) if inside, else walk
  kNested = 2,       // 2D walk: guest tables + EPT for every gPA
  kDualDirect = 3,   // guest segment and VMM segment, each falling back to paging
  kVmmDirect = 4,    // guest walk; gPA -> hPA by the VMM segment
  kGuestDirect = 5,  // gVA -> gPA by the guest segment; EPT walk
  kFlatNested = 6,   // 2D walk over a flat EPT: 2 levels of 2 MiB nodes (arch/ept.h flat)
};
constexpr unsigned kModeCount = 7;

std::string_view to_string(Mode m);                     // "native", "native-ds", ...
std::optional<Mode> parse_mode(std::string_view name);  // inverse of to_string
std::optional<Mode> mode_from_register(std::uint64_t value);

constexpr bool is_virtualized(Mode m) { return m != Mode::kNative && m != Mode::kNativeDs; }
constexpr bool uses_guest_segment(Mode m) {
  return m == Mode::kNativeDs || m == Mode::kDualDirect || m == Mode::kGuestDirect;
}
constexpr bool uses_vmm_segment(Mode m) { return m == Mode::kDualDirect || m == Mode::kVmmDirect; }

}  // namespace mmuvp::arch
