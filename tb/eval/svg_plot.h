// A grouped bar chart as standalone SVG text (no external tools), in the style of the seed paper's
// Figure 11: one group of bars per workload, one bar per configuration, a legend, axis labels, and
// each bar's value written above it. Every bar is a <rect class="bar"> with a <title> tooltip.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace mmuvp::tb::eval {

struct BarChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::string unit;                  // appended to the values written above the bars ("%")
  std::vector<std::string> groups;   // along the x axis
  std::vector<std::string> series;   // one bar per group each, in legend order
  // values[group][series]; nullopt draws no bar (e.g. a failed run), only a "x" mark on the axis.
  std::vector<std::vector<std::optional<double>>> values;
  int decimals = 1;                  // of the values written above the bars
};

// Throws std::invalid_argument when `values` is not groups x series.
std::string render_svg(const BarChart& chart);

// Escapes &, <, >, " and ' for XML text and attribute values.
std::string xml_escape(const std::string& text);

}  // namespace mmuvp::tb::eval
