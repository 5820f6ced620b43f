# The SystemC/TLM-2.0 platform (tlm/platform.h): memory system, LT walker, MMU, core, the
# firmware's TLM machine bus, and the platform that elaborates them for N cores.
add_library(mmuvp_tlm STATIC
  memory_system.cpp
  lt_walker.cpp
  mmu.cpp
  core.cpp
  tlm_machine_bus.cpp
  platform.cpp
  cycle_walker_port.cpp
)
target_include_directories(mmuvp_tlm PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(mmuvp_tlm PUBLIC mmuvp_tlm_struct mmuvp_cycle_walker mmuvp_arch mmuvp_stub
                      mmuvp_workloads mmuvp_systemc fmt::fmt)
