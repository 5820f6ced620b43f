// The memory system of the platform (SPEC §4): the sparse physical memory behind the data-cache
// model, reached through TLM-2.0 target sockets, one per requester: each core's data accesses,
// each core's page walker, and the firmware. The protocol is tlm/mem_attr.h's:
//   - data:     READ/WRITE of 1..kMaxDataBytes bytes at an hPA; timing only (values are not
//               stored); delay += the cache model's latency (one line: the line of the address).
//   - walker:   8-byte aligned READ, or WRITE with MemAttr::set_bits (an atomic OR; data_ptr gets
//               the value before it); delay += the cache model's latency as a walker access.
//   - firmware: 8-byte aligned READ/WRITE (set_bits honoured) straight to memory; no delay, no
//               cache state change.
// The socket a transaction arrives on says who made it; MemAttr (optional) only adds set_bits.
// Address beyond 2^phys_bits: TLM_ADDRESS_ERROR_RESPONSE. Bad length, streaming width or byte
// enables: the matching TLM error response. Every transaction is checked and counted per socket.
//
// transport_dbg on any socket reads or writes memory bytes with no delay and no cache or counter
// change (the checker and debuggers use it).
//
// DMI: no memory pointer is granted (get_direct_mem_ptr returns false): every walker and data
// access must pass the cache model to be timed, which is this module's purpose. What the platform
// has instead is a direct path for the data ports (direct_data(), used by Mmu::direct_access): the
// same access, counts and timing as a data b_transport, called without a payload. b_transport
// never waits, so it is cheap.
#pragma once
#include <systemc>
#include <tlm>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "arch/address.h"
#include "arch/sparse_memory.h"
#include "tlm/cache_hierarchy.h"
#include "tlm/mem_attr.h"

namespace mmuvp::tlm {

constexpr unsigned kMaxDataBytes = 4096;  // workloads::kMaxAccessBytes
constexpr unsigned kEntryBytes = 8;       // walker and firmware accesses

struct MemorySystemConfig {
  unsigned cores = 1;
  CacheConfig cache;
  unsigned phys_bits = arch::kDefaultMaxPhyAddr;  // memory spans [0, 2^phys_bits)
  sc_core::sc_time clock_period = sc_core::sc_time(1, sc_core::SC_NS);
  // Throws std::invalid_argument naming the field.
  void validate() const;
};

// Counters of one socket.
struct MemPortCounters {
  std::uint64_t reads = 0;
  std::uint64_t writes = 0;
  std::uint64_t set_bits = 0;      // of the writes, locked ORs
  std::uint64_t errors = 0;        // transactions answered with an error response
  std::uint64_t cycles = 0;        // latency annotated, in clock cycles
  std::uint64_t debug = 0;         // transport_dbg calls (not in the counts above)
  std::uint64_t transactions() const { return reads + writes; }
};

class MemorySystem : public sc_core::sc_module {
 public:
  using Socket = ::tlm::tlm_target_socket<>;

  // Throws std::invalid_argument for a bad configuration.
  MemorySystem(sc_core::sc_module_name name, const MemorySystemConfig& config);

  Socket& data_socket(unsigned core) { return *sockets_.at(port_index(Initiator::kData, core)); }
  Socket& walker_socket(unsigned core) {
    return *sockets_.at(port_index(Initiator::kWalker, core));
  }
  Socket& firmware_socket() { return *sockets_.back(); }

  arch::SparseMemory& memory() { return memory_; }
  const arch::SparseMemory& memory() const { return memory_; }
  CacheSystem& caches() { return caches_; }
  const CacheSystem& caches() const { return caches_; }
  const MemorySystemConfig& config() const { return config_; }

  const MemPortCounters& counters(Initiator who, unsigned core = 0) const {
    return counters_.at(port_index(who, core));
  }

  // The direct path of core `core`'s data port (the platform's DMI, Mmu::direct_access): a data
  // access of `len` bytes (1..kMaxDataBytes) at `pa` is counted, applied to the cache model and
  // timed (delay += its latency) exactly as the data socket's b_transport does it, and true is
  // returned; false, with nothing changed, if the bytes are not all below 2^phys_bits (the socket
  // then gives its error response).
  bool direct_data(unsigned core, std::uint64_t pa, unsigned len, bool write,
                   sc_core::sc_time& delay) {
    if (pa >= limit_ || limit_ - pa < len) return false;
    data_access(core, pa, write, delay);
    return true;
  }

 private:
  unsigned port_index(Initiator who, unsigned core) const {
    switch (who) {
      case Initiator::kData: return core;
      case Initiator::kWalker: return config_.cores + core;
      case Initiator::kFirmware: break;
    }
    return 2 * config_.cores;
  }
  // The forward interface of one socket: calls straight into the module with the port index
  // (no simple_target_socket layer on the per-access path).
  class Port final : public ::tlm::tlm_fw_transport_if<> {
   public:
    Port(MemorySystem& m, unsigned index)
        : m_(m),
          index_(index),
          who_(index < m.config_.cores       ? Initiator::kData
               : index < 2 * m.config_.cores ? Initiator::kWalker
                                             : Initiator::kFirmware) {}
    void b_transport(::tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) override {
      switch (who_) {
        case Initiator::kData:
          return m_.data_b_transport(index_, trans, delay);
        case Initiator::kWalker:
          return m_.walker_b_transport(index_, trans, delay);
        case Initiator::kFirmware:
          break;
      }
      m_.b_transport(index_, trans, delay);
    }
    ::tlm::tlm_sync_enum nb_transport_fw(::tlm::tlm_generic_payload& trans, ::tlm::tlm_phase&,
                                         sc_core::sc_time&) override;
    bool get_direct_mem_ptr(::tlm::tlm_generic_payload& trans, ::tlm::tlm_dmi& dmi) override;
    unsigned int transport_dbg(::tlm::tlm_generic_payload& trans) override {
      return m_.transport_dbg(index_, trans);
    }

