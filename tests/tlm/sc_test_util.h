// Helpers for the SystemC tests of the platform modules: run a test body in an SC_THREAD (the
// firmware bus and the sockets need a thread and a finished elaboration), and an initiator that
// plays a core (one access per call, returning the MMU's TranslateAttr).
#pragma once
#include <gtest/gtest.h>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <exception>
#include <functional>
#include <string>

#include "tlm/mem_attr.h"
#include "tlm/translate_attr.h"

namespace mmuvp::tlm::testing {

// Fails the test unless it runs in a fresh SystemC process (every case elaborates once).
inline bool fresh_kernel() {
  return sc_core::sc_get_status() == sc_core::SC_ELABORATION;
}

// Runs `body` in a thread process at time 0; exceptions become test failures.
class ThreadRunner : public sc_core::sc_module {
 public:
  ThreadRunner(sc_core::sc_module_name name, std::function<void()> body)
      : sc_module(name), body_(std::move(body)) {
    SC_HAS_PROCESS(ThreadRunner);
    SC_THREAD(run);
  }
  bool finished() const { return finished_; }

 private:
  void run() {
    try {
      body_();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "exception in the test thread: " << e.what();
    }
    finished_ = true;
  }
  std::function<void()> body_;
  bool finished_ = false;
};

// A core stand-in: one blocking access through the MMU's CPU socket per call.
class TestCpu : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<TestCpu> socket;

  explicit TestCpu(sc_core::sc_module_name name) : sc_module(name), socket("socket") {
    attr_ = new TranslateAttr;
    trans_.set_extension(attr_);
    auto* mem = new MemAttr;
    mem->who = Initiator::kData;
    trans_.set_extension(mem);
    trans_.set_data_ptr(buf_);
    trans_.set_byte_enable_ptr(nullptr);
  }

  // Returns the outcome; `delay` (if given) receives the annotated time of the access.
  TranslateAttr access(std::uint64_t va, arch::AccessType type, unsigned size = 8,
                       bool user = true, sc_core::sc_time* delay = nullptr) {
    attr_->type = type;
    attr_->user = user;
    trans_.set_command(type == arch::AccessType::kWrite ? ::tlm::TLM_WRITE_COMMAND
                                                        : ::tlm::TLM_READ_COMMAND);
    trans_.set_address(va);
    trans_.set_data_length(size);
    trans_.set_streaming_width(size);
    trans_.set_response_status(::tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    socket->b_transport(trans_, d);
    EXPECT_EQ(trans_.get_response_status(), ::tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(trans_.get_address(), va) << "the MMU must restore the gVA";
    if (delay != nullptr) *delay = d;
    return *attr_;
  }

 private:
  ::tlm::tlm_generic_payload trans_;
  TranslateAttr* attr_ = nullptr;
  unsigned char buf_[64] = {};
};

}  // namespace mmuvp::tlm::testing
