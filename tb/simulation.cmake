# One simulation (tb/simulation.h): RunConfig -> RunStats over the SystemC platform with the
# firmware stub (tb/firmware.h), or over the golden functional model alone (--walker golden,
# tb/golden_run.h). Library mmuvp_sim; the platform itself is mmuvp_tlm (tlm/platform.cmake).
# The objects are compiled once; mmuvp_sim links them with the RTL walker of `--walker rtl|cosim`
# (mmuvp_cosim, tb/cosim.cmake), mmuvp_sim_bug with the RTL with the injected bug
# (mmuvp_cosim_bug), for the test that `--walker cosim` catches it (never in the default build).
add_library(mmuvp_sim_objects OBJECT
  simulation.cpp
  workload_setup.cpp
  golden_run.cpp
  firmware.cpp
)
target_include_directories(mmuvp_sim_objects PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(mmuvp_sim_objects PUBLIC mmuvp_tlm mmuvp_checker mmuvp_tlm_struct mmuvp_stub
                      mmuvp_workloads mmuvp_direct_bus mmuvp_arch mmuvp_systemc fmt::fmt)

add_library(mmuvp_sim STATIC)
target_link_libraries(mmuvp_sim PUBLIC mmuvp_sim_objects)  # and mmuvp_cosim (tb/cosim.cmake)

add_library(mmuvp_sim_bug STATIC EXCLUDE_FROM_ALL)
target_link_libraries(mmuvp_sim_bug PUBLIC mmuvp_sim_objects mmuvp_cosim_bug)
