// Grouped bar chart -> SVG (see svg_plot.h).
#include "tb/eval/svg_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <string_view>

namespace mmuvp::tb::eval {
namespace {

// Layout, in SVG user units (pixels).
constexpr double kBarWidth = 14;
constexpr double kGroupGap = 28;
constexpr double kPlotHeight = 320;
constexpr double kMarginLeft = 80;
constexpr double kMarginTop = 60;
constexpr double kMarginBottom = 80;
constexpr double kLegendGap = 30;
constexpr double kLegendWidth = 150;
constexpr double kLegendRow = 18;
constexpr double kValueSpace = 44;   // above the tallest bar for its rotated value label
constexpr int kTicks = 5;  // about this many tick steps

// Distinct fills (Tableau-like), cycled when there are more series.
constexpr std::array<std::string_view, 12> kPalette{
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
    "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#17becf", "#8c564b"};

// The smallest 1, 2 or 5 times a power of ten that is >= v (v > 0).
double nice_ceiling(double v) {
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= v * (1 - 1e-12)) return m * p;
  }
  return 10 * p;
}

std::string num(double v) { return fmt::format("{:.2f}", v); }

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_svg(const BarChart& c) {
  if (c.values.size() != c.groups.size()) {
    throw std::invalid_argument("BarChart: values must have one row per group");
  }
  double max_value = 0;
  for (const auto& row : c.values) {
    if (row.size() != c.series.size()) {
      throw std::invalid_argument("BarChart: every row of values needs one value per series");
    }
    for (const auto& v : row) {
      if (v && std::isfinite(*v)) max_value = std::max(max_value, *v);
    }
  }
  // The axis: a round tick step (1, 2 or 5 times a power of ten) for about kTicks ticks, ending at
  // the first tick at or above the largest value.
  const double step = max_value > 0 ? nice_ceiling(max_value / kTicks) : 0.2;
  const int ticks = max_value > 0 ? static_cast<int>(std::ceil(max_value / step - 1e-9)) : kTicks;
  const double y_max = step * ticks;
  const double group_width = static_cast<double>(c.series.size()) * kBarWidth;
  const double plot_width =
      std::max(200.0, static_cast<double>(c.groups.size()) * (group_width + kGroupGap));
  const double legend_height = static_cast<double>(c.series.size()) * kLegendRow;
  const double width = kMarginLeft + plot_width + kLegendGap + kLegendWidth;
  const double height =
      kMarginTop + kValueSpace + std::max(kPlotHeight, legend_height) + kMarginBottom;
  const double plot_top = kMarginTop + kValueSpace;
  const double plot_bottom = plot_top + kPlotHeight;
  auto y_of = [&](double v) { return plot_bottom - std::clamp(v, 0.0, y_max) / y_max * kPlotHeight; };

  std::string s;
  s += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s += fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
      num(width), num(height));
  s += fmt::format("<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"white\"/>\n",
                   num(width), num(height));
  s += fmt::format("<text class=\"title\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" "
                   "font-size=\"16\" font-weight=\"bold\">{}</text>\n",
                   num(kMarginLeft + plot_width / 2), num(kMarginTop / 2), xml_escape(c.title));

  // Y axis: grid lines and tick labels.
  for (int i = 0; i <= ticks; ++i) {
    const double v = step * i;
    const double y = y_of(v);
    s += fmt::format("<line class=\"grid\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" "
                     "stroke=\"#dddddd\"/>\n",
                     num(kMarginLeft), num(y), num(kMarginLeft + plot_width), num(y));
    s += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                     num(kMarginLeft - 6), num(y + 4), xml_escape(fmt::format("{:g}", v)));
  }
  s += fmt::format("<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" "
                   "stroke=\"black\"/>\n",
                   num(kMarginLeft), num(plot_top), num(plot_bottom));
  s += fmt::format("<line class=\"axis\" x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" "
                   "stroke=\"black\"/>\n",
                   num(kMarginLeft), num(kMarginLeft + plot_width), num(plot_bottom));
  const double y_label_x = 20, y_label_y = plot_top + kPlotHeight / 2;
  s += fmt::format("<text class=\"axis-label\" x=\"{0}\" y=\"{1}\" text-anchor=\"middle\" "
                   "transform=\"rotate(-90 {0} {1})\">{2}</text>\n",
                   num(y_label_x), num(y_label_y), xml_escape(c.y_label));
  s += fmt::format("<text class=\"axis-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                   num(kMarginLeft + plot_width / 2), num(height - 16), xml_escape(c.x_label));

  // Bars, their values, and the group names.
  for (std::size_t g = 0; g < c.groups.size(); ++g) {
    const double x0 = kMarginLeft + kGroupGap / 2 + static_cast<double>(g) * (group_width + kGroupGap);
    s += fmt::format("<text class=\"group\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                     num(x0 + group_width / 2), num(plot_bottom + 18), xml_escape(c.groups[g]));
    for (std::size_t k = 0; k < c.series.size(); ++k) {
      const double x = x0 + static_cast<double>(k) * kBarWidth;
      const std::optional<double>& v = c.values[g][k];
      if (!v || !std::isfinite(*v)) {
        s += fmt::format("<text class=\"missing\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" "
                         "fill=\"#999999\">x</text>\n",
                         num(x + kBarWidth / 2), num(plot_bottom - 3));
        continue;
      }
      const double top = y_of(*v);
      const std::string value = fmt::format("{:.{}f}{}", *v, c.decimals, c.unit);
      s += fmt::format("<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
                       "fill=\"{}\" stroke=\"white\" stroke-width=\"0.5\"><title>{}</title></rect>\n",
                       num(x), num(top), num(kBarWidth), num(plot_bottom - top),
                       kPalette[k % kPalette.size()],
                       xml_escape(fmt::format("{} {}: {}", c.groups[g], c.series[k], value)));
      const double tx = x + kBarWidth / 2 + 4, ty = top - 3;
      s += fmt::format("<text class=\"value\" x=\"{0}\" y=\"{1}\" font-size=\"10\" "
                       "transform=\"rotate(-90 {0} {1})\">{2}</text>\n",
                       num(tx), num(ty), xml_escape(value));
    }
  }

  // Legend.
  const double lx = kMarginLeft + plot_width + kLegendGap;
  for (std::size_t k = 0; k < c.series.size(); ++k) {
    const double ly = plot_top + static_cast<double>(k) * kLegendRow;
    s += fmt::format("<rect class=\"legend-key\" x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" "
                     "fill=\"{}\"/>\n",
                     num(lx), num(ly), kPalette[k % kPalette.size()]);
    s += fmt::format("<text class=\"legend\" x=\"{}\" y=\"{}\">{}</text>\n", num(lx + 18),
                     num(ly + 10), xml_escape(c.series[k]));
  }
  s += "</svg>\n";
  return s;
}

}  // namespace mmuvp::tb::eval
