// The parameters every synthetic generator takes, and the virtual layout of the modelled process.
//
// Layout (like a Linux x86-64 process): the big arrays of a workload live in one contiguous heap
// starting at kHeapBase (the primary region a direct segment covers); each thread's stack sits
// below kStackTop; small per-thread buffers (kv connection buffers) sit at kMiscBase. Nothing of
// the footprint is allocated on the host: addresses are computed, and only the few host-side
// structures a generator needs to decide its order (e.g. the BFS visited bitmap) cost host RAM.
#pragma once
#include <cstdint>
#include <string>

#include "arch/address.h"

namespace mmuvp::workloads {

constexpr arch::gva_t kHeapBase = 1ull << 40;         // 1 TiB: aligned for every page size
constexpr arch::gva_t kMiscBase = 0x7f0000000000ull;  // per-thread buffers
constexpr arch::gva_t kStackTop = 0x7fffffe00000ull;  // top of thread 0's stack area
constexpr std::uint64_t kStackBytes = 1ull << 21;     // one 2 MiB stack per thread
// Every generator region is aligned to and sized in units of this (2 MiB).
constexpr std::uint64_t kRegionAlign = arch::kPage2M;
// Largest heap: the user half of the 48-bit space above kHeapBase, short of the misc area.
constexpr std::uint64_t kMaxFootprint = kMiscBase - kHeapBase;

constexpr unsigned kMaxThreads = 256;
constexpr std::uint64_t kMinFootprint = 64 * 1024;

constexpr std::uint64_t kGiB = 1ull << 30;
constexpr std::uint64_t kMiB = 1ull << 20;

struct WorkloadConfig {
  std::uint64_t footprint = 4 * kGiB;   // bytes of heap data the workload is sized to (virtual)
  std::uint64_t accesses = 10'000'000;  // length of this stream
  std::uint64_t seed = 1;
  // The stream of thread `thread` of a `threads`-thread process sharing one address space: every
  // thread sees the same regions(); each emits its share of the work (see each generator).
  unsigned thread = 0;
  unsigned threads = 1;
  arch::gva_t heap_base = kHeapBase;
  // Thread stacks and per-thread buffers are allocated inside the heap (the primary region), as
  // big-memory programs do (pthread_attr_setstack, arena allocators): then every access of the
  // stream lies in the span a direct segment covers. Default: Linux-like, stacks below kStackTop.
  bool private_in_heap = false;

  // graph: Graph500 R-MAT parameters (D = 1 - A - B - C) and edges per vertex.
  unsigned graph_edgefactor = 16;
  double rmat_a = 0.57, rmat_b = 0.19, rmat_c = 0.19;
  // kv: YCSB zipfian skew and fraction of SETs.
  double kv_zipf_theta = 0.99;
  double kv_set_fraction = 0.05;
  // cg: nonzeros per matrix row (NPB classes D/E have some hundreds).
  unsigned cg_nnz_per_row = 512;
};

// Throws std::invalid_argument naming the bad field (footprint, threads, heap_base alignment...).
void validate(const WorkloadConfig& cfg);

// "4 GiB", "512 MiB", "12 KiB", "100 B": for describe() lines.
std::string format_bytes(std::uint64_t bytes);

}  // namespace mmuvp::workloads
