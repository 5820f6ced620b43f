// The errors the firmware stub reports: one-line messages, each naming what was asked and why it
// could not be done. Callers (tests, the command line) print what() and stop.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

#include "arch/mmu_regs.h"

namespace mmuvp::stub {

// Any refused request of the guest OS or the VMM (bad arguments, overlapping mappings, ...).
class StubError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A physical-frame allocator could not satisfy a request.
class OutOfMemory : public StubError {
 public:
  using StubError::StubError;
};

// The MMU refused a register write (its STATUS code is kept for the caller).
class RegisterRefused : public StubError {
 public:
  RegisterRefused(const std::string& what, unsigned core, std::uint32_t offset,
                  arch::regs::RegStatus status)
      : StubError(what), core_(core), offset_(offset), status_(status) {}
  unsigned core() const { return core_; }
  std::uint32_t offset() const { return offset_; }
  arch::regs::RegStatus status() const { return status_; }

 private:
  unsigned core_;
  std::uint32_t offset_;
  arch::regs::RegStatus status_;
};

}  // namespace mmuvp::stub
