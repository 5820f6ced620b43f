// One core's MMU (SPEC §4) as a SystemC module: the register block behind an MMIO target socket,
// the L1/L2 TLBs (tlm/tlb.h), and a page walker (tlm/walker_port.h: LT or cycle level) that
// serves the L2 misses. Its CPU target socket takes the core's accesses (tlm/translate_attr.h),
// translates them and forwards each translated access to the memory system on `data_socket`.
//
// Translation (all times in platform clock cycles, annotated into the caller's delay):
//   - L1 TLB hit that permits the access: 0 extra cycles.
//   - L1 miss: the L2 TLB is looked up (l2_tlb_latency cycles); a permitting hit refills L1.
//   - L2 miss: the walker runs. Its first cycle (segment compare, escape filter) overlaps the L2
//     lookup (SPEC §4), so the walk is issued at l2_tlb_latency - 1 and the translation takes
//     l2_tlb_latency - 1 + the walker's time (fidelity-agnostic: measured on the delay).
//   - A TLB entry that does not permit the access (user access to a supervisor page, fetch from
//     a no-execute page, write through an entry without `dirty`: tlb.h's dirty rule) is not
//     used: the walker runs and the golden rules decide (refill or fault).
//   - A non-canonical gVA never looks up the TLBs (they index by 48 bits): the walker faults it.
// A successful walk fills the TLBs with the page of the result's effective size (hPA and gPA
// bases, global, dirty, permissions). A fault is recorded in the register block (FAULT_INFO...)
// and returned in TranslateAttr::fault; no data access is made.
// Register-block invalidations (INV_CMD, segment/filter/mode changes) reach the TLBs and the
// walker's caches at the time of the MMIO write.
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <functional>

#include "arch/register_block.h"
#include "tlm/memory_system.h"
#include "tlm/tlb.h"
#include "tlm/translate_attr.h"
#include "tlm/walk_types.h"
#include "tlm/walker_port.h"

namespace mmuvp::tlm {

struct MmuConfig {
  unsigned core = 0;
  TlbConfig tlb;
  unsigned l2_tlb_latency = 7;
  arch::MmuParams params;
  sc_core::sc_time clock_period = sc_core::sc_time(1, sc_core::SC_NS);
};

struct MmuCounters {
  std::uint64_t translations = 0;   // accesses translated or faulted
  std::uint64_t l1_hits = 0;
  std::uint64_t l2_hits = 0;
  std::uint64_t walks = 0;          // walker requests
  std::uint64_t faults = 0;
  std::uint64_t denied_hits = 0;    // TLB entries found but not permitting the access (walked)
  std::uint64_t direct = 0;         // of the l1_hits, accesses served by direct_access()
  std::uint64_t invalidations = 0;  // register-block invalidations applied
  std::uint64_t mmio_reads = 0, mmio_writes = 0, mmio_errors = 0;
};

// Same signature as Platform::TranslationObserver.
using MmuObserver =
    std::function<void(unsigned core, const arch::TranslationContext& ctx,
                       const arch::Access& access, const WalkRequest* req,
                       const WalkResponse* walk, const TlbEntry* hit)>;

class Mmu : public sc_core::sc_module {
 public:
  ::tlm::tlm_target_socket<> cpu_socket;                 // from the core
  tlm_utils::simple_target_socket<Mmu> mmio_socket;     // register window, byte offsets
  tlm_utils::simple_initiator_socket<Mmu> data_socket;  // to the memory system's data port

  // Throws std::invalid_argument for a bad configuration. The walker is attached next (it is
  // built with a pointer to this MMU's register block).
  Mmu(sc_core::sc_module_name name, const MmuConfig& config);
  // Before sc_start; `walker` must outlive the MMU. A CPU transaction without a walker gets
  // TLM_GENERIC_ERROR_RESPONSE.
  void set_walker(WalkerPort& walker) { walker_ = &walker; }

  arch::RegisterBlock& registers() { return regs_; }
  const arch::RegisterBlock& registers() const { return regs_; }
  Tlb& tlb() { return tlb_; }
  const Tlb& tlb() const { return tlb_; }
  WalkerPort* walker() { return walker_; }
  const WalkerPort* walker() const { return walker_; }
  const MmuCounters& counters() const { return counters_; }
  const MmuConfig& config() const { return config_; }

  // Before sc_start: the memory system this MMU's data socket is bound to (its port for this
  // core), which enables direct_access(). Not owned. nullptr (the default): every access goes
  // through the sockets.
  void set_direct_memory(MemorySystem* memory) { direct_memory_ = memory; }

  // The direct path, the platform's analogue of TLM-2.0 DMI: an access that hits the L1 TLB
  // through a live page hint, with an entry that permits it, is translated, counted, observed, and
  // its data access made on the memory system's direct path (MemorySystem::direct_data), exactly
  // as a b_transport of it on cpu_socket would do it, without building or transporting a payload;
  // delay advances by the data access's latency (an L1 hit adds no translation time) and true is
  // returned. Anything else (an L1 hit without a live hint, L2 hits, walks, faults, addresses
  // beyond memory) returns false with nothing changed: the core sends it through the socket. The
  // live hint is the grant, and every TLB fill and invalidation revokes it, as DMI invalidation
  // does; the TLB context (VMID, PCID) is part of it.
  bool direct_access(arch::gva_t va, arch::AccessType type, bool user, unsigned len,
                     sc_core::sc_time& delay) {
    if (direct_memory_ == nullptr || !arch::is_canonical(va)) return false;
    const arch::TranslationContext& ctx = regs_.context();
    TlbLevel& l1 = tlb_.l1();
    const TlbLevel::Hinted h = l1.hinted(va, ctx.vmid, ctx.pcid);
    const bool write = type == arch::AccessType::kWrite;
    if (h.entry == nullptr || (write && !h.entry->dirty) || !permits(*h.entry, type, user) ||
        !direct_memory_->direct_data(config_.core, h.entry->translate(va), len, write, delay))
      return false;
    l1.lookup_hinted(h);
    ++counters_.translations;
    ++counters_.l1_hits;
    ++counters_.direct;
    if (hit_observer_ != nullptr && *hit_observer_)
      observe_l1_hit(arch::Access{va, type, user}, *h.entry);
    return true;
  }

