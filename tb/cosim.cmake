# `mmuvp cosim` (tb/cmd_cosim.cpp): the cycle-level SystemC walker and the Verilated RTL walker in
# lockstep (tb/cosim.h), the RTL behind its SystemC wrapper (tb/rtl_walker_sc.h). The library is
# built twice: mmuvp_cosim over the RTL walker, and mmuvp_cosim_bug over the walker with the
# injected bug (rtl/bug/walker_top_bug.sv) for the test that the co-simulation catches it. The
# library also holds the RTL walker as the platform's walker (tb/rtl_walker_port.h, `mmuvp run
# --walker rtl`), which the simulations (mmuvp_sim, tb/simulation.cmake) link.
foreach(variant IN ITEMS "" "_bug")
  add_library(mmuvp_cosim${variant} STATIC cosim.cpp rtl_walker_sc.cpp rtl_walker_port.cpp
              walk_compare.cpp rtl_register_mirror.cpp lockstep_walker_port.cpp)
  target_include_directories(mmuvp_cosim${variant} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(mmuvp_cosim${variant} PUBLIC mmuvp_rtl_walker${variant} mmuvp_cycle_walker
                        mmuvp_checker mmuvp_stub_space mmuvp_arch mmuvp_systemc fmt::fmt)
endforeach()
set_target_properties(mmuvp_cosim_bug PROPERTIES EXCLUDE_FROM_ALL TRUE)
target_compile_definitions(mmuvp_cosim_bug PRIVATE MMUVP_RTL_BUG_WRAPPER)
target_link_libraries(mmuvp_sim PUBLIC mmuvp_cosim)

target_sources(mmuvp PRIVATE cmd_cosim.cpp)
target_link_libraries(mmuvp PRIVATE mmuvp_cosim)
