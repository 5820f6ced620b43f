#include "tlm/mem_port_bridge.h"

#include <cstring>
#include <stdexcept>
#include <string>

namespace mmuvp::tlm {

namespace {

constexpr unsigned kMaxStallPercent = 95;    // 100 would never accept: a hang, not a test
constexpr unsigned kMaxExtraLatency = 1u << 20;
constexpr std::size_t kPendingReserve = 64;  // more than any walker's slot count

}  // namespace

void MemPortBridgeConfig::validate() const {
  if (clock_period == sc_core::SC_ZERO_TIME)
    throw std::invalid_argument("MemPortBridgeConfig.clock_period: must be positive");
  if (stall_percent > kMaxStallPercent)
    throw std::invalid_argument("MemPortBridgeConfig.stall_percent: " +
                                std::to_string(stall_percent) + " is above " +
                                std::to_string(kMaxStallPercent));
  if (extra_latency_max > kMaxExtraLatency)
    throw std::invalid_argument("MemPortBridgeConfig.extra_latency_max: " +
                                std::to_string(extra_latency_max) + " is above " +
                                std::to_string(kMaxExtraLatency));
}

MemPortBridge::MemPortBridge(sc_core::sc_module_name name, const MemPortBridgeConfig& config)
    : sc_module(name),
      clk("clk"),
      mem_req_valid("mem_req_valid"),
      mem_req_ready("mem_req_ready"),
      mem_req_tag("mem_req_tag"),
      mem_req_addr("mem_req_addr"),
      mem_req_op("mem_req_op"),
      mem_req_data("mem_req_data"),
      mem_resp_valid("mem_resp_valid"),
      mem_resp_tag("mem_resp_tag"),
      mem_resp_data("mem_resp_data"),
      mem_resp_err("mem_resp_err"),
      socket("socket"),
      config_((config.validate(), config)),
      rng_(config.seed) {
  pending_.reserve(kPendingReserve);
  attr_.who = Initiator::kWalker;
  attr_.core = config_.core;
  trans_.set_extension(&attr_);
  trans_.set_data_ptr(buffer_);
  trans_.set_data_length(sizeof buffer_);
  trans_.set_streaming_width(sizeof buffer_);
  trans_.set_byte_enable_ptr(nullptr);
  mem_req_ready.initialize(ready_for(0));
  mem_resp_valid.initialize(false);
  mem_resp_tag.initialize(0);
  mem_resp_data.initialize(0);
  mem_resp_err.initialize(false);
  SC_METHOD(on_clock);
  sensitive << clk.pos();
  dont_initialize();
}

MemPortBridge::~MemPortBridge() {
  trans_.clear_extension(&attr_);  // owned here, not by the payload
}

bool MemPortBridge::ready_for(std::uint64_t edge) {
  bool ready = true;
  if (config_.ready_pattern) {
    ready = config_.ready_pattern(edge);
  } else if (config_.stall_percent != 0) {
    ready = rng_() % 100 >= config_.stall_percent;
  }
  stall_cycles_ += ready ? 0 : 1;
  return ready;
}

void MemPortBridge::serve(std::uint32_t tag, std::uint64_t addr, MemOp op, std::uint64_t data) {
  attr_.set_bits = op == MemOp::kSetBits;
  trans_.set_command(op == MemOp::kSetBits ? ::tlm::TLM_WRITE_COMMAND : ::tlm::TLM_READ_COMMAND);
  trans_.set_address(addr);
  trans_.set_dmi_allowed(false);
  trans_.set_response_status(::tlm::TLM_INCOMPLETE_RESPONSE);
  std::memcpy(buffer_, &data, sizeof data);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  socket->b_transport(trans_, delay);
  const bool err = trans_.get_response_status() != ::tlm::TLM_OK_RESPONSE;
  std::uint64_t value = 0;
  if (!err) std::memcpy(&value, buffer_, sizeof value);

  const std::uint64_t period = config_.clock_period.value();
  std::uint64_t latency = (delay.value() + period - 1) / period;
  if (latency == 0) latency = 1;
  if (config_.extra_latency_max != 0) latency += rng_() % (config_.extra_latency_max + 1ull);

  Pending p;
  p.due = edge_ + latency;
  p.seq = seq_++;
  p.tag = tag;
  p.value = value;
  p.err = err;
  if (config_.record) {
    p.log_index = log_.size();
    log_.push_back(MemPortEvent{edge_, 0, tag, addr, op, data, value, err,
                                static_cast<unsigned>(latency)});
  }
  pending_.push_back(p);
  ++accepted_;
  errors_ += err ? 1 : 0;
}

void MemPortBridge::on_clock() {
  // Inputs as they were in the cycle that this edge ends.
  if (mem_req_valid.read() && mem_req_ready.read()) {
    serve(mem_req_tag.read(), mem_req_addr.read(), static_cast<MemOp>(mem_req_op.read() & 1u),
          mem_req_data.read());
  }
  // The response the walker samples at the next edge: the first accepted among those due.
  const std::uint64_t next = edge_ + 1;
  std::size_t pick = pending_.size();
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    if (pending_[i].due <= next && (pick == pending_.size() || pending_[i].seq < pending_[pick].seq))
      pick = i;
  }
  if (pick != pending_.size()) {
    const Pending& p = pending_[pick];
    mem_resp_valid.write(true);
    mem_resp_tag.write(p.tag);
    mem_resp_data.write(p.value);
    mem_resp_err.write(p.err);
    if (config_.record) log_[p.log_index].response_edge = next;
    pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(pick));
  } else {
    mem_resp_valid.write(false);
  }
  mem_req_ready.write(ready_for(next));
  edge_ = next;
}

void MemPortSignals::trace(sc_core::sc_trace_file* tf, const std::string& prefix) const {
  if (tf == nullptr) return;
  sc_core::sc_trace(tf, req_valid, prefix + ".mem_req_valid");
  sc_core::sc_trace(tf, req_ready, prefix + ".mem_req_ready");
  sc_core::sc_trace(tf, req_tag, prefix + ".mem_req_tag");
  sc_core::sc_trace(tf, req_addr, prefix + ".mem_req_addr");
  sc_core::sc_trace(tf, req_op, prefix + ".mem_req_op");
  sc_core::sc_trace(tf, req_data, prefix + ".mem_req_data");
  sc_core::sc_trace(tf, resp_valid, prefix + ".mem_resp_valid");
  sc_core::sc_trace(tf, resp_tag, prefix + ".mem_resp_tag");
  sc_core::sc_trace(tf, resp_data, prefix + ".mem_resp_data");
  sc_core::sc_trace(tf, resp_err, prefix + ".mem_resp_err");
}

}  // namespace mmuvp::tlm
