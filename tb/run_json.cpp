// RunConfig/RunStats <-> JSON (see run_json.h). Each structure has one field table used in both
// directions, so a field written is a field read.
#include "tb/run_json.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>
#include <functional>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

#include "arch/register_block.h"

namespace mmuvp::tb {
namespace {

constexpr std::array<std::pair<WalkerKind, std::string_view>, 5> kWalkers{{
    {WalkerKind::kGolden, "golden"},
    {WalkerKind::kTlm, "tlm"},
    {WalkerKind::kCycle, "cycle"},
    {WalkerKind::kRtl, "rtl"},
    {WalkerKind::kCosim, "cosim"},
}};

constexpr unsigned kMaxCores = 64;     // tlm::Platform's limit
constexpr unsigned kMaxWalkSlots = 16;

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

[[noreturn]] void bad_value(const std::string& path, std::string_view expected, const Json& v) {
  std::string shown = v.dump();
  if (shown.size() > 40) shown = shown.substr(0, 37) + "...";
  throw JsonError(fmt::format("key '{}': expected {}, got {}", path, expected, shown));
}

// ---- value readers -------------------------------------------------------------------------------

std::uint64_t read_u64(const Json& v, const std::string& path) {
  if (!v.is_number_unsigned()) {
    // nlohmann stores non-negative integers read from text as unsigned; a negative or a fraction
    // is an error.
    if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return v.get<std::uint64_t>();
    bad_value(path, "an unsigned integer", v);
  }
  return v.get<std::uint64_t>();
}

template <typename T>
T read_uint(const Json& v, const std::string& path) {
  const std::uint64_t x = read_u64(v, path);
  if (x > std::numeric_limits<T>::max()) {
    bad_value(path, fmt::format("an unsigned integer <= {}", std::numeric_limits<T>::max()), v);
  }
  return static_cast<T>(x);
}

bool read_bool(const Json& v, const std::string& path) {
  if (!v.is_boolean()) bad_value(path, "true or false", v);
  return v.get<bool>();
}

double read_double(const Json& v, const std::string& path) {
  if (!v.is_number()) bad_value(path, "a number", v);
  return v.get<double>();
}

std::string read_string(const Json& v, const std::string& path) {
  if (!v.is_string()) bad_value(path, "a string", v);
  return v.get<std::string>();
}

// A byte count: a number, or a size string as on the command line.
std::uint64_t read_size(const Json& v, const std::string& path) {
  if (v.is_string()) {
    const auto bytes = parse_size(v.get<std::string>());
    if (!bytes) bad_value(path, "a size (bytes, or e.g. \"4g\", \"512m\", \"1GiB\")", v);
    return *bytes;
  }
  return read_u64(v, path);
}

void read_geometry(const Json& v, const std::string& path, tlm::Geometry& g);
tlm::PageSizeSet read_page_sizes(const Json& v, const std::string& path);

// ---- object tables -------------------------------------------------------------------------------

// One key of a JSON object bound to a member of T: how to write it and how to read it.
template <typename T>
struct Field {
  std::string_view key;
  std::function<Json(const T&)> get;
  std::function<void(const Json&, T&, const std::string&)> set;
};

template <typename T>
Json write_object(const T& value, const std::vector<Field<T>>& fields) {
  Json j = Json::object();
  for (const Field<T>& f : fields) j[std::string(f.key)] = f.get(value);
  return j;
}

template <typename T>
void read_object(const Json& j, T& value, const std::string& path,
                 const std::vector<Field<T>>& fields) {
  if (!j.is_object()) {
    if (path.empty()) throw JsonError(fmt::format("expected a JSON object, got {}", j.type_name()));
    bad_value(path, "an object", j);
  }
  for (const auto& [key, v] : j.items()) {
    const Field<T>* field = nullptr;
    for (const Field<T>& f : fields) {
      if (f.key == key) field = &f;
    }
    if (field == nullptr) throw JsonError(fmt::format("unknown key '{}'", join(path, key)));
    field->set(v, value, join(path, key));
  }
}

// Fields of common shapes.
template <typename T, typename M>
Field<T> uint_field(std::string_view key, M T::*member) {
  return {key, [member](const T& t) { return Json(t.*member); },
          [member](const Json& v, T& t, const std::string& p) { t.*member = read_uint<M>(v, p); }};
}
template <typename T>
Field<T> bool_field(std::string_view key, bool T::*member) {
  return {key, [member](const T& t) { return Json(t.*member); },
          [member](const Json& v, T& t, const std::string& p) { t.*member = read_bool(v, p); }};
}
template <typename T>
Field<T> string_field(std::string_view key, std::string T::*member) {
  return {key, [member](const T& t) { return Json(t.*member); },
          [member](const Json& v, T& t, const std::string& p) { t.*member = read_string(v, p); }};
}
template <typename T>
Field<T> geometry_field(std::string_view key, tlm::Geometry T::*member) {
  return {key,
          [member](const T& t) {
            return Json{{"entries", (t.*member).entries}, {"ways", (t.*member).ways}};
          },
          // Onto the current value: {"l2": {"ways": 8}} keeps l2's entries.
          [member](const Json& v, T& t, const std::string& p) { read_geometry(v, p, t.*member); }};
}
template <typename T>
Field<T> page_sizes_field(std::string_view key, tlm::PageSizeSet T::*member) {
  return {key,
          [member](const T& t) {
            Json a = Json::array();
            for (arch::PageSize s : {arch::PageSize::k4K, arch::PageSize::k2M, arch::PageSize::k1G}) {
              if ((t.*member).has(s)) a.push_back(std::string(arch::to_string(s)));
            }
            return a;
          },
          [member](const Json& v, T& t, const std::string& p) {
            t.*member = read_page_sizes(v, p);
          }};
}
template <typename T, typename S>
Field<T> object_field(std::string_view key, S T::*member, const std::vector<Field<S>>& fields) {
  return {key, [member, fields](const T& t) { return write_object(t.*member, fields); },
          [member, fields](const Json& v, T& t, const std::string& p) {
            read_object(v, t.*member, p, fields);
          }};
}

template <typename T>
Field<T> double_field(std::string_view key, double T::*member) {
  return {key, [member](const T& t) { return Json(t.*member); },
          [member](const Json& v, T& t, const std::string& p) {
            t.*member = read_double(v, p);
            if (!(t.*member >= 0)) bad_value(p, "a number >= 0", v);
          }};
}

// Dynamic paging's policy (its exit cost is the run's vm_exit_cycles, not a field of its own).
const std::vector<Field<stub::PagingPolicyConfig>>& paging_policy_fields() {
  using P = stub::PagingPolicyConfig;
  static const std::vector<Field<P>> f{
      uint_field("interval", &P::interval),         double_field("ref_cycles", &P::ref_cycles),
      double_field("hysteresis", &P::hysteresis),   uint_field("min_dwell", &P::min_dwell),
      uint_field("stale_after", &P::stale_after),   double_field("explore_above", &P::explore_above),
  };
  return f;
}

const std::vector<Field<tlm::Geometry>>& geometry_fields() {
  static const std::vector<Field<tlm::Geometry>> f{
      uint_field("entries", &tlm::Geometry::entries),
      uint_field("ways", &tlm::Geometry::ways),
  };
  return f;
}

void read_geometry(const Json& v, const std::string& path, tlm::Geometry& g) {
  read_object(v, g, path, geometry_fields());
}

tlm::PageSizeSet read_page_sizes(const Json& v, const std::string& path) {
  if (!v.is_array()) bad_value(path, "an array of page sizes (\"4K\", \"2M\", \"1G\")", v);
  tlm::PageSizeSet set;
  for (const Json& e : v) {
    const auto size = e.is_string() ? arch::parse_page_size(e.get<std::string>()) : std::nullopt;
    if (!size) bad_value(path, "an array of page sizes (\"4K\", \"2M\", \"1G\")", v);
    set = set | tlm::PageSizeSet{*size};
  }
  return set;
}

const std::vector<Field<tlm::CacheLevelConfig>>& cache_level_fields() {
  using L = tlm::CacheLevelConfig;
  static const std::vector<Field<L>> f{
      {"size_bytes", [](const L& l) { return Json(l.size_bytes); },
       [](const Json& v, L& l, const std::string& p) { l.size_bytes = read_size(v, p); }},
      uint_field("ways", &L::ways),
      uint_field("latency", &L::latency),
  };
  return f;
}

const std::vector<Field<RunConfig>>& config_fields() {
  using C = RunConfig;
  static const std::vector<Field<tlm::TlbConfig>> tlb{
      geometry_field("l1_4k", &tlm::TlbConfig::l1_4k),
      geometry_field("l1_2m", &tlm::TlbConfig::l1_2m),
      geometry_field("l1_1g", &tlm::TlbConfig::l1_1g),
      geometry_field("l2", &tlm::TlbConfig::l2),
      page_sizes_field("l2_sizes", &tlm::TlbConfig::l2_sizes),
  };
  static const std::vector<Field<tlm::PwcConfig>> pwc{
      geometry_field("pml4", &tlm::PwcConfig::pml4),
      geometry_field("pdpt", &tlm::PwcConfig::pdpt),
      geometry_field("pd", &tlm::PwcConfig::pd),
  };
  static const std::vector<Field<tlm::NestedTlbConfig>> ntlb{
      geometry_field("geometry", &tlm::NestedTlbConfig::geometry),
      page_sizes_field("sizes", &tlm::NestedTlbConfig::sizes),
  };
  static const std::vector<Field<tlm::CacheConfig>> cache{
      uint_field("line_bytes", &tlm::CacheConfig::line_bytes),
      object_field("l1d", &tlm::CacheConfig::l1d, cache_level_fields()),
      object_field("l2", &tlm::CacheConfig::l2, cache_level_fields()),
      object_field("llc", &tlm::CacheConfig::llc, cache_level_fields()),
      uint_field("dram_latency", &tlm::CacheConfig::dram_latency),
  };
  static const std::vector<Field<arch::MmuParams>> mmu{
      uint_field("maxphyaddr", &arch::MmuParams::maxphyaddr),
      uint_field("filter_bits", &arch::MmuParams::filter_bits),
      uint_field("filter_hashes", &arch::MmuParams::filter_hashes),
  };
  static const std::vector<Field<C>> f{
      {"mode", [](const C& c) { return Json(run_mode_name(c)); },
       [](const Json& v, C& c, const std::string& p) {
         if (!set_run_mode(c, read_string(v, p)))
           bad_value(p, std::string("a mode (") + kRunModeNames + ")", v);
       }},
      uint_field("vm_exit_cycles", &C::vm_exit_cycles),
      string_field("workload", &C::workload),
      string_field("trace", &C::trace),
      uint_field("accesses", &C::accesses),
      {"footprint", [](const C& c) { return Json(c.footprint); },
       [](const Json& v, C& c, const std::string& p) { c.footprint = read_size(v, p); }},
      {"guest_pages", [](const C& c) { return Json(std::string(stub::to_string(c.guest_pages))); },
       [](const Json& v, C& c, const std::string& p) {
         const auto g = stub::parse_page_policy(read_string(v, p));
         if (!g) bad_value(p, "a guest page policy (4k, 2m, 1g, thp)", v);
         c.guest_pages = *g;
       }},
      {"host_pages",
       [](const C& c) { return Json(format_size(arch::page_bytes(c.host_pages))); },
       [](const Json& v, C& c, const std::string& p) {
         const auto h = arch::parse_page_size(read_string(v, p));
         if (!h) bad_value(p, "a host page size (4k, 2m, 1g)", v);
         c.host_pages = *h;
       }},
      uint_field("cores", &C::cores),
      uint_field("processes", &C::processes),
      uint_field("switch_interval", &C::switch_interval),
      {"walker", [](const C& c) { return Json(std::string(to_string(c.walker))); },
       [](const Json& v, C& c, const std::string& p) {
         const auto w = parse_walker(read_string(v, p));
         if (!w) bad_value(p, "a walker (golden, tlm, cycle, rtl, cosim)", v);
         c.walker = *w;
       }},
      bool_field("pwc", &C::pwc),
      uint_field("seed", &C::seed),
      string_field("wave", &C::wave),
      bool_field("check", &C::check),
      bool_field("ad_updates", &C::ad_updates),
      bool_field("preset_ad", &C::preset_ad),
      bool_field("demand_paging", &C::demand_paging),
      bool_field("private_in_heap", &C::private_in_heap),
      uint_field("escaped_frames", &C::escaped_frames),
      uint_field("walk_slots", &C::walk_slots),
      uint_field("l2_tlb_latency", &C::l2_tlb_latency),
      object_field("tlb", &C::tlb, tlb),
      object_field("pwc_config", &C::pwc_config, pwc),
      object_field("ntlb_config", &C::ntlb_config, ntlb),
      object_field("cache", &C::cache, cache),
      object_field("mmu", &C::mmu, mmu),
      uint_field("quantum_cycles", &C::quantum_cycles),
      bool_field("dmi", &C::dmi),
      object_field("paging_policy", &C::paging_policy, paging_policy_fields()),
      {"clock_ghz", [](const C& c) { return Json(c.clock_ghz); },
       [](const Json& v, C& c, const std::string& p) {
         c.clock_ghz = read_double(v, p);
         if (!(c.clock_ghz > 0)) bad_value(p, "a positive number", v);
       }},
  };
  return f;
}

// The counters of a core, in the order the stats JSON lists them.
const std::vector<std::pair<std::string_view, std::uint64_t CoreStats::*>>& counter_fields() {
  using S = CoreStats;
  static const std::vector<std::pair<std::string_view, std::uint64_t S::*>> f{
      {"accesses", &S::accesses},
      {"instructions", &S::instructions},
      {"l1_tlb_misses", &S::l1_tlb_misses},
      {"l2_tlb_misses", &S::l2_tlb_misses},
      {"walks", &S::walks},
      {"walk_mem_refs", &S::walk_mem_refs},
      {"walk_cycles", &S::walk_cycles},
      {"translation_cycles", &S::translation_cycles},
      {"total_cycles", &S::total_cycles},
      {"segment_hits", &S::segment_hits},
      {"escape_filter_hits", &S::escape_filter_hits},
      {"walk_requests", &S::walk_requests},
      {"segment_translations", &S::segment_translations},
      {"guest_segment_hits", &S::guest_segment_hits},
      {"vmm_segment_hits", &S::vmm_segment_hits},
      {"escape_filter_lookups", &S::escape_filter_lookups},
      {"escape_filter_false_positives", &S::escape_filter_false_positives},
      {"pwc_hits", &S::pwc_hits},
      {"pwc_lookups", &S::pwc_lookups},
      {"ntlb_hits", &S::ntlb_hits},
      {"ntlb_lookups", &S::ntlb_lookups},
      {"faults", &S::faults},
      {"vm_exits", &S::vm_exits},
      {"vm_exit_cycles", &S::vm_exit_cycles},
      {"context_switches", &S::context_switches},
      {"paging_switches", &S::paging_switches},
      {"direct_accesses", &S::direct_accesses},
      {"checked_translations", &S::checked_translations},
      {"mismatches", &S::mismatches},
      {"cosim_compared", &S::cosim_compared},
      {"cosim_mismatches", &S::cosim_mismatches},
  };
  return f;
}

const Json& member(const Json& j, std::string_view key, const std::string& path) {
  const auto it = j.find(std::string(key));
  if (it == j.end()) throw JsonError(fmt::format("missing key '{}'", join(path, key)));
  return *it;
}

void read_counters(const Json& j, CoreStats& s, const std::string& path) {
  if (!j.is_object()) throw JsonError(fmt::format("'{}': expected an object", path));
  for (const auto& [key, ptr] : counter_fields()) {
    s.*ptr = read_u64(member(j, key, path), join(path, key));
  }
}

}  // namespace

std::string_view to_string(WalkerKind w) {
  for (const auto& [kind, name] : kWalkers) {
    if (kind == w) return name;
  }
  return "?";
}

std::optional<WalkerKind> parse_walker(std::string_view name) {
  for (const auto& [kind, n] : kWalkers) {
    if (n == name) return kind;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + digits, value);
  if (ec != std::errc() || end != text.data() + digits) return std::nullopt;

  std::string unit;
  for (char c : text.substr(digits)) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  unsigned shift = 0;
  if (!unit.empty()) {
    constexpr std::string_view kUnits = "kmgt";
    const std::size_t pos = kUnits.find(unit[0]);
    if (pos == std::string_view::npos) return std::nullopt;
    const std::string_view rest = std::string_view(unit).substr(1);
    if (!rest.empty() && rest != "b" && rest != "ib") return std::nullopt;
    shift = 10 * static_cast<unsigned>(pos + 1);
  }
  if (shift != 0 && value > (std::numeric_limits<std::uint64_t>::max() >> shift)) {
    return std::nullopt;
  }
  return value << shift;
}

std::string format_size(std::uint64_t bytes) {
  constexpr std::string_view kUnits = "kmgt";
  unsigned unit = 0;
  while (unit < kUnits.size() && bytes != 0 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? std::to_string(bytes) : fmt::format("{}{}", bytes, kUnits[unit - 1]);
}

Json config_to_json(const RunConfig& config) { return write_object(config, config_fields()); }

void apply_config_json(const Json& j, RunConfig& config) {
  read_object(j, config, "", config_fields());
}

RunConfig config_from_json(const Json& j) {
  RunConfig c;
  apply_config_json(j, c);
  return c;
}

void validate_config(const RunConfig& c) {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument(what);
  };
  need(c.accesses > 0, "accesses must be at least 1");
  need(c.footprint > 0, "footprint must be at least 1 byte");
  need(c.cores >= 1 && c.cores <= kMaxCores, fmt::format("cores must be in [1, {}]", kMaxCores));
  need(c.walk_slots >= 1 && c.walk_slots <= kMaxWalkSlots,
       fmt::format("walk_slots must be in [1, {}]", kMaxWalkSlots));
  need(c.clock_ghz > 0, "clock_ghz must be positive");
  need(c.quantum_cycles > 0, "quantum_cycles must be at least 1");
  need(!c.trace.empty() || !c.workload.empty(), "a workload name or a trace file is required");
  c.tlb.validate();
  c.pwc_config.validate();
  c.ntlb_config.validate();
  c.cache.validate();
  const arch::RegisterBlock check(c.mmu);  // throws std::invalid_argument for MAXPHYADDR, m, k
}

Json core_stats_to_json(const CoreStats& s) {
  Json j = Json::object();
  for (const auto& [key, ptr] : counter_fields()) j[std::string(key)] = s.*ptr;
  return j;
}

CoreStats core_stats_from_json(const Json& j) {
  CoreStats s;
  read_counters(j, s, "");
  return s;
}

const std::vector<Field<CacheLevelStats>>& cache_level_stats_fields() {
  using L = CacheLevelStats;
  static const std::vector<Field<L>> f{
      uint_field("data_accesses", &L::data_accesses),
      uint_field("data_hits", &L::data_hits),
      uint_field("walker_accesses", &L::walker_accesses),
      uint_field("walker_hits", &L::walker_hits),
      uint_field("fills", &L::fills),
      uint_field("evictions", &L::evictions),
      uint_field("writebacks", &L::writebacks),
  };
  return f;
}

const std::vector<Field<CacheStats>>& cache_stats_fields() {
  using C = CacheStats;
  static const std::vector<Field<C>> f{
      object_field("L1D", &C::l1d, cache_level_stats_fields()),
      object_field("L2", &C::l2, cache_level_stats_fields()),
      object_field("LLC", &C::llc, cache_level_stats_fields()),
      uint_field("dram_data_accesses", &C::dram_data_accesses),
      uint_field("dram_walker_accesses", &C::dram_walker_accesses),
      uint_field("dram_writebacks", &C::dram_writebacks),
      uint_field("data_cycles", &C::data_cycles),
      uint_field("walker_cycles", &C::walker_cycles),
  };
  return f;
}

Json stats_to_json(const RunStats& s) {
  Json j = Json::object();
  j["mode"] = run_mode_name(s.config);
  j["workload"] = s.workload_name;
  j["workload_description"] = s.workload_describe;
  j["walker"] = std::string(to_string(s.config.walker));
  for (const auto& [key, ptr] : counter_fields()) j[std::string(key)] = s.total.*ptr;
  j["mem_refs_per_walk"] = s.mem_refs_per_walk;
  j["cycles_per_walk"] = s.cycles_per_walk;
  j["translation_overhead"] = s.translation_overhead;
  j["sim_seconds"] = s.sim_seconds;
  j["accesses_per_second"] = s.accesses_per_second;
  j["caches"] = s.caches.present ? write_object(s.caches, cache_stats_fields()) : Json(nullptr);
  Json log = Json::array();
  for (const PagingSwitch& w : s.paging_switches)
    log.push_back({{"core", w.core},
                   {"pcid", w.pcid},
                   {"at_access", w.at_access},
                   {"to", w.to_shadow ? "shadow" : "nested"},
                   {"cost", w.cost},
                   {"reason", w.reason}});
  j["paging_switch_log"] = log;
  j["config"] = config_to_json(s.config);
  Json cores = Json::array();
  for (const CoreStats& c : s.per_core) cores.push_back(core_stats_to_json(c));
  j["per_core"] = std::move(cores);
  return j;
}

RunStats stats_from_json(const Json& j) {
  if (!j.is_object()) throw JsonError(fmt::format("expected a JSON object, got {}", j.type_name()));
  RunStats s;
  s.config = config_from_json(member(j, "config", ""));
  s.workload_name = read_string(member(j, "workload", ""), "workload");
  s.workload_describe = read_string(member(j, "workload_description", ""), "workload_description");
  read_counters(j, s.total, "");
  s.mem_refs_per_walk = read_double(member(j, "mem_refs_per_walk", ""), "mem_refs_per_walk");
  s.cycles_per_walk = read_double(member(j, "cycles_per_walk", ""), "cycles_per_walk");
  s.translation_overhead =
      read_double(member(j, "translation_overhead", ""), "translation_overhead");
  s.sim_seconds = read_double(member(j, "sim_seconds", ""), "sim_seconds");
  s.accesses_per_second =
      read_double(member(j, "accesses_per_second", ""), "accesses_per_second");
  const Json& caches = member(j, "caches", "");
  if (!caches.is_null()) {
    read_object(caches, s.caches, "caches", cache_stats_fields());
    s.caches.present = true;
  }
  const Json& cores = member(j, "per_core", "");
  if (!cores.is_array()) throw JsonError("key 'per_core': expected an array");
  for (std::size_t i = 0; i < cores.size(); ++i) {
    CoreStats c;
    read_counters(cores[i], c, fmt::format("per_core[{}]", i));
    s.per_core.push_back(c);
  }
  return s;
}

}  // namespace mmuvp::tb
