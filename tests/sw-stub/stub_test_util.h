// Helpers shared by the firmware stub tests: golden-model probes of what the stub built.
#pragma once
#include <cstdint>
#include <vector>

#include "arch/golden_translator.h"
#include "arch/translation.h"
#include "sw-stub/machine_bus.h"
#include "sw-stub/mapping_record.h"
#include "sw-stub/table_editor.h"
#include "sw-stub/virtual_machine.h"

namespace mmuvp::stub::testing {

inline arch::TranslationResult probe(arch::GoldenTranslator& g, const arch::TranslationContext& ctx,
                                     arch::gva_t va,
                                     arch::AccessType type = arch::AccessType::kRead,
                                     bool user = true) {
  return g.translate(ctx, arch::Access{va, type, user});
}

// A context that sends a gPA straight through the VM's EPT: guest-direct with an identity guest
// segment over the whole user half (gVA == gPA), no A/D updates.
inline arch::TranslationContext ept_only(const VirtualMachine& vm) {
  arch::TranslationContext ctx;
  ctx.mode = arch::Mode::kGuestDirect;
  ctx.eptp = vm.eptp();
  ctx.vmid = vm.vmid();
  ctx.guest_seg = arch::Segment{0, 1ull << 47, 0};
  ctx.ad_updates = false;
  return ctx;
}

// EPT references of a walk ending at a leaf of `size` (4 levels minus the skipped ones).
constexpr std::size_t ept_refs(arch::PageSize size) {
  return size == arch::PageSize::k1G ? 2 : size == arch::PageSize::k2M ? 3 : 4;
}

// Every leaf present in the tables under `root`, found by reading memory (depth first, index order,
// upper-half addresses sign-extended): what the record of their owner must hold, entry for entry.
template <typename Format, typename Read>
void walk_leaves(Read&& read, std::uint64_t table, unsigned level, std::uint64_t base,
                 std::vector<Leaf>& out) {
  for (std::uint64_t i = 0; i < 512; ++i) {
    const std::uint64_t e = read(table + 8 * i);
    if (!Format::present(e)) continue;
    std::uint64_t in = base + (i << (arch::kPageShift + 9 * (level - 1)));
    if (level == 4 && i >= 256) in |= ~0ull << arch::kVirtualAddressBits;
    if (Format::is_leaf(e, level)) {
      const std::uint64_t frame = Format::leaf_frame(e, level);
      out.push_back(Leaf{in, frame, arch::pte::leaf_size(level), e & ~frame});
    } else {
      walk_leaves<Format>(read, Format::next_table(e), level - 1, in, out);
    }
  }
}

inline std::vector<Leaf> ept_leaves_in_memory(MachineBus& bus, const VirtualMachine& vm) {
  std::vector<Leaf> out;
  walk_leaves<EptTableFormat>([&](std::uint64_t a) { return bus.mem_read64(a); }, vm.ept_root(), 4,
                              0, out);
  return out;
}

}  // namespace mmuvp::stub::testing
