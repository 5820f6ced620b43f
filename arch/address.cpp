#include "arch/address.h"

#include <cctype>
#include <string>

namespace mmuvp::arch {

std::string_view to_string(PageSize s) {
  switch (s) {
    case PageSize::k4K: return "4K";
    case PageSize::k2M: return "2M";
    case PageSize::k1G: return "1G";
  }
  return "?";
}

std::optional<PageSize> parse_page_size(std::string_view text) {
  std::string t;
  for (char c : text) t.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (t == "4k") return PageSize::k4K;
  if (t == "2m") return PageSize::k2M;
  if (t == "1g") return PageSize::k1G;
  return std::nullopt;
}

}  // namespace mmuvp::arch
