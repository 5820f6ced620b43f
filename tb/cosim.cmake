# `mmuvp cosim` (tb/cmd_cosim.cpp, its command line in tb/cosim_cli.cpp): the cycle-level SystemC
# walker and the Verilated RTL walker in lockstep (tb/cosim.h), the RTL behind its SystemC wrapper
# (tb/rtl_walker_sc.h). The library is built three times: mmuvp_cosim over the RTL walker,
# mmuvp_cosim_bug over the walker with the injected bug (walker_top's InjectOffsetXor) for the test
# that the co-simulation catches it, and mmuvp_cosim_cov over the coverage-instrumented walker
# (mmuvp_rtl_walker_cov) for the coverage regression. The library also holds the RTL walker as the
# platform's walker (tb/rtl_walker_port.h, `mmuvp run --walker rtl`), which the simulations
# (mmuvp_sim, tb/simulation.cmake) link.

# Verilator coverage data (read, merge, write) and the FSM-state / fault-kind reach report over it:
# plain C++, no Verilator.
add_library(mmuvp_rtl_coverage STATIC coverage_data.cpp rtl_reach.cpp)
target_include_directories(mmuvp_rtl_coverage PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(mmuvp_rtl_coverage PUBLIC mmuvp_arch fmt::fmt)

foreach(variant IN ITEMS "" "_bug" "_cov")
  add_library(mmuvp_cosim${variant} STATIC cosim.cpp rtl_walker_sc.cpp rtl_walker_port.cpp
              walk_compare.cpp rtl_register_mirror.cpp lockstep_walker_port.cpp)
  target_include_directories(mmuvp_cosim${variant} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(mmuvp_cosim${variant} PUBLIC mmuvp_rtl_walker${variant} mmuvp_cycle_walker
                        mmuvp_checker mmuvp_stub_space mmuvp_rtl_coverage mmuvp_arch
                        mmuvp_systemc fmt::fmt)
endforeach()
set_target_properties(mmuvp_cosim_bug PROPERTIES EXCLUDE_FROM_ALL TRUE)
target_compile_definitions(mmuvp_cosim_cov PRIVATE MMUVP_RTL_COVERAGE)
target_link_libraries(mmuvp_sim PUBLIC mmuvp_cosim)

target_sources(mmuvp PRIVATE cmd_cosim.cpp cosim_cli.cpp)
target_link_libraries(mmuvp PRIVATE mmuvp_cosim)

# mmuvp_cosim_coverage: the `mmuvp cosim` regression over the coverage build, writing the RTL's
# coverage (--coverage):
# scripts/rtl-coverage.sh and the test rtl_coverage_reach (tests/rtl/CMakeLists.txt) run it.
add_executable(mmuvp_cosim_coverage cosim_coverage_main.cpp cosim_cli.cpp commands.cpp
               sc_main_unused.cpp)
target_include_directories(mmuvp_cosim_coverage PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(mmuvp_cosim_coverage PRIVATE mmuvp_cosim_cov mmuvp_rtl_coverage
                      mmuvp_systemc CLI11::CLI11 fmt::fmt)