  // Called for every walk and, with `tlm_hits`, for every TLB hit (nullptr / empty: none). Not
  // owned; must outlive the run.
  void set_observer(const MmuObserver* observer, bool tlb_hits = true) {
    observer_ = observer;
    hit_observer_ = tlb_hits ? observer : nullptr;
  }

 private:
  // The CPU socket's forward interface: straight into cpu_b_transport (no simple_target_socket
  // layer on the per-access path).
  class CpuPort final : public ::tlm::tlm_fw_transport_if<> {
   public:
    explicit CpuPort(Mmu& m) : m_(m) {}
    void b_transport(::tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) override {
      m_.cpu_b_transport(trans, delay);
    }
    ::tlm::tlm_sync_enum nb_transport_fw(::tlm::tlm_generic_payload& trans, ::tlm::tlm_phase&,
                                         sc_core::sc_time&) override {
      trans.set_response_status(::tlm::TLM_COMMAND_ERROR_RESPONSE);  // loosely timed only
      return ::tlm::TLM_COMPLETED;
    }
    bool get_direct_mem_ptr(::tlm::tlm_generic_payload&, ::tlm::tlm_dmi&) override {
      return false;
    }
    unsigned int transport_dbg(::tlm::tlm_generic_payload&) override { return 0; }

   private:
    Mmu& m_;
  };

  // The per-access path, inline: an L1 TLB hit that permits the access translates here; anything
  // else goes to translate_beyond_l1().
  void cpu_b_transport(::tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    TranslateAttr* attr = trans.get_extension<TranslateAttr>();
    if (attr == nullptr || walker_ == nullptr) return refuse(trans);
    const arch::Access access{trans.get_address(), attr->type, attr->user};
    attr->fault = arch::Fault{};
    attr->data_time = sc_core::sc_time();  // zero (SC_ZERO_TIME would be a load from the library)
    ++counters_.translations;
    arch::hpa_t hpa;
    const TlbEntry* e = nullptr;
    if (arch::is_canonical(access.va)) {
      const arch::TranslationContext& ctx = regs_.context();
      e = tlb_.l1().lookup(access.va, ctx.vmid, ctx.pcid, access.type);
    }
    if (e != nullptr && permits(*e, access.type, access.user)) {
      ++counters_.l1_hits;
      attr->tlb_level = TlbHitLevel::kL1;
      attr->translation_time = sc_core::sc_time();
      if (hit_observer_ != nullptr && *hit_observer_) observe_l1_hit(access, *e);
      hpa = e->translate(access.va);
    } else {
      hpa = translate_beyond_l1(access, e, *attr, delay);
      if (!attr->fault.ok()) {
        attr->hpa = 0;
        trans.set_response_status(::tlm::TLM_OK_RESPONSE);
        return;
      }
    }
    attr->hpa = hpa;
    // The data access, on the memory system's data port of this core.
    const sc_core::sc_time before = delay;
    trans.set_address(hpa);
    data_fw_->b_transport(trans, delay);
    trans.set_address(access.va);
    attr->data_time = delay - before;
  }
  void mmio_b_transport(::tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned int mmio_transport_dbg(::tlm::tlm_generic_payload& trans);
  // Whether a TLB entry may serve the access without a walk (the dirty rule is the TLB's own).
  static bool permits(const TlbEntry& e, arch::AccessType type, bool user) {
    if (user && !e.perms.u) return false;
    if (type == arch::AccessType::kExecute) return e.perms.x;
    if (type == arch::AccessType::kWrite) return e.perms.w;
    return e.perms.r;
  }
  // Everything but a permitting L1 hit: the L2 TLB, the walk, the fault. `l1` is the L1 entry
  // that did not permit the access (or nullptr: an L1 miss or a non-canonical gVA). Returns the
  // hPA or sets attr.fault. Advances `delay`.
  arch::hpa_t translate_beyond_l1(const arch::Access& access, const TlbEntry* l1,
                                  TranslateAttr& attr, sc_core::sc_time& delay);
  void observe_l1_hit(const arch::Access& access, const TlbEntry& e);
  static void refuse(::tlm::tlm_generic_payload& trans);
  void end_of_elaboration() override;
  void fill(const arch::Access& access, const arch::TranslationContext& ctx,
            const arch::TranslationResult& r);

  CpuPort cpu_port_;
  MmuConfig config_;
  std::uint64_t period_ps_;
  sc_core::sc_time l2_time_;       // l2_tlb_latency cycles
  sc_core::sc_time walk_issue_;    // l2_tlb_latency - 1 cycles (the overlapped segment compare)
  arch::RegisterBlock regs_;
  Tlb tlb_;
  WalkerPort* walker_ = nullptr;
  ::tlm::tlm_fw_transport_if<>* data_fw_ = nullptr;  // data_socket's target, bound at elaboration
  MemorySystem* direct_memory_ = nullptr;            // the same target, for direct_access()
  WalkRequest req_;
  std::uint64_t next_id_ = 0;
  MmuCounters counters_;
  const MmuObserver* observer_ = nullptr;      // walks
  const MmuObserver* hit_observer_ = nullptr;  // TLB hits: observer_ or nullptr
};

}  // namespace mmuvp::tlm
