// Lockstep co-simulation of the cycle-level SystemC walker (tlm/cycle_walker.h) and the Verilated
// RTL walker (tb/rtl_walker_sc.h) - SPEC §7, `mmuvp cosim`. Per mode, one lane: two identical
// stub-built machines (tests/golden/stub_space.h, same mode, variant and seed: the same memory
// image twice, so that each walker's A/D writes land in its own copy), each walker behind its own
// tlm::MemPortBridge with the same seeded latency and back-pressure, both clocked by one clock and
// fed the same request stream at the same instants: the stub's random accesses (holes, faults,
// segment edges, escaped frames, non-canonical addresses), context switches (the RTL's register
// block programmed over its MMIO port while both walkers are idle; the requests of the C++ walker
// carry the context of a mirror register block written alike), and invalidations racing with the
// walks. Added to what the stub builds (cosim.cpp): memory ends at 1 TiB, and short episodes put
// the root (CR3 or EPTP) beyond it (memory errors) or into a trap region of crafted EPT entries
// and random guest entries (misconfigurations, violations of present entries, reserved bits); at
// some context switches the register block is written values it must refuse (the RTL's status of
// each compared with the C++ register block's) and one INV_CMD, and random frames of the VMM
// segment are escaped; PCIDs and VMIDs are spread over their whole fields.
// Every response is compared field by field (id, slot, hPA, gPA, sizes, permissions,
// global/dirty, segment and filter hits, fault with kind/stage/level/code/gVA/gPA), with the
// ordered memory references (address, target, level, for_level, READ/SET_BITS) and the values
// they returned, and the response cycle (WalkResponse::cycles; and both must be taken at the same
// edge). The first mismatch stops the run `window` cycles later with a report: the request, both
// responses, the edge, and the waveform window (the RTL's FST, when a wave file is given).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "arch/mode.h"

namespace mmuvp::tb {

struct CosimConfig {
  std::vector<arch::Mode> modes;      // one lane each, run side by side on one clock
  std::uint64_t translations = 1000;  // per lane
  std::uint64_t seed = 1;
  std::string wave;  // RTL FST ("" none); several lanes: one file each, NAME.<mode>.fst
  unsigned extra_latency_max = 8;    // memory: + uniform 0..max cycles per reference
  unsigned mem_stall_percent = 15;   // mem_req_ready low
  unsigned resp_stall_percent = 15;  // resp_ready low
  unsigned window = 20;              // cycles of waveform kept after a mismatch
  // Verilator coverage of the RTL ("" none): at the end (also after a mismatch) the lanes' models'
  // coverage, merged into this one file (tb/coverage_data.h). Only in the build over the
  // coverage-instrumented RTL (library mmuvp_cosim_cov, executable mmuvp_cosim_coverage).
  std::string coverage;

  // Throws std::invalid_argument("<field>: <reason>").
  void validate() const;
};

struct CosimLane {
  arch::Mode mode = arch::Mode::kNative;
  std::string space;  // the stub machine, one line
  std::uint64_t compared = 0;          // responses compared
  std::uint64_t mismatches = 0;        // 0 or 1: a lane stops at its first
  std::uint64_t mem_refs = 0;          // references of the compared walks (each walker)
  std::uint64_t walk_cycles = 0;       // sum of the compared responses' cycles
  std::uint64_t context_switches = 0;  // register-block reprogrammings
  std::uint64_t invalidations = 0;     // inv-port invalidations racing with walks
  std::uint64_t escaped_frames = 0;    // frames in the escape filter
  std::uint64_t beyond_memory_roots = 0;  // episodes with CR3 / EPTP beyond the end of memory
  std::uint64_t trap_roots = 0;  // episodes with CR3 / EPTP in the trap region (random tables)
  std::uint64_t register_probes = 0;   // register writes whose RTL status was compared
  std::uint64_t mmio_invalidations = 0;  // INV_CMD writes (the invalidations above: inv port)
  std::uint64_t added_escapes = 0;     // random VMM-segment frames added to the escape filter
  std::array<std::uint64_t, 6> faults{};  // responses by arch::FaultKind
  std::string wave;                    // the lane's FST, if any
};

struct CosimResult {
  std::vector<CosimLane> lanes;
  std::uint64_t compared = 0;
  std::uint64_t mismatches = 0;
  std::uint64_t cycles = 0;  // clock cycles simulated
  double seconds = 0;        // host time of the simulation
  std::string report;        // the first mismatch, multi-line ("" if none)
};

// Builds the lanes, elaborates and runs to the end (or the first mismatch + window). SystemC
// elaborates once per process: call it once. Throws std::invalid_argument for a bad configuration
// and std::runtime_error for a machine the RTL cannot represent or a coverage file that cannot be
// written (checked before the run).
CosimResult run_cosim(const CosimConfig& config);

}  // namespace mmuvp::tb
