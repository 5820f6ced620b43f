// A C++ driver of the Verilated RTL walker (rtl/walker_top.sv, class Vwalker_top) for the tests:
// it clocks the model, drives the request, register and invalidation ports, serves the memory
// port from an arch::PhysMem (a seeded or fixed latency, optional back-pressure on the request
// and response ports, responses in order of acceptance, at most one per cycle), records every
// reference a slot makes with the value it saw, and turns each response into the
// tlm::WalkRequest/WalkResponse pair the golden checker (tlm/translation_checker.h) compares.
#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "arch/mmu_regs.h"
#include "arch/phys_mem.h"
#include "arch/register_block.h"
#include "arch/translation.h"
#include "tlm/walk_types.h"

class Vwalker_top;
class VerilatedContext;
class VerilatedFstC;

namespace mmuvp::rtltest {

// Physical memory that ends at `limit`: references beyond it are memory errors.
class EndedMemory final : public arch::PhysMem {
 public:
  EndedMemory(arch::PhysMem& inner, std::uint64_t limit) : inner_(inner), limit_(limit) {}
  bool read64(std::uint64_t pa, std::uint64_t& v) override {
    return pa < limit_ && inner_.read64(pa, v);
  }
  bool write64(std::uint64_t pa, std::uint64_t v) override {
    return pa < limit_ && inner_.write64(pa, v);
  }

 private:
  arch::PhysMem& inner_;
  std::uint64_t limit_;
};

// Port behaviour of the testbench side.
struct PortTiming {
  unsigned min_latency = 1;       // memory latency L in cycles (>= 1)
  unsigned max_latency = 1;       // a seeded uniform draw in [min, max] per request
  unsigned mem_stall_percent = 0;  // cycles with mem_req_ready low
  unsigned resp_stall_percent = 0; // cycles with resp_ready low
  std::uint64_t seed = 1;
};

// One finished walk as the testbench saw it.
struct Completed {
  tlm::WalkRequest request;
  tlm::WalkResponse response;
};

class RtlWalker {
 public:
  // `memory`: what the memory port serves (A/D updates are applied to it). `regs`: the C++
  // register block whose context describes each request (kept equal to the RTL's by writing
  // both through write_reg). `fst_path`: non-empty to trace into an FST file.
  RtlWalker(arch::PhysMem& memory, arch::RegisterBlock& regs, const PortTiming& timing,
            const std::string& fst_path = "");
  ~RtlWalker();
  RtlWalker(const RtlWalker&) = delete;
  RtlWalker& operator=(const RtlWalker&) = delete;

  // MMIO through the RTL's register port (one cycle) and the same write to the C++ block.
  // Returns the RTL's status; `cpp_status` gets the C++ block's.
  arch::regs::RegStatus write_reg(std::uint32_t offset, std::uint64_t value,
                                  arch::regs::RegStatus* cpp_status = nullptr);
  std::uint64_t read_reg(std::uint32_t offset);

  // Queues a request; it is presented on req_* until accepted.
  void submit(const arch::Access& access);
  // Drives an invalidation on inv_* in the next cycle.
  void invalidate(const arch::Invalidation& inv);

  // Runs until every submitted request has been answered (or `max_cycles` pass: returns false).
  bool run_until_idle(std::uint64_t max_cycles = 100000);
  // One clock cycle.
  void step();

  std::vector<Completed>& completed() { return done_; }
  std::uint64_t cycle() const { return cycle_; }
  std::uint64_t mem_requests() const { return mem_requests_; }
  unsigned slots() const;

 private:
  struct PendingMem {
    std::uint64_t due = 0;  // cycle in which the response is driven (sampled at its end)
    unsigned tag = 0;
    std::uint64_t data = 0;
    bool err = false;
  };
  struct SlotTrace {
    bool busy = false;
    tlm::WalkRequest request;
    std::uint64_t accepted = 0;
    arch::FixedList<arch::MemRef, arch::kMaxRefs> refs;
    arch::FixedList<std::uint64_t, arch::kMaxRefs> values;
  };

  void eval_low();
  tlm::WalkResponse read_response(SlotTrace& t);

  arch::PhysMem& memory_;
  arch::RegisterBlock& regs_;
  PortTiming timing_;
  std::mt19937_64 rng_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vwalker_top> top_;
  std::unique_ptr<VerilatedFstC> fst_;
  std::uint64_t cycle_ = 0;
  std::uint64_t next_id_ = 0;
  std::uint64_t mem_requests_ = 0;
  std::deque<tlm::WalkRequest> queue_;
  std::deque<PendingMem> mem_;
  std::vector<SlotTrace> slots_;
  std::vector<Completed> done_;
  bool inv_pending_ = false;
  arch::Invalidation inv_;
};

}  // namespace mmuvp::rtltest
