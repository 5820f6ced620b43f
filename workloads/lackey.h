// Valgrind lackey memory traces (`valgrind --tool=lackey --trace-mem=yes`), read streaming.
//
// Format, one record per line:   "I  addr,size"   instruction fetch
//                                " L addr,size"   load
//                                " S addr,size"   store
//                                " M addr,size"   modify (a load then a store of the same bytes)
// addr is hexadecimal without 0x, size decimal. Lines starting with "==" (valgrind's messages) or
// "--" (its debug messages) and blank lines are skipped; anything else that does not parse is an
// error "file:line: message". Reading uses one fixed buffer: memory does not grow with the file.
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "workloads/access.h"

namespace mmuvp::workloads {

class TraceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What to do with "I" records.
enum class IFetchMode : std::uint8_t {
  kIgnore = 0,  // drop them
  kCount = 1,   // count them into MemAccess::insns of the next data access (default)
  kEmit = 2,    // emit them as execute accesses (insns = 1 each)
};
std::string_view to_string(IFetchMode m);  // ignore|count|emit
std::optional<IFetchMode> parse_ifetch_mode(std::string_view text);

struct TraceOptions {
  IFetchMode ifetch = IFetchMode::kCount;
  std::size_t buffer_bytes = 1 << 20;  // also the longest accepted line
};

struct LackeyRecord {
  char op = 0;  // 'I', 'L', 'S', 'M'
  arch::gva_t addr = 0;
  std::uint32_t size = 0;
};

// Parses one line (without its newline). Returns false for a line to skip; throws TraceError
// "<where>:<line>: <message>" for a malformed one.
bool parse_lackey_line(std::string_view text, LackeyRecord& rec, std::string_view where,
                       std::uint64_t line);

// Streams the records of a file.
class LackeyReader {
 public:
  explicit LackeyReader(std::string path, std::size_t buffer_bytes = 1 << 20);
  ~LackeyReader();
  LackeyReader(const LackeyReader&) = delete;
  LackeyReader& operator=(const LackeyReader&) = delete;

  // Next record; false at the end of the file.
  bool next(LackeyRecord& rec);
  void rewind();

  const std::string& path() const { return path_; }
  std::uint64_t line() const { return line_; }  // number of the last line read (1-based)

 private:
  // Next line into [begin, end); false at end of file.
  bool next_line(const char*& begin, const char*& end);
  [[noreturn]] void fail(const std::string& message) const;

  std::string path_;
  std::FILE* file_ = nullptr;
  std::vector<char> buf_;
  std::size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  std::uint64_t line_ = 0;
};

struct TraceStats {
  std::uint64_t lines = 0;  // lines read
  std::uint64_t instructions = 0, loads = 0, stores = 0, modifies = 0;
  std::uint64_t accesses = 0;  // MemAccess records produced (a modify gives two)
};

// Every page a trace touches (under the same options), coalesced into regions.
struct ScanLimits {
  std::uint64_t max_pages = 1ull << 22;  // 16 GiB of distinct 4 KiB pages
  std::uint64_t max_areas = 1ull << 18;  // distinct 2 MiB areas (bounds the scan's own memory)
};
struct TraceScan {
  // Runs of consecutive touched 4 KiB pages, split where executability changes; writable if any
  // store or modify touched them; the largest is marked primary. Labels "trace.N".
  std::vector<Region> regions;
  TraceStats stats;
  std::uint64_t pages = 0;
};
TraceScan scan_regions(const std::string& path, const TraceOptions& options = {},
                       const ScanLimits& limits = {});

// A trace file as a Workload. regions() scans the file once (on first call) with scan_regions.
class TraceWorkload final : public Workload {
 public:
  explicit TraceWorkload(const std::string& path, const TraceOptions& options = {},
                         const ScanLimits& limits = {});

  std::size_t next(MemAccess* out, std::size_t max) override;
  std::string name() const override;
  std::string describe() const override;
  std::vector<Region> regions() const override;
  void reset() override;
  // Known once regions() has scanned the file.
  std::optional<std::uint64_t> length() const override;

  const TraceStats& stats() const { return stats_; }
  // Instructions counted after the last data access (kCount mode), not attached to any access.
  std::uint64_t trailing_instructions() const { return pending_insns_; }

 private:
  LackeyReader reader_;
  TraceOptions options_;
  ScanLimits limits_;
  TraceStats stats_;
  std::uint64_t pending_insns_ = 0;
  std::optional<MemAccess> pending_write_;  // second half of a modify
  mutable std::optional<TraceScan> scan_;
};

}  // namespace mmuvp::workloads
