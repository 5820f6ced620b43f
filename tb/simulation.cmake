# One simulation (tb/simulation.h): RunConfig -> RunStats over the SystemC platform with the
# firmware stub (tb/firmware.h), or over the golden functional model alone (--walker golden,
# tb/golden_run.h). Library mmuvp_sim; the platform itself is mmuvp_tlm (tlm/platform.cmake).
add_library(mmuvp_sim STATIC
  simulation.cpp
  workload_setup.cpp
  golden_run.cpp
  firmware.cpp
)
target_include_directories(mmuvp_sim PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(mmuvp_sim PUBLIC mmuvp_tlm mmuvp_checker mmuvp_tlm_struct mmuvp_stub
                      mmuvp_workloads mmuvp_direct_bus mmuvp_arch mmuvp_systemc fmt::fmt)
