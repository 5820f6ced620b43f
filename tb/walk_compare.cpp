// Comparison of two walkers' responses and the mismatch report (walk_compare.h).
#include "tb/walk_compare.h"

#include <fmt/format.h>

#include "arch/mode.h"
#include "tlm/translation_checker.h"

namespace mmuvp::tb {

const char* access_name(arch::AccessType t) {
  switch (t) {
    case arch::AccessType::kRead: return "read";
    case arch::AccessType::kWrite: return "write";
    default: return "execute";
  }
}

std::string first_difference(const tlm::WalkResponse& a, const tlm::WalkResponse& b) {
  const arch::TranslationResult& x = a.result;
  const arch::TranslationResult& y = b.result;
  if (a.id != b.id) return "request id";
  if (a.slot != b.slot) return "slot";
  if (x.fault.kind != y.fault.kind) return "fault kind";
  if (x.fault.stage != y.fault.stage) return "fault stage";
  if (x.fault.level != y.fault.level) return "fault level";
  if (x.fault.code != y.fault.code) return "fault code";
  if (x.fault.gva != y.fault.gva) return "fault gVA";
  if (x.fault.gpa != y.fault.gpa) return "fault gPA";
  if (x.refs.size() != y.refs.size()) return "number of memory references";
  for (std::size_t i = 0; i < x.refs.size(); ++i) {
    if (x.refs[i] != y.refs[i]) return fmt::format("memory reference {}", i);
  }
  if (a.values.size() != b.values.size()) return "number of reference values";
  for (std::size_t i = 0; i < a.values.size(); ++i)
    if (a.values[i] != b.values[i]) return fmt::format("value of memory reference {}", i);
  if (x.ok()) {
    if (x.hpa != y.hpa) return "hPA";
    if (x.gpa != y.gpa) return "gPA";
    if (x.size != y.size) return "page size";
    if (x.guest_size != y.guest_size) return "guest page size";
    if (x.host_size != y.host_size) return "host page size";
    if (!(x.perms == y.perms)) return "permissions";
    if (x.global != y.global) return "global";
    if (x.dirty != y.dirty) return "dirty";
  }
  if (x.guest_seg_hit != y.guest_seg_hit) return "guest segment hit";
  if (x.vmm_seg_hit != y.vmm_seg_hit) return "VMM segment hit";
  if (x.filter_hits != y.filter_hits) return "escape filter hits";
  if (a.cycles != b.cycles) return "response cycle";
  return "";
}

std::string describe_response(const tlm::WalkResponse& r) {
  std::string s = fmt::format("slot {} cycles {}: {}\n", r.slot, r.cycles,
                              tlm::describe(r.result));
  const arch::TranslationResult& t = r.result;
  s += fmt::format("      gpa={:#x} hpa={:#x} size={} guest={} host={} perms={}{}{}{} global={} "
                   "dirty={} gseg={} vseg={} filter_hits={}\n",
                   t.gpa, t.hpa, static_cast<unsigned>(t.size),
                   static_cast<unsigned>(t.guest_size), static_cast<unsigned>(t.host_size),
                   t.perms.r ? 'r' : '-', t.perms.w ? 'w' : '-', t.perms.x ? 'x' : '-',
                   t.perms.u ? 'u' : '-', t.global, t.dirty, t.guest_seg_hit, t.vmm_seg_hit,
                   t.filter_hits);
  for (std::size_t i = 0; i < t.refs.size(); ++i)
    s += fmt::format("      ref {:2}: {} -> {:#018x}\n", i, tlm::describe(t.refs[i]),
                     i < r.values.size() ? r.values[i] : 0);
  return s;
}

std::string describe_request(const tlm::WalkRequest& q, unsigned core) {
  return fmt::format("request {}: {} at gVA {:#x}{} on core {} (mode {}, CR3 {:#x}, EPTP {:#x}, "
                     "PCID {}, VMID {})",
                     q.id, access_name(q.access.type), q.access.va,
                     q.access.user ? " user" : " supervisor", core, arch::to_string(q.ctx.mode),
                     q.ctx.cr3, q.ctx.eptp, q.ctx.pcid, q.ctx.vmid);
}

std::string format_mismatch(const WalkMismatch& m) {
  std::string s = fmt::format("MISMATCH in {}: {} differs\n", m.where, m.what);
  if (m.request != nullptr) s += "  " + describe_request(*m.request, m.core) + "\n";
  const std::string none = m.no_response + "\n";
  s += "  cycle-level walker: " + (m.cycle != nullptr ? describe_response(*m.cycle) : none);
  s += "  RTL walker:         " + (m.rtl != nullptr ? describe_response(*m.rtl) : none);
  s += m.detail;
  const std::uint64_t from = m.edge > m.window ? m.edge - m.window : 0;
  const std::uint64_t to = m.edge + m.window;
  s += fmt::format("  at clock edge {}; waveform window: edges {}..{} ({} ps .. {} ps)\n", m.edge,
                   from, to, from * m.period_ps, to * m.period_ps);
  if (!m.wave.empty())
    s += fmt::format("  view: gtkwave {} waves/rtl_walker.gtkw  (zoom to the window above)\n",
                     m.wave);
  else
    s += "  rerun with --wave FILE.fst for the RTL's waveform of this window\n";
  return s;
}

}  // namespace mmuvp::tb
