// The shared vocabulary of the page-walk engine of docs/walker-fsm.md: the states of one walk slot
// (the same names and numbers in the cycle-level SystemC walker, the RTL walker and waveforms) and
// the encodings of the port fields. Plain C++17: tools, the co-simulation report and the waveform
// filter use it without SystemC.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace mmuvp::tlm {

// One state per cycle (docs/walker-fsm.md, "States of one slot"). The numeric values are the
// state encoding in waveforms (the RTL's walk_state_e uses the same values).
enum class WState : std::uint8_t {
  W_IDLE = 0,
  W_SEG = 1,        // canonical check, guest-segment compare
  W_PWC = 2,        // paging-structure cache lookup
  W_HSEG = 3,       // VMM segment + escape filter + 48-bit check for the gPA being translated
  W_NTLB = 4,       // nested TLB lookup
  W_EREQ = 5,       // request an EPT entry (READ)
  W_EWAIT = 6,      // wait for it
  W_ECHK = 7,       // decode it
  W_EAD_REQ = 8,    // request the EPT A/D update (SET_BITS)
  W_EAD_WAIT = 9,   // wait for it
  W_GREQ = 10,      // request a guest entry (READ)
  W_GWAIT = 11,     // wait for it
  W_GCHK = 12,      // decode it
  W_GAD_REQ = 13,   // request the guest A/D update (SET_BITS)
  W_GAD_WAIT = 14,  // wait for it
  W_DONE = 15,      // offer the response (success)
  W_FAULT = 16,     // offer the response (fault)
};
constexpr unsigned kWStateCount = 17;

inline constexpr std::array<std::string_view, kWStateCount> kWStateNames = {
    "W_IDLE",     "W_SEG",     "W_PWC",     "W_HSEG",    "W_NTLB",     "W_EREQ",
    "W_EWAIT",    "W_ECHK",    "W_EAD_REQ", "W_EAD_WAIT", "W_GREQ",    "W_GWAIT",
    "W_GCHK",     "W_GAD_REQ", "W_GAD_WAIT", "W_DONE",   "W_FAULT"};

constexpr std::string_view to_string(WState s) {
  const auto i = static_cast<unsigned>(s);
  return i < kWStateCount ? kWStateNames[i] : std::string_view("W_?");
}

// A slot in this state drives (or competes for) the memory port.
constexpr bool is_mem_request(WState s) {
  return s == WState::W_EREQ || s == WState::W_EAD_REQ || s == WState::W_GREQ ||
         s == WState::W_GAD_REQ;
}
// A slot in this state waits for a memory response.
constexpr bool is_mem_wait(WState s) {
  return s == WState::W_EWAIT || s == WState::W_EAD_WAIT || s == WState::W_GWAIT ||
         s == WState::W_GAD_WAIT;
}
// A slot in this state offers a response.
constexpr bool is_final(WState s) { return s == WState::W_DONE || s == WState::W_FAULT; }

// A GTKWave "translate filter file" (one "<hex value> <name>" line per state): load it on a traced
// slot-state signal (Data Format > Translate Filter File) to see the state names.
inline std::string gtkwave_state_filter() {
  std::string s;
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned i = 0; i < kWStateCount; ++i) {
    if (i >= 16) s += kHex[(i >> 4) & 0xf];
    s += kHex[i & 0xf];
    s += ' ';
    s += kWStateNames[i];
    s += '\n';
  }
  return s;
}

// ---- port field encodings (docs/walker-fsm.md, "Ports") --------------------------------------

// mem_req_op
enum class MemOp : std::uint8_t { kRead = 0, kSetBits = 1 };
// req_type: arch::AccessType's values (0 read, 1 write, 2 execute).
// resp size / guest_size / host_size: arch::PageSize's values (0 4K, 1 2M, 2 1G).
// resp_perms[3:0] = {r, w, x, u} (SystemVerilog concatenation order: r is bit 3).
constexpr std::uint32_t kPermR = 1u << 3;
constexpr std::uint32_t kPermW = 1u << 2;
constexpr std::uint32_t kPermX = 1u << 1;
constexpr std::uint32_t kPermU = 1u << 0;
// mem_req_target: arch::RefTarget's values (0 guest entry, 1 EPT entry).

}  // namespace mmuvp::tlm
