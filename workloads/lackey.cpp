// Lackey trace parsing, streaming reader, region scan and the trace workload.
#include "workloads/lackey.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "workloads/config.h"

namespace mmuvp::workloads {
namespace {

constexpr std::uint16_t kMaxInsns = 0xffff;

std::string printable(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string(1, c);
  return fmt::format("\\x{:02x}", u);
}

// Hex digit values by character, -1 for a non-digit (a table: the parse is branch-light).
struct HexTable {
  std::array<std::int8_t, 256> value{};
  constexpr HexTable() {
    for (int c = 0; c < 256; ++c) value[c] = -1;
    for (int d = 0; d < 10; ++d) value['0' + d] = static_cast<std::int8_t>(d);
    for (int d = 0; d < 6; ++d) {
      value['a' + d] = static_cast<std::int8_t>(10 + d);
      value['A' + d] = static_cast<std::int8_t>(10 + d);
    }
  }
};
constexpr HexTable kHex;

int hex_value(char c) { return kHex.value[static_cast<unsigned char>(c)]; }

bool is_blank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

std::string_view to_string(IFetchMode m) {
  switch (m) {
    case IFetchMode::kIgnore:
      return "ignore";
    case IFetchMode::kCount:
      return "count";
    case IFetchMode::kEmit:
      return "emit";
  }
  return "?";
}

std::optional<IFetchMode> parse_ifetch_mode(std::string_view text) {
  for (IFetchMode m : {IFetchMode::kIgnore, IFetchMode::kCount, IFetchMode::kEmit}) {
    if (text == to_string(m)) return m;
  }
  return std::nullopt;
}

bool parse_lackey_line(std::string_view text, LackeyRecord& rec, std::string_view where,
                       std::uint64_t line) {
  auto fail = [&](const std::string& message) -> bool {
    throw TraceError(fmt::format("{}:{}: {}", where, line, message));
  };
  const char* p = text.data();
  const char* e = p + text.size();
  while (e > p && (e[-1] == '\r' || is_blank(e[-1]))) --e;
  if (p == e) return false;
  if (e - p >= 2 && ((p[0] == '=' && p[1] == '=') || (p[0] == '-' && p[1] == '-'))) return false;
  while (p < e && is_blank(*p)) ++p;
  const char op = *p++;
  if (op != 'I' && op != 'L' && op != 'S' && op != 'M') {
    fail(fmt::format("unknown operation '{}' (expected I, L, S or M)", printable(op)));
  }
  if (p == e || !is_blank(*p)) fail(fmt::format("expected a space after operation '{}'", op));
  while (p < e && is_blank(*p)) ++p;
  std::uint64_t addr = 0;
  unsigned digits = 0;
  for (int h; p < e && (h = hex_value(*p)) >= 0; ++p, ++digits) {
    addr = (addr << 4) | static_cast<std::uint64_t>(h);
  }
  if (digits == 0) {
    fail(p == e ? std::string("missing address")
                : fmt::format("bad hex address: unexpected '{}'", printable(*p)));
  }
  if (digits > 16) fail(fmt::format("address has {} hex digits (at most 16)", digits));
  if (p == e) fail("missing ',' and size after the address");
  if (*p != ',') {
    if (std::isalnum(static_cast<unsigned char>(*p))) {
      fail(fmt::format("bad hex digit '{}' in address", printable(*p)));
    }
    fail(fmt::format("missing ',' after the address (found '{}')", printable(*p)));
  }
  ++p;
  std::uint64_t size = 0;
  const char* const size_text = p;
  digits = 0;
  for (; p < e && *p >= '0' && *p <= '9'; ++p, ++digits) {
    size = std::min<std::uint64_t>(size * 10 + static_cast<std::uint64_t>(*p - '0'),
                                   kMaxAccessBytes + 1ull);  // saturate: only "too big" matters
  }
  if (digits == 0) {
    fail(p == e ? std::string("missing size after ','")
                : fmt::format("bad size: unexpected '{}'", printable(*p)));
  }
  if (p != e) {
    fail(fmt::format("trailing characters after the size: '{}'",
                     std::string_view(p, static_cast<std::size_t>(e - p))));
  }
  if (size == 0) fail("size 0");
  if (size > kMaxAccessBytes) {
    fail(fmt::format("size {} above {}",
                     std::string_view(size_text, static_cast<std::size_t>(p - size_text)),
                     kMaxAccessBytes));
  }
  if (!arch::is_canonical(addr)) fail(fmt::format("address {:#x} is not canonical", addr));
  if (addr > ~0ull - (size - 1)) fail(fmt::format("access at {:#x} wraps around", addr));
  rec.op = op;
  rec.addr = addr;
  rec.size = static_cast<std::uint32_t>(size);
  return true;
}

// --- LackeyReader -------------------------------------------------------------------------------

LackeyReader::LackeyReader(std::string path, std::size_t buffer_bytes)
    : path_(std::move(path)), buf_(std::max<std::size_t>(buffer_bytes, 256)) {
  file_ = std::fopen(path_.c_str(), "rb");
  if (file_ == nullptr) {
    throw TraceError(fmt::format("{}: cannot open: {}", path_, std::strerror(errno)));
  }
}

LackeyReader::~LackeyReader() {
  if (file_ != nullptr) std::fclose(file_);
}

void LackeyReader::fail(const std::string& message) const {
  throw TraceError(fmt::format("{}:{}: {}", path_, line_, message));
}

void LackeyReader::rewind() {
  std::rewind(file_);
  pos_ = end_ = 0;
  eof_ = false;
  line_ = 0;
}

bool LackeyReader::next_line(const char*& begin, const char*& end) {
  for (;;) {
    const char* data = buf_.data();
    const void* nl = std::memchr(data + pos_, '\n', end_ - pos_);
    if (nl != nullptr) {
      begin = data + pos_;
      end = static_cast<const char*>(nl);
      pos_ = static_cast<std::size_t>(end - data) + 1;
      ++line_;
      return true;
    }
    if (eof_) {
      if (pos_ == end_) return false;
      begin = data + pos_;
      end = data + end_;
      pos_ = end_;
      ++line_;
      return true;
    }
    if (pos_ > 0) {
      std::memmove(buf_.data(), data + pos_, end_ - pos_);
      end_ -= pos_;
      pos_ = 0;
    }
    if (end_ == buf_.size()) {
      ++line_;
      fail(fmt::format("line longer than {} bytes (not a lackey trace?)", buf_.size()));
    }
    const std::size_t got = std::fread(buf_.data() + end_, 1, buf_.size() - end_, file_);
    if (got == 0) {
      if (std::ferror(file_)) fail(fmt::format("read error: {}", std::strerror(errno)));
      eof_ = true;
    }
    end_ += got;
  }
}

bool LackeyReader::next(LackeyRecord& rec) {
  const char *b, *e;
  while (next_line(b, e)) {
    if (parse_lackey_line(std::string_view(b, static_cast<std::size_t>(e - b)), rec, path_,
                          line_)) {
      return true;
    }
  }
  return false;
}

// --- scan_regions -------------------------------------------------------------------------------

namespace {

constexpr unsigned kAreaShift = 21;  // 2 MiB areas of 512 pages
constexpr unsigned kPagesPerArea = 1u << (kAreaShift - arch::kPageShift);
constexpr unsigned kAreaWords = kPagesPerArea / 64;

struct AreaBits {
  std::array<std::uint64_t, kAreaWords> touched{}, written{}, executed{};
};

class PageSet {
 public:
  PageSet(const std::string& path, const ScanLimits& limits) : path_(path), limits_(limits) {}

