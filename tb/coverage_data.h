// Verilator coverage data in the text format VerilatedCovContext::write produces and
// verilator_coverage reads: a "# SystemC::Coverage-3" line, then one line per point,
//   C '<key>' <count>
// where the key is a list of fields "\001<name>\002<value>" (page = v_line/..., v_toggle/...,
// v_user/...; f = file; l = line; o = comment, the cover point's name for a `cover property`;
// h = hierarchy). Points with the same key are one point: merging adds their counts, as
// `verilator_coverage --write` does. The co-simulation merges its lanes' models with it
// (tb/cosim.h) and the coverage build reads the merged file back for the reach report
// (tb/rtl_reach.h).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mmuvp::tb {

struct CoveragePoint {
  std::string key;  // as written, between the quotes
  std::uint64_t count = 0;

  // The value of field `name` ("" if the key has none).
  std::string_view field(std::string_view name) const;
  // The coverage kind: the page field up to its '/' ("v_line", "v_toggle", "v_user", ...).
  std::string_view kind() const;
};

class CoverageData {
 public:
  // Adds the points of `text` (a file's contents); `origin` names it in errors. Throws
  // std::runtime_error("<origin>: line N: <what>") for anything but the header, comments, blank
  // lines and well-formed point lines.
  void merge(std::string_view text, const std::string& origin);
  // merge() of a file's contents; throws std::runtime_error naming the file if it cannot be read.
  void merge_file(const std::string& path);
  // Writes the points in first-seen order with the header; throws std::runtime_error on failure.
  void write(const std::string& path) const;

  const std::vector<CoveragePoint>& points() const { return points_; }
  // The summed count of the points whose comment (field 'o') is `name`, or nullopt if none has.
  std::optional<std::uint64_t> cover_count(std::string_view name) const;

 private:
  std::vector<CoveragePoint> points_;
  std::unordered_map<std::string, std::size_t> index_;  // key -> position in points_
};

}  // namespace mmuvp::tb
