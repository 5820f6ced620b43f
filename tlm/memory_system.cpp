#include "tlm/memory_system.h"

#include <fmt/format.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace mmuvp::tlm {

using ::tlm::tlm_command;
using ::tlm::tlm_generic_payload;
using ::tlm::tlm_response_status;

void MemorySystemConfig::validate() const {
  if (cores == 0 || cores > CacheSystem::kMaxCores)
    throw std::invalid_argument(
        fmt::format("MemorySystemConfig.cores: {} not in 1..{}", cores, CacheSystem::kMaxCores));
  if (phys_bits < 32 || phys_bits > 63)
    throw std::invalid_argument(
        fmt::format("MemorySystemConfig.phys_bits: {} not in 32..63", phys_bits));
  if (clock_period == sc_core::SC_ZERO_TIME)
    throw std::invalid_argument("MemorySystemConfig.clock_period: must be positive");
  cache.validate();
}

namespace {
const MemorySystemConfig& validated(const MemorySystemConfig& c) {
  c.validate();
  return c;
}
}  // namespace

MemorySystem::MemorySystem(sc_core::sc_module_name name, const MemorySystemConfig& config)
    : sc_module(name),
      config_(validated(config)),
      limit_(1ull << config.phys_bits),
      caches_(config.cache, config.cores),
      frame_cache_(kFrameCacheSize) {
  const std::uint32_t latency[kCacheLevelIds] = {config_.cache.l1d.latency, config_.cache.l2.latency,
                                                 config_.cache.llc.latency,
                                                 config_.cache.dram_latency};
  for (unsigned l = 0; l < kCacheLevelIds; ++l)
    level_delay_[l] = sc_core::sc_time::from_value(latency[l] * config_.clock_period.value());
  const unsigned ports = 2 * config_.cores + 1;
  sockets_.reserve(ports);
  ports_.reserve(ports);
  counters_.resize(ports);
  port_caches_.resize(ports, nullptr);
  for (unsigned c = 0; c < config_.cores; ++c) {
    port_caches_[port_index(Initiator::kData, c)] = &caches_.core(c);
    port_caches_[port_index(Initiator::kWalker, c)] = &caches_.core(c);
  }
  for (unsigned p = 0; p < ports; ++p) {
    std::string n = p < config_.cores       ? fmt::format("data_{}", p)
                    : p < 2 * config_.cores ? fmt::format("walker_{}", p - config_.cores)
                                            : std::string("firmware");
    ports_.push_back(std::make_unique<Port>(*this, p));
    sockets_.push_back(std::make_unique<Socket>(n.c_str()));
    sockets_.back()->bind(*ports_.back());
  }
}

// Out of line on purpose (the data ports' inline path must not absorb these): GCC would inline them
// into the Port in this translation unit.
[[gnu::noinline]] void MemorySystem::walker_b_transport(unsigned p, tlm_generic_payload& trans,
                                                        sc_core::sc_time& delay) {
  const std::uint64_t a = trans.get_address();
  unsigned char* data = trans.get_data_ptr();
  if (trans.get_command() == ::tlm::TLM_READ_COMMAND && trans.get_data_length() == kEntryBytes &&
      trans.get_streaming_width() == kEntryBytes && trans.get_byte_enable_ptr() == nullptr &&
      (a & (kEntryBytes - 1)) == 0 && a < limit_ && limit_ - a >= kEntryBytes &&
      data != nullptr) {
    ++counters_[p].reads;
    read_entry(a, data);
    return timed(p, trans, delay, port_caches_[p]->access(a, false, Requester::kWalker));
  }
  b_transport(p, trans, delay);
}

[[gnu::noinline]] void MemorySystem::data_past_hint(unsigned p, std::uint64_t pa, bool write,
                                                    sc_core::sc_time& delay) {
  charge(p, delay, port_caches_[p]->access_past_hint(pa, write, Requester::kData));
}

bool MemorySystem::check(unsigned port, tlm_generic_payload& trans) const {
  const tlm_command cmd = trans.get_command();
  const unsigned len = trans.get_data_length();
  const bool data = port < config_.cores;
  tlm_response_status status = ::tlm::TLM_OK_RESPONSE;
  if (cmd != ::tlm::TLM_READ_COMMAND && cmd != ::tlm::TLM_WRITE_COMMAND) {
    status = ::tlm::TLM_COMMAND_ERROR_RESPONSE;
  } else if (trans.get_byte_enable_ptr() != nullptr) {
    status = ::tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
  } else if (trans.get_streaming_width() != len) {
    status = ::tlm::TLM_BURST_ERROR_RESPONSE;
  } else if (data ? (len == 0 || len > kMaxDataBytes)
                  : (len != kEntryBytes || (trans.get_address() & (kEntryBytes - 1)) != 0)) {
    status = ::tlm::TLM_BURST_ERROR_RESPONSE;
  } else if (trans.get_address() >= limit_ || limit_ - trans.get_address() < len) {
    status = ::tlm::TLM_ADDRESS_ERROR_RESPONSE;
  } else if (!data && trans.get_data_ptr() == nullptr) {
    status = ::tlm::TLM_GENERIC_ERROR_RESPONSE;
  }
  if (status == ::tlm::TLM_OK_RESPONSE) return true;
  trans.set_response_status(status);
  return false;
}

