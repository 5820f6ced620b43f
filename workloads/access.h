// The interface between a workload and the platform: a stream of memory accesses (virtual address,
// size, read/write/fetch) produced in batches into a caller-provided buffer, plus the list of
// virtual regions the stream touches so that the guest OS stub can map them before the run.
//
// Every stream is finite (a generator stops after WorkloadConfig::accesses, a trace at its end),
// seeded and reproducible: the same configuration gives the same stream bit for bit, and reset()
// starts it again from the first access.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "arch/address.h"
#include "arch/translation.h"

namespace mmuvp::workloads {

// One memory access of the program. 16 bytes so that batches stay cache friendly.
struct MemAccess {
  arch::gva_t va = 0;
  std::uint32_t size = 0;  // bytes, 1..kMaxAccessBytes
  arch::AccessType type = arch::AccessType::kRead;
  std::uint8_t reserved = 0;
  // Instructions the program retired since the previous access of this stream, this one's
  // included (saturates at 65535; a trace carries the excess to the following accesses). The
  // platform uses it to charge non-memory work; 0 means "no information".
  std::uint16_t insns = 0;

  constexpr bool write() const { return type == arch::AccessType::kWrite; }
  constexpr bool ifetch() const { return type == arch::AccessType::kExecute; }
  constexpr arch::Access to_access(bool user = true) const { return arch::Access{va, type, user}; }
  constexpr bool operator==(const MemAccess& o) const {
    return va == o.va && size == o.size && type == o.type && insns == o.insns;
  }
  constexpr bool operator!=(const MemAccess& o) const { return !(*this == o); }
};
static_assert(sizeof(MemAccess) == 16, "MemAccess must stay 16 bytes");

// Largest single access a stream may carry (a trace line above it is malformed).
constexpr std::uint32_t kMaxAccessBytes = 4096;

// A range of virtual memory the workload touches: the stub maps it before the run.
// Generator regions are 2 MiB aligned and a multiple of 2 MiB long (a 1 GiB-page mapping rounds
// further); trace regions are 4 KiB granular.
struct Region {
  arch::gva_t va = 0;
  std::uint64_t bytes = 0;
  bool writable = true;
  bool executable = false;
  // Part of the big heap that a direct segment should cover (the primary region of Basu et al.).
  // The primary regions of a workload are contiguous.
  bool primary = false;
  std::string label;

  arch::gva_t end() const { return va + bytes; }
  bool contains(arch::gva_t a, std::uint64_t n = 1) const {
    return a >= va && n <= bytes && a - va <= bytes - n;
  }
};

// The abstract workload. next() is the only call on the hot path: one virtual call per batch.
class Workload {
 public:
  virtual ~Workload() = default;

  // Writes up to `max` accesses to `out` and returns how many; 0 only at the end of the stream.
  virtual std::size_t next(MemAccess* out, std::size_t max) = 0;

  // Short name: "gups", "graph", "kv", "cg", "stream", "trace:<file name>".
  virtual std::string name() const = 0;

  // One line of the parameters that shape the stream (sizes, scale, skew), for reports.
  virtual std::string describe() const = 0;

  // Every access of the stream lies inside one of these regions (sorted by address, disjoint).
  virtual std::vector<Region> regions() const = 0;

  // Restarts the stream from its first access.
  virtual void reset() = 0;

  // Number of accesses the full stream has, when known up front.
  virtual std::optional<std::uint64_t> length() const = 0;
};

// [first primary va, end of last primary region), or nullopt if no region is primary.
struct Span {
  arch::gva_t base = 0;
  arch::gva_t limit = 0;
};
std::optional<Span> primary_span(const std::vector<Region>& regions);

// The region holding [va, va+size), or nullptr. `regions` sorted by address, as regions() gives.
const Region* find_region(const std::vector<Region>& regions, arch::gva_t va,
                          std::uint64_t size = 1);

// Sum of region sizes.
std::uint64_t total_bytes(const std::vector<Region>& regions);

}  // namespace mmuvp::workloads
