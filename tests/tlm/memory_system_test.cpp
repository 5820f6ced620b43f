// The memory system's protocol (tlm/mem_attr.h): reads, writes and locked ORs by the walker and
// the firmware, data accesses as timing only, error responses, side-effect-free debug transport,
// no DMI, and latencies from the cache model, counted per requester.
#include "tlm/memory_system.h"

#include <gtest/gtest.h>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "tests/tlm/sc_test_util.h"

namespace mmuvp::tlm {
namespace {

using testing::ThreadRunner;

// One initiator socket per port of a 2-core memory system.
struct Initiators : sc_core::sc_module {
  using Socket = tlm_utils::simple_initiator_socket<Initiators>;
  explicit Initiators(sc_core::sc_module_name n)
      : sc_module(n), data0("data0"), data1("data1"), walker0("walker0"), walker1("walker1"),
        firmware("firmware") {}
  Socket data0, data1, walker0, walker1, firmware;
};

struct Result {
  ::tlm::tlm_response_status status;
  std::uint64_t value;  // data after the transaction
  sc_core::sc_time delay;
};

Result transact(Initiators::Socket& s, ::tlm::tlm_command cmd, std::uint64_t addr,
                std::uint64_t value, bool set_bits = false, unsigned len = 8) {
  ::tlm::tlm_generic_payload t;
  MemAttr attr;
  attr.set_bits = set_bits;
  t.set_extension(&attr);
  unsigned char buf[64] = {};
  std::memcpy(buf, &value, sizeof value);
  t.set_command(cmd);
  t.set_address(addr);
  t.set_data_ptr(buf);
  t.set_data_length(len);
  t.set_streaming_width(len);
  t.set_response_status(::tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time d = sc_core::SC_ZERO_TIME;
  s->b_transport(t, d);
  t.clear_extension(&attr);
  std::uint64_t out = 0;
  std::memcpy(&out, buf, sizeof out);
  return {t.get_response_status(), out, d};
}

std::uint64_t debug_read(Initiators::Socket& s, std::uint64_t addr) {
  ::tlm::tlm_generic_payload t;
  std::uint64_t v = ~0ull;
  t.set_command(::tlm::TLM_READ_COMMAND);
  t.set_address(addr);
  t.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
  t.set_data_length(8);
  EXPECT_EQ(s->transport_dbg(t), 8u);
  return v;
}

struct Bench {
  Bench() : mem("mem", config()), init("init") {
    init.data0.bind(mem.data_socket(0));
    init.data1.bind(mem.data_socket(1));
    init.walker0.bind(mem.walker_socket(0));
    init.walker1.bind(mem.walker_socket(1));
    init.firmware.bind(mem.firmware_socket());
  }
  static MemorySystemConfig config() {
    MemorySystemConfig c;
    c.cores = 2;
    c.clock_period = sc_core::sc_time(500, sc_core::SC_PS);  // 2 GHz: delays are cycles x 0.5 ns
    return c;
  }
  sc_core::sc_time cycles(unsigned n) const { return n * sc_core::sc_time(500, sc_core::SC_PS); }
  MemorySystem mem;
  Initiators init;
};

void run(std::function<void()> body) {
  ThreadRunner t("test", std::move(body));
  sc_core::sc_start();
  EXPECT_TRUE(t.finished());
}

constexpr auto kRead = ::tlm::TLM_READ_COMMAND;
constexpr auto kWrite = ::tlm::TLM_WRITE_COMMAND;

TEST(MemorySystem, FirmwareReadsAndWritesMemoryWithoutDelayOrCaches) {
  ASSERT_TRUE(testing::fresh_kernel());
  Bench b;
  run([&] {
    const Result w = transact(b.init.firmware, kWrite, 0x10008, 0x1122334455667788ull);
    EXPECT_EQ(w.status, ::tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(w.delay, sc_core::SC_ZERO_TIME);
    const Result r = transact(b.init.firmware, kRead, 0x10008, 0);
    EXPECT_EQ(r.value, 0x1122334455667788ull);
    EXPECT_EQ(r.delay, sc_core::SC_ZERO_TIME);
    std::uint64_t v = 0;
    b.mem.memory().read64(0x10008, v);
    EXPECT_EQ(v, 0x1122334455667788ull);
    EXPECT_EQ(b.mem.caches().core(0).counters().accesses(Requester::kData), 0u);
    EXPECT_EQ(b.mem.caches().core(0).counters().accesses(Requester::kWalker), 0u);
    EXPECT_EQ(b.mem.counters(Initiator::kFirmware).reads, 1u);
    EXPECT_EQ(b.mem.counters(Initiator::kFirmware).writes, 1u);
  });
}

TEST(MemorySystem, WalkerSetBitsIsAnOrReturningTheOldValue) {
  ASSERT_TRUE(testing::fresh_kernel());
  Bench b;
  run([&] {
    b.mem.memory().write64(0x2000, 0x1003);
    const Result s = transact(b.init.walker0, kWrite, 0x2000, 0x60, /*set_bits=*/true);
    EXPECT_EQ(s.status, ::tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(s.value, 0x1003u);  // before the OR
    std::uint64_t v = 0;
    b.mem.memory().read64(0x2000, v);
    EXPECT_EQ(v, 0x1063u);
    // A plain walker write replaces the entry.
    transact(b.init.walker0, kWrite, 0x2000, 0x5);
    b.mem.memory().read64(0x2000, v);
    EXPECT_EQ(v, 0x5u);
    EXPECT_EQ(transact(b.init.walker0, kRead, 0x2000, 0).value, 0x5u);
    const MemPortCounters& c = b.mem.counters(Initiator::kWalker, 0);
    EXPECT_EQ(c.writes, 2u);
    EXPECT_EQ(c.set_bits, 1u);
    EXPECT_EQ(c.reads, 1u);
    EXPECT_EQ(b.mem.counters(Initiator::kWalker, 1).transactions(), 0u);
  });
}

TEST(MemorySystem, LatencyIsTheCacheModelsPerRequesterAndCore) {
  ASSERT_TRUE(testing::fresh_kernel());
  Bench b;
  run([&] {
    const CacheConfig cc;
    // Walker of core 0: DRAM, then the line is in its L1D.
    EXPECT_EQ(transact(b.init.walker0, kRead, 0x40000, 0).delay, b.cycles(cc.dram_latency));
    EXPECT_EQ(transact(b.init.walker0, kRead, 0x40008, 0).delay, b.cycles(cc.l1d.latency));
    // Core 0's data accesses share that L1D.
    EXPECT_EQ(transact(b.init.data0, kRead, 0x40010, 0, false, 4).delay, b.cycles(cc.l1d.latency));
    // Core 1 has private L1D/L2 but shares the LLC.
    EXPECT_EQ(transact(b.init.data1, kWrite, 0x40000, 0, false, 16).delay,
              b.cycles(cc.llc.latency));
    const CoreCacheCounters& c0 = b.mem.caches().core(0).counters();
    EXPECT_EQ(c0.accesses(Requester::kWalker), 2u);
    EXPECT_EQ(c0.accesses(Requester::kData), 1u);
    EXPECT_EQ(b.mem.counters(Initiator::kWalker, 0).cycles, cc.dram_latency + cc.l1d.latency);
    EXPECT_EQ(b.mem.counters(Initiator::kData, 1).cycles, cc.llc.latency);
    // Data accesses are timing only: memory is not written.
    EXPECT_EQ(b.mem.memory().frames_allocated(), 0u);
  });
}

TEST(MemorySystem, BadTransactionsGetTheMatchingErrorResponse) {
  ASSERT_TRUE(testing::fresh_kernel());
  Bench b;
  run([&] {
    const std::uint64_t top = 1ull << arch::kDefaultMaxPhyAddr;
    EXPECT_EQ(transact(b.init.walker0, kRead, top, 0).status, ::tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(transact(b.init.data0, kRead, top - 4, 0, false, 8).status,
              ::tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(transact(b.init.walker0, kRead, 0x1004, 0).status, ::tlm::TLM_BURST_ERROR_RESPONSE);
    EXPECT_EQ(transact(b.init.firmware, kRead, 0x1000, 0, false, 4).status,
              ::tlm::TLM_BURST_ERROR_RESPONSE);
    EXPECT_EQ(transact(b.init.data0, kRead, 0x1000, 0, false, 0).status,
              ::tlm::TLM_BURST_ERROR_RESPONSE);
    EXPECT_EQ(transact(b.init.data0, ::tlm::TLM_IGNORE_COMMAND, 0x1000, 0).status,
              ::tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(b.mem.counters(Initiator::kWalker, 0).errors, 2u);
    EXPECT_EQ(b.mem.counters(Initiator::kWalker, 0).transactions(), 0u);
    EXPECT_EQ(b.mem.counters(Initiator::kData, 0).errors, 3u);
    EXPECT_EQ(b.mem.counters(Initiator::kFirmware).errors, 1u);
    EXPECT_EQ(b.mem.caches().core(0).counters().accesses(Requester::kWalker), 0u);
  });
}

TEST(MemorySystem, DebugTransportHasNoSideEffectsAndNoDmiIsOffered) {
  ASSERT_TRUE(testing::fresh_kernel());
  Bench b;
  run([&] {
    b.mem.memory().write64(0x3000, 0xabcdef);
    EXPECT_EQ(debug_read(b.init.walker0, 0x3000), 0xabcdefu);
    EXPECT_EQ(debug_read(b.init.data1, 0x3000), 0xabcdefu);
    EXPECT_EQ(b.mem.caches().core(0).counters().accesses(Requester::kWalker), 0u);
    EXPECT_EQ(b.mem.caches().core(1).counters().accesses(Requester::kData), 0u);
    EXPECT_EQ(b.mem.counters(Initiator::kWalker, 0).transactions(), 0u);
    EXPECT_EQ(b.mem.counters(Initiator::kWalker, 0).debug, 1u);
    // The line was not brought in: the first timed access still goes to DRAM.
    EXPECT_EQ(transact(b.init.walker0, kRead, 0x3000, 0).delay,
              b.cycles(CacheConfig{}.dram_latency));
    ::tlm::tlm_generic_payload t;
    t.set_address(0x3000);
    t.set_command(kRead);
    ::tlm::tlm_dmi dmi;
    EXPECT_FALSE(b.init.walker0->get_direct_mem_ptr(t, dmi));
    EXPECT_FALSE(dmi.is_read_allowed());
  });
}

TEST(MemorySystem, RejectsABadConfiguration) {
  MemorySystemConfig c;
  c.cores = 0;
  EXPECT_THROW(MemorySystem("m0", c), std::invalid_argument);
  c.cores = 1;
  c.phys_bits = 70;
  EXPECT_THROW(MemorySystem("m1", c), std::invalid_argument);
}

}  // namespace
}  // namespace mmuvp::tlm