std::uint8_t* MemorySystem::frame_slow(std::uint64_t pa, bool for_write) {
  constexpr unsigned kFrameShift = 12;  // SparseMemory's 4 KiB frames
  const std::uint64_t fn = pa >> kFrameShift;
  std::uint8_t* f = for_write ? memory_.frame_for_write(pa) : memory_.frame_if_present(pa);
  if (f != nullptr) frame_cache_[fn & (kFrameCacheSize - 1)] = FrameSlot{fn, f};
  return f;
}

void MemorySystem::entry_access(tlm_generic_payload& trans, bool set_bits) {
  // 8-byte aligned (check() made sure): the entry lies in one frame.
  constexpr std::uint64_t kOffsetMask = 0xfff;
  const std::uint64_t pa = trans.get_address();
  unsigned char* p = trans.get_data_ptr();
  std::uint64_t v = 0;
  if (trans.is_read()) {
    read_entry(pa, p);
  } else if (set_bits) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, p, sizeof bits);
    if (const std::uint8_t* f = frame(pa, false)) std::memcpy(&v, f + (pa & kOffsetMask), 8);
    if ((v | bits) != v) {
      const std::uint64_t n = v | bits;
      std::memcpy(frame(pa, true) + (pa & kOffsetMask), &n, 8);
    }
    std::memcpy(p, &v, sizeof v);  // the value before the OR
  } else {
    std::memcpy(&v, p, sizeof v);
    std::memcpy(frame(pa, true) + (pa & kOffsetMask), &v, 8);
  }
}

void MemorySystem::b_transport(unsigned p, tlm_generic_payload& trans, sc_core::sc_time& delay) {
  MemPortCounters& c = counters_[p];
  if (!check(p, trans)) {
    ++c.errors;
    return;
  }
  const bool write = trans.is_write();
  const bool data = p < config_.cores;
  // Only walker and firmware writes may be locked ORs (data accesses store no values).
  const MemAttr* attr = write && !data ? trans.get_extension<MemAttr>() : nullptr;
  const bool set_bits = attr != nullptr && attr->set_bits;
  ++(write ? c.writes : c.reads);
  c.set_bits += set_bits ? 1 : 0;

  if (!data) entry_access(trans, set_bits);
  if (port_caches_[p] != nullptr)
    return timed(p, trans, delay,
                 port_caches_[p]->access(trans.get_address(), write,
                                         data ? Requester::kData : Requester::kWalker));
  trans.set_dmi_allowed(false);
  trans.set_response_status(::tlm::TLM_OK_RESPONSE);
}

unsigned int MemorySystem::transport_dbg(unsigned port, tlm_generic_payload& trans) {
  ++counters_[port].debug;
  const std::uint64_t pa = trans.get_address();
  const unsigned len = trans.get_data_length();
  if (pa >= limit_ || trans.get_data_ptr() == nullptr) return 0;
  const unsigned n = static_cast<unsigned>(std::min<std::uint64_t>(len, limit_ - pa));
  if (trans.is_read()) {
    memory_.read(pa, trans.get_data_ptr(), n);
  } else if (trans.is_write()) {
    memory_.write(pa, trans.get_data_ptr(), n);
  } else {
    return 0;
  }
  trans.set_response_status(::tlm::TLM_OK_RESPONSE);
  return n;
}

::tlm::tlm_sync_enum MemorySystem::Port::nb_transport_fw(tlm_generic_payload& trans,
                                                         ::tlm::tlm_phase&, sc_core::sc_time&) {
  // Loosely timed only: the approximately-timed protocol is not supported.
  trans.set_response_status(::tlm::TLM_COMMAND_ERROR_RESPONSE);
  return ::tlm::TLM_COMPLETED;
}

bool MemorySystem::Port::get_direct_mem_ptr(tlm_generic_payload& trans, ::tlm::tlm_dmi& dmi) {
  // No DMI (see the header): deny the whole address space so the initiator stops asking.
  trans.set_dmi_allowed(false);
  dmi.set_start_address(0);
  dmi.set_end_address(~0ull);
  dmi.allow_none();
  return false;
}

}  // namespace mmuvp::tlm