  void add(arch::gva_t addr, std::uint32_t size, bool write, bool exec) {
    const std::uint64_t first = addr >> arch::kPageShift;
    const std::uint64_t last = (addr + size - 1) >> arch::kPageShift;
    for (std::uint64_t page = first; page <= last; ++page) mark(page, write, exec);
  }

  std::uint64_t pages() const { return pages_; }

  std::vector<Region> regions() const {
    std::vector<std::uint64_t> keys;
    keys.reserve(areas_.size());
    for (const auto& kv : areas_) keys.push_back(kv.first);
    std::sort(keys.begin(), keys.end());
    std::vector<Region> out;
    std::uint64_t run_end = 0;  // page after the current run
    bool run_exec = false;
    for (std::uint64_t key : keys) {
      const AreaBits& a = areas_.at(key);
      for (unsigned i = 0; i < kPagesPerArea; ++i) {
        const std::uint64_t bit = 1ull << (i % 64);
        if ((a.touched[i / 64] & bit) == 0) continue;
        const std::uint64_t page = (key << (kAreaShift - arch::kPageShift)) + i;
        const bool exec = (a.executed[i / 64] & bit) != 0;
        const bool write = (a.written[i / 64] & bit) != 0;
        if (out.empty() || page != run_end || exec != run_exec) {
          out.push_back(Region{page << arch::kPageShift, 0, false, exec, false,
                               fmt::format("trace.{}", out.size())});
          run_exec = exec;
        }
        out.back().bytes += arch::kPage4K;
        out.back().writable |= write;
        run_end = page + 1;
      }
    }
    if (!out.empty()) {
      auto largest = std::max_element(out.begin(), out.end(), [](const Region& x, const Region& y) {
        return x.bytes < y.bytes;
      });
      largest->primary = true;
    }
    return out;
  }

