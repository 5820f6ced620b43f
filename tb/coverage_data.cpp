// Verilator coverage data: read, merge, write (coverage_data.h).
#include "tb/coverage_data.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mmuvp::tb {

namespace {

constexpr char kFieldStart = '\001';
constexpr char kValueStart = '\002';
constexpr std::string_view kHeader = "# SystemC::Coverage-3";
constexpr std::string_view kPointStart = "C '";
constexpr std::string_view kKeyEnd = "' ";

}  // namespace

std::string_view CoveragePoint::field(std::string_view name) const {
  const std::string_view k = key;
  std::size_t at = 0;
  while ((at = k.find(kFieldStart, at)) != std::string_view::npos) {
    const std::size_t value = k.find(kValueStart, at + 1);
    if (value == std::string_view::npos) return {};
    const std::size_t end = std::min(k.find(kFieldStart, value + 1), k.size());
    if (k.substr(at + 1, value - at - 1) == name) return k.substr(value + 1, end - value - 1);
    at = end;
  }
  return {};
}

std::string_view CoveragePoint::kind() const {
  const std::string_view page = field("page");
  return page.substr(0, page.find('/'));
}

void CoverageData::merge(std::string_view text, const std::string& origin) {
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    const std::size_t key_end = line.rfind(kKeyEnd);
    if (line.substr(0, kPointStart.size()) != kPointStart || key_end == std::string_view::npos ||
        key_end < kPointStart.size())
      throw std::runtime_error(
          fmt::format("{}: line {}: not a coverage point (C '<key>' <count>)", origin, line_no));
    const std::string_view digits = line.substr(key_end + kKeyEnd.size());
    std::uint64_t count = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
      throw std::runtime_error(
          fmt::format("{}: line {}: bad count '{}'", origin, line_no, digits));
    std::string key(line.substr(kPointStart.size(), key_end - kPointStart.size()));
    const auto [it, fresh] = index_.try_emplace(key, points_.size());
    if (fresh) {
      points_.push_back(CoveragePoint{std::move(key), count});
    } else {
      points_[it->second].count += count;
    }
  }
}

void CoverageData::merge_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot read the coverage file {}", path));
  std::ostringstream s;
  s << in.rdbuf();
  merge(s.str(), path);
}

void CoverageData::write(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error(fmt::format("cannot write the coverage file {}", path));
  out << kHeader << '\n';
  for (const CoveragePoint& p : points_) out << kPointStart << p.key << kKeyEnd << p.count << '\n';
  out.flush();
  if (!out) throw std::runtime_error(fmt::format("cannot write the coverage file {}", path));
}

std::optional<std::uint64_t> CoverageData::cover_count(std::string_view name) const {
  std::optional<std::uint64_t> sum;
  for (const CoveragePoint& p : points_)
    if (p.field("o") == name) sum = sum.value_or(0) + p.count;
  return sum;
}

}  // namespace mmuvp::tb