   private:
    MemorySystem& m_;
    unsigned index_;
    Initiator who_;  // whose socket this is
  };

  void b_transport(unsigned port, ::tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  // A data port's b_transport, inline: a transaction of the data protocol goes straight to the
  // cache model, with the same counts, delay and response as b_transport() gives it; anything
  // else goes to b_transport() for its error response.
  void data_b_transport(unsigned p, ::tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    const unsigned len = trans.get_data_length();
    const std::uint64_t a = trans.get_address();
    const ::tlm::tlm_command cmd = trans.get_command();
    const bool write = cmd == ::tlm::TLM_WRITE_COMMAND;
    if ((write || cmd == ::tlm::TLM_READ_COMMAND) && trans.get_byte_enable_ptr() == nullptr &&
        trans.get_streaming_width() == len && len - 1u < kMaxDataBytes && a < limit_ &&
        limit_ - a >= len) {
      data_access(p, a, write, delay);
      trans.set_dmi_allowed(false);
      trans.set_response_status(::tlm::TLM_OK_RESPONSE);
      return;
    }
    b_transport(p, trans, delay);
  }
  // A legal data access on port p: counted, the cache model's access, its latency counted and
  // annotated. The L1D-hint hit is inline; the rest is out of line.
  void data_access(unsigned p, std::uint64_t pa, bool write, sc_core::sc_time& delay) {
    MemPortCounters& c = counters_[p];
    ++(write ? c.writes : c.reads);
    if (port_caches_[p]->hinted_l1d_hit(pa, write, Requester::kData)) {
      return charge(p, delay, CacheAccess{config_.cache.l1d.latency, CacheLevelId::kL1D});
    }
    data_past_hint(p, pa, write, delay);  // a tail call: the fast path stays small
  }
  // data_access() past the L1D hint: the cache model's full access.
  void data_past_hint(unsigned p, std::uint64_t pa, bool write, sc_core::sc_time& delay);
  // A walker port's b_transport: an entry READ (the common reference: every walk step) takes a
  // short path with the same value, counts, delay and response as b_transport() gives it;
  // anything else (set_bits WRITEs, errors) goes to b_transport(). Out of line, so that the data
  // ports' inline path keeps few registers.
  void walker_b_transport(unsigned p, ::tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  // The latency of an access port p made, which the cache model served as `r`: counted and
  // annotated.
  void charge(unsigned p, sc_core::sc_time& delay, const CacheAccess& r) {
    counters_[p].cycles += r.latency;
    delay += level_delay_[static_cast<unsigned>(r.level)];
  }
  // The end of a successful access on a core's port, which the cache model served as `r`: its
  // latency counted and annotated, and the OK response.
  void timed(unsigned p, ::tlm::tlm_generic_payload& trans, sc_core::sc_time& delay,
             const CacheAccess& r) {
    charge(p, delay, r);
    trans.set_dmi_allowed(false);
    trans.set_response_status(::tlm::TLM_OK_RESPONSE);
  }
  // The 8-byte entry at the aligned `pa` into `out` (zeros where memory was never written).
  void read_entry(std::uint64_t pa, unsigned char* out) {
    constexpr std::uint64_t kOffsetMask = 0xfff;  // SparseMemory's 4 KiB frames
    std::uint64_t v = 0;
    if (const std::uint8_t* f = frame(pa, false)) std::memcpy(&v, f + (pa & kOffsetMask), 8);
    std::memcpy(out, &v, sizeof v);
  }
  unsigned int transport_dbg(unsigned port, ::tlm::tlm_generic_payload& trans);
  // Checks the payload's shape for the socket's protocol; sets an error response and returns
  // false when it is wrong.
  bool check(unsigned port, ::tlm::tlm_generic_payload& trans) const;
  void entry_access(::tlm::tlm_generic_payload& trans, bool set_bits);
  // The host frame holding `pa` (nullptr: never written, reads as zeros). A direct-mapped cache
  // of frame pointers in front of the sparse memory's hash map: walks read entries scattered over
  // many page-table frames. SparseMemory never frees a frame, so a cached pointer stays valid.
  std::uint8_t* frame(std::uint64_t pa, bool for_write) {
    constexpr unsigned kFrameShift = 12;  // SparseMemory's 4 KiB frames
    const std::uint64_t fn = pa >> kFrameShift;
    const FrameSlot& slot = frame_cache_[fn & (kFrameCacheSize - 1)];
    if (slot.frame == fn) return slot.data;
    return frame_slow(pa, for_write);
  }
  // frame() past its cache: the sparse memory's map, and the cache filled.
  std::uint8_t* frame_slow(std::uint64_t pa, bool for_write);

  MemorySystemConfig config_;
  std::uint64_t limit_;  // 2^phys_bits
  std::array<sc_core::sc_time, kCacheLevelIds> level_delay_;  // latency of each level, as time
  arch::SparseMemory memory_;
  CacheSystem caches_;
  std::vector<std::unique_ptr<Port>> ports_;      // data[cores], walker[cores], firmware
  std::vector<std::unique_ptr<Socket>> sockets_;  // same order
  std::vector<MemPortCounters> counters_;         // same order
  std::vector<CacheHierarchy*> port_caches_;      // same order: the core's caches (firmware: none)
  static constexpr unsigned kFrameCacheSize = 4096;  // entries, a power of two
  struct FrameSlot {
    std::uint64_t frame = ~0ull;
    std::uint8_t* data = nullptr;
  };
  std::vector<FrameSlot> frame_cache_;
};

}  // namespace mmuvp::tlm