 private:
  void mark(std::uint64_t page, bool write, bool exec) {
    const std::uint64_t key = page >> (kAreaShift - arch::kPageShift);
    if (cur_ == nullptr || key != cur_key_) {
      auto it = areas_.find(key);
      if (it == areas_.end()) {
        if (areas_.size() >= limits_.max_areas) {
          throw TraceError(fmt::format(
              "{}: trace touches more than {} distinct 2 MiB areas; is it a lackey trace of one "
              "process? (raise ScanLimits::max_areas to accept it)",
              path_, limits_.max_areas));
        }
        it = areas_.emplace(key, AreaBits{}).first;
      }
      cur_ = &it->second;
      cur_key_ = key;
    }
    const unsigned i = static_cast<unsigned>(page & (kPagesPerArea - 1));
    const std::uint64_t bit = 1ull << (i % 64);
    if ((cur_->touched[i / 64] & bit) == 0) {
      if (++pages_ > limits_.max_pages) {
        throw TraceError(fmt::format(
            "{}: trace touches more than {} pages ({}); raise ScanLimits::max_pages to accept it",
            path_, limits_.max_pages, format_bytes(limits_.max_pages * arch::kPage4K)));
      }
      cur_->touched[i / 64] |= bit;
    }
    if (write) cur_->written[i / 64] |= bit;
    if (exec) cur_->executed[i / 64] |= bit;
  }

  const std::string& path_;
  ScanLimits limits_;
  std::unordered_map<std::uint64_t, AreaBits> areas_;
  AreaBits* cur_ = nullptr;
  std::uint64_t cur_key_ = 0;
  std::uint64_t pages_ = 0;
};

}  // namespace

TraceScan scan_regions(const std::string& path, const TraceOptions& options,
                       const ScanLimits& limits) {
  LackeyReader reader(path, options.buffer_bytes);
  PageSet pages(path, limits);
  TraceScan scan;
  LackeyRecord rec;
  while (reader.next(rec)) {
    switch (rec.op) {
      case 'I':
        ++scan.stats.instructions;
        if (options.ifetch == IFetchMode::kEmit) {
          pages.add(rec.addr, rec.size, false, true);
          ++scan.stats.accesses;
        }
        break;
      case 'L':
        ++scan.stats.loads;
        ++scan.stats.accesses;
        pages.add(rec.addr, rec.size, false, false);
        break;
      case 'S':
        ++scan.stats.stores;
        ++scan.stats.accesses;
        pages.add(rec.addr, rec.size, true, false);
        break;
      case 'M':
        ++scan.stats.modifies;
        scan.stats.accesses += 2;
        pages.add(rec.addr, rec.size, true, false);
        break;
    }
  }
  scan.stats.lines = reader.line();
  scan.regions = pages.regions();
  scan.pages = pages.pages();
  return scan;
}

// --- TraceWorkload ------------------------------------------------------------------------------

TraceWorkload::TraceWorkload(const std::string& path, const TraceOptions& options,
                             const ScanLimits& limits)
    : reader_(path, options.buffer_bytes), options_(options), limits_(limits) {}

std::size_t TraceWorkload::next(MemAccess* out, std::size_t max) {
  using arch::AccessType;
  std::size_t n = 0;
  if (max == 0) return 0;
  if (pending_write_) {
    out[n++] = *pending_write_;
    pending_write_.reset();
  }
  const bool count = options_.ifetch == IFetchMode::kCount;
  auto insns = [&]() -> std::uint16_t {
    if (!count) return 0;
    const auto take =
        static_cast<std::uint16_t>(std::min<std::uint64_t>(pending_insns_, kMaxInsns));
    pending_insns_ -= take;
    return take;
  };
  LackeyRecord rec;
  while (n < max && reader_.next(rec)) {
    switch (rec.op) {
      case 'I':
        ++stats_.instructions;
        if (options_.ifetch == IFetchMode::kEmit) {
          out[n++] = MemAccess{rec.addr, rec.size, AccessType::kExecute, 0, 1};
        } else if (count) {
          ++pending_insns_;
        }
        break;
      case 'L':
        ++stats_.loads;
        out[n++] = MemAccess{rec.addr, rec.size, AccessType::kRead, 0, insns()};
        break;
      case 'S':
        ++stats_.stores;
        out[n++] = MemAccess{rec.addr, rec.size, AccessType::kWrite, 0, insns()};
        break;
      case 'M': {
        ++stats_.modifies;
        out[n++] = MemAccess{rec.addr, rec.size, AccessType::kRead, 0, insns()};
        const MemAccess w{rec.addr, rec.size, AccessType::kWrite, 0, 0};
        if (n < max) {
          out[n++] = w;
        } else {
          pending_write_ = w;
        }
        break;
      }
    }
  }
  stats_.accesses += n;
  stats_.lines = reader_.line();
  return n;
}

std::string TraceWorkload::name() const {
  const std::string& p = reader_.path();
  const std::size_t slash = p.find_last_of('/');
  return "trace:" + (slash == std::string::npos ? p : p.substr(slash + 1));
}

std::string TraceWorkload::describe() const {
  return fmt::format("trace: lackey file {}, instruction fetches {}", reader_.path(),
                     to_string(options_.ifetch));
}

std::vector<Region> TraceWorkload::regions() const {
  if (!scan_) scan_ = scan_regions(reader_.path(), options_, limits_);
  return scan_->regions;
}

void TraceWorkload::reset() {
  reader_.rewind();
  stats_ = TraceStats{};
  pending_insns_ = 0;
  pending_write_.reset();
}

std::optional<std::uint64_t> TraceWorkload::length() const {
  if (!scan_) return std::nullopt;
  return scan_->stats.accesses;
}

}  // namespace mmuvp::workloads
