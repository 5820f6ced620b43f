# Co-simulation (tb/cosim.h): a short lockstep run per mode with zero mismatches, and the same run
# against the RTL with the injected segment-offset bug caught.
mmuvp_test(tb_cosim_tests SYSTEMC
  SOURCES cosim_test.cpp
  LIBS mmuvp_cosim
  LABELS tb rtl
  TIMEOUT 300)
mmuvp_test(tb_cosim_bug_tests SYSTEMC
  SOURCES cosim_test.cpp
  LIBS mmuvp_cosim_bug
  LABELS tb rtl
  TIMEOUT 300)
target_compile_definitions(tb_cosim_bug_tests PRIVATE MMUVP_COSIM_BUG)
