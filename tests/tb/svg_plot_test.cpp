// The overhead plot (tb/eval/svg_plot.h): the SVG is well-formed XML (parsed by expat), holds
// exactly one <rect class="bar"> per present value with its height proportional to the value, one
// legend entry per series, the axis labels, every value written above its bar, and escapes text.
#include "tb/eval/svg_plot.h"

#include <expat.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace mmuvp::tb::eval {
namespace {

struct Element {
  std::string name;
  std::map<std::string, std::string> attrs;
  std::string text;  // character data directly inside
};

// Every element of the document in document order; throws with expat's message when the text is
// not well-formed XML.
struct Parsed {
  std::vector<Element> elements;
  std::string root;
};

std::string fmt_error(XML_Parser p) {
  return std::string(XML_ErrorString(XML_GetErrorCode(p))) + " at line " +
         std::to_string(XML_GetCurrentLineNumber(p));
}

Parsed parse_xml(const std::string& text) {
  struct State {
    Parsed out;
    std::vector<std::size_t> open;
  } st;
  XML_Parser p = XML_ParserCreate("UTF-8");
  XML_SetUserData(p, &st);
  XML_SetElementHandler(
      p,
      [](void* data, const XML_Char* name, const XML_Char** attrs) {
        auto* s = static_cast<State*>(data);
        Element e;
        e.name = name;
        for (int i = 0; attrs[i] != nullptr; i += 2) e.attrs[attrs[i]] = attrs[i + 1];
        if (s->out.elements.empty()) s->out.root = name;
        s->open.push_back(s->out.elements.size());
        s->out.elements.push_back(std::move(e));
      },
      [](void* data, const XML_Char*) { static_cast<State*>(data)->open.pop_back(); });
  XML_SetCharacterDataHandler(p, [](void* data, const XML_Char* s, int len) {
    auto* st = static_cast<State*>(data);
    if (!st->open.empty()) st->out.elements[st->open.back()].text.append(s, len);
  });
  const bool ok = XML_Parse(p, text.data(), static_cast<int>(text.size()), 1) != XML_STATUS_ERROR;
  const std::string error = ok ? "" : fmt_error(p);
  XML_ParserFree(p);
  if (!ok) throw std::runtime_error(error);
  return st.out;
}

BarChart sample() {
  BarChart c;
  c.title = "Overhead <test> & more";
  c.x_label = "workload";
  c.y_label = "translation overhead (%)";
  c.groups = {"gups", "graph", "k&v"};
  c.series = {"4K", "4K+4K", "DD"};
  c.values = {{10.0, 40.0, 0.5}, {12.5, std::nullopt, 0.0}, {3.0, 20.0, 1.25}};
  return c;
}

std::vector<const Element*> with_class(const Parsed& p, const std::string& name,
                                       const std::string& cls) {
  std::vector<const Element*> v;
  for (const Element& e : p.elements) {
    const auto it = e.attrs.find("class");
    if (e.name == name && it != e.attrs.end() && it->second == cls) v.push_back(&e);
  }
  return v;
}

TEST(SvgPlot, WellFormedWithOneBarPerValue) {
  const Parsed p = parse_xml(render_svg(sample()));
  EXPECT_EQ(p.root, "svg");
  const auto bars = with_class(p, "rect", "bar");
  ASSERT_EQ(bars.size(), 8u);  // 9 cells, one missing
  // Heights are proportional to the values: 40 (the largest) against 10.
  const double h40 = std::stod(bars[1]->attrs.at("height"));
  const double h10 = std::stod(bars[0]->attrs.at("height"));
  EXPECT_GT(h10, 0);
  EXPECT_NEAR(h40 / h10, 4.0, 0.01);
  // Bars of one series share a colour; series differ.
  EXPECT_EQ(bars[0]->attrs.at("fill"), bars[3]->attrs.at("fill"));
  EXPECT_NE(bars[0]->attrs.at("fill"), bars[1]->attrs.at("fill"));

  const auto values = with_class(p, "text", "value");
  ASSERT_EQ(values.size(), 8u);
  EXPECT_EQ(values[0]->text, "10.0");
  EXPECT_EQ(values[1]->text, "40.0");
  EXPECT_EQ(values[2]->text, "0.5");
  EXPECT_EQ(values[7]->text, "1.2");  // 1.25 to one decimal (round half to even)
  EXPECT_EQ(with_class(p, "text", "missing").size(), 1u);
}

TEST(SvgPlot, LegendAxesAndEscapedText) {
  const Parsed p = parse_xml(render_svg(sample()));
  const auto legend = with_class(p, "text", "legend");
  ASSERT_EQ(legend.size(), 3u);
  EXPECT_EQ(legend[0]->text, "4K");
  EXPECT_EQ(legend[2]->text, "DD");
  EXPECT_EQ(with_class(p, "rect", "legend-key").size(), 3u);
  const auto labels = with_class(p, "text", "axis-label");
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[0]->text, "translation overhead (%)");
  EXPECT_EQ(labels[1]->text, "workload");
  const auto groups = with_class(p, "text", "group");
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[2]->text, "k&v");  // escaped in the file, restored by the parser
  EXPECT_EQ(with_class(p, "text", "title")[0]->text, "Overhead <test> & more");
  // Round tick steps up to the first tick at or above the largest value (40): 0, 10, ..., 40.
  const auto ticks = with_class(p, "text", "tick");
  ASSERT_EQ(ticks.size(), 5u);
  EXPECT_EQ(ticks[1]->text, "10");
  EXPECT_EQ(ticks.back()->text, "40");
  // The tallest bar reaches the top of the axis: its top is the top tick's line.
  EXPECT_EQ(with_class(p, "rect", "bar")[1]->attrs.at("y"),
            with_class(p, "line", "grid").back()->attrs.at("y1"));
}

TEST(SvgPlot, EmptyAndZeroCharts) {
  BarChart c;
  c.series = {"a"};
  const Parsed empty = parse_xml(render_svg(c));
  EXPECT_EQ(with_class(empty, "rect", "bar").size(), 0u);
  c.groups = {"g"};
  c.values = {{0.0}};
  const Parsed zero = parse_xml(render_svg(c));
  ASSERT_EQ(with_class(zero, "rect", "bar").size(), 1u);
  EXPECT_EQ(with_class(zero, "rect", "bar")[0]->attrs.at("height"), "0.00");
}

TEST(SvgPlot, ShapeMismatchIsAnError) {
  BarChart c = sample();
  c.values[1].pop_back();
  EXPECT_THROW(render_svg(c), std::invalid_argument);
  c = sample();
  c.values.pop_back();
  EXPECT_THROW(render_svg(c), std::invalid_argument);
}

TEST(SvgPlot, EscapesAllFiveCharacters) {
  EXPECT_EQ(xml_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
}

TEST(SvgPlot, TheCheckerRejectsBrokenXml) {
  EXPECT_THROW(parse_xml("<svg><rect></svg>"), std::runtime_error);
  EXPECT_THROW(parse_xml("<svg>a & b</svg>"), std::runtime_error);
}

}  // namespace
}  // namespace mmuvp::tb::eval
