// Host cost of the firmware stub's VMM work for shadow paging (sw-stub/shadow_pager.h), on the
// golden machine (tb/direct_bus.h): building a process's shadow table, and one trapped guest
// page-table store with its re-sync. What a shadow-paging run pays on the host per exit.
#include <benchmark/benchmark.h>

#include <memory>

#include "sw-stub/guest_os.h"
#include "sw-stub/virtual_machine.h"
#include "sw-stub/vmm.h"
#include "tb/direct_bus.h"

namespace mmuvp {
namespace {

constexpr arch::gva_t kHeap = 1ull << 40;

// A nested VM with shadow paging and one process mapping `bytes` with 4K pages (not yet loaded:
// its first CR3 load builds its shadow).
struct ShadowRig {
  explicit ShadowRig(std::uint64_t bytes) : vmm(machine.bus, {0, 64 * arch::kPage1G}) {
    stub::VmConfig vc;
    vc.memory_bytes = bytes + arch::kPage1G;
    vc.host_pages = arch::PageSize::k2M;
    vc.shadow_paging = true;
    vc.preset_ad = true;
    vm = &vmm.create_vm(vc);
    vmm.load(0, *vm);
    stub::GuestOsConfig gc;
    gc.preset_ad = true;
    guest = std::make_unique<stub::GuestOs>(*vm, gc);
    process = &guest->create_process(1);
    guest->map(*process, kHeap, bytes, stub::PagePolicy::k4K);
  }
  tb::DirectMachine machine;
  stub::Vmm vmm;
  stub::VirtualMachine* vm = nullptr;
  std::unique_ptr<stub::GuestOs> guest;
  stub::Process* process = nullptr;
};

// Building the shadow of a process mapping state.range(0) MiB with 4K pages (its first CR3 load).
void BM_ShadowBuild(benchmark::State& state) {
  const std::uint64_t bytes = static_cast<std::uint64_t>(state.range(0)) << 20;
  for (auto _ : state) {
    state.PauseTiming();
    ShadowRig rig(bytes);
    state.ResumeTiming();
    rig.guest->context_switch(0, *rig.process);
    benchmark::DoNotOptimize(rig.vm->shadow()->stats().leaves_written);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(bytes >> 12));
  state.SetLabel("items: shadow leaves");
}
BENCHMARK(BM_ShadowBuild)->Arg(64)->Arg(1024)->Unit(benchmark::kMillisecond);

// One guest page mapped and unmapped in a shadowed process of 64 MiB: each a trapped PTE store
// whose re-sync walks the guest tables from the root (and the unmap invalidates the TLB entry).
void BM_ShadowTrappedStore(benchmark::State& state) {
  ShadowRig rig(64ull << 20);
  rig.guest->context_switch(0, *rig.process);
  const arch::gva_t va = kHeap + (128ull << 20);
  for (auto _ : state) {
    rig.guest->map(*rig.process, va, arch::kPage4K, stub::PagePolicy::k4K);
    rig.guest->unmap(*rig.process, va, arch::kPage4K);
  }
  state.SetItemsProcessed(state.iterations() * 2);
  state.SetLabel("items: map or unmap of one page");
}
BENCHMARK(BM_ShadowTrappedStore);

}  // namespace
}  // namespace mmuvp
