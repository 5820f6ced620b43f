// Helpers every mmuvp subcommand shares (see commands.h).
#include "tb/commands.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <string>

namespace mmuvp::tb {

namespace {

bool all_of(std::string_view s, int (*pred)(int)) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!pred(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::uint64_t parse_u64(std::string_view text, std::string_view what) {
  const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  const std::string_view digits = hex ? text.substr(2) : text;
  const int base = hex ? 16 : 10;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  const bool whole = !digits.empty() && ec == std::errc() && end == digits.data() + digits.size();
  if (whole && (hex || digits.size() == 1 || digits[0] != '0')) return value;

  if (ec == std::errc::result_out_of_range) {
    throw CommandError(fmt::format("{}: '{}' does not fit in 64 bits", what, text));
  }
  // QEMU's `info registers` prints CR3=0000000001a0a000: hex without a prefix. Never guess.
  if (!hex && all_of(digits, [](int c) { return std::isxdigit(c); })) {
    throw CommandError(fmt::format(
        "{}: '{}' is ambiguous; write hex with 0x (0x{}) and decimal without leading zeros", what,
        text, text));
  }
  throw CommandError(fmt::format("{}: '{}' is not a number (hex 0x... or decimal)", what, text));
}

}  // namespace mmuvp::tb
