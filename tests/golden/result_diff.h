// What differs between a golden translation result and the reference walker's outcome for the same
// access: fault (full attribution), every memory reference in order, segment additions, filter
// hits, and for successes gPA, hPA, the three page sizes, permissions and segment-hit flags. Empty
// when they agree. Used by the randomized agreement tests.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "arch/translation.h"
#include "tests/golden/golden_test_util.h"
#include "tests/golden/reference_walker.h"

namespace mmuvp::golden {

inline std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

template <typename T>
std::string shown(const T& v) {
  std::ostringstream os;
  arch::PrintTo(v, &os);
  return os.str();
}

inline std::string result_difference(const arch::TranslationResult& g, const ReferenceOutcome& r) {
  std::string d;
  if (g.fault != r.fault)
    d += " fault: golden {" + shown(g.fault) + "} ref {" + shown(r.fault) + "}";
  if (g.refs.overflowed()) d += " golden reference list overflowed";
  const std::vector<arch::MemRef> grefs = to_vector(g.refs);
  if (grefs != r.refs) {
    d += " refs: golden " + std::to_string(grefs.size()) + " ref " + std::to_string(r.refs.size());
    for (std::size_t i = 0; i < std::max(grefs.size(), r.refs.size()); ++i) {
      const std::string a = i < grefs.size() ? shown(grefs[i]) : "-";
      const std::string b = i < r.refs.size() ? shown(r.refs[i]) : "-";
      if (a != b) {
        d += ", first difference at #" + std::to_string(i) + ": golden " + a + " ref " + b;
        break;
      }
    }
  }
  if (to_vector(g.adds) != r.adds) d += " segment additions differ";
  if (g.filter_hits != r.filter_hits)
    d += " filter hits " + std::to_string(g.filter_hits) + " vs " + std::to_string(r.filter_hits);
  if (g.ok() && r.ok()) {
    if (g.gpa != r.gpa) d += " gpa " + hex(g.gpa) + " vs " + hex(r.gpa);
    if (g.hpa != r.hpa) d += " hpa " + hex(g.hpa) + " vs " + hex(r.hpa);
    if (g.size != r.size || g.guest_size != r.guest_size || g.host_size != r.host_size)
      d += " sizes differ";
    if (!(g.perms == r.perms)) d += " perms " + shown(g.perms) + " vs " + shown(r.perms);
    if (g.guest_seg_hit != r.guest_seg_hit || g.vmm_seg_hit != r.vmm_seg_hit)
      d += " segment-hit flags differ";
  }
  return d;
}

}  // namespace mmuvp::golden
