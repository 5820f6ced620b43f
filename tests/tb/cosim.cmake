# Co-simulation (tb/cosim.h): a short lockstep run per mode with zero mismatches, and the same run
# against the RTL with the injected segment-offset bug caught.
mmuvp_test(tb_cosim_tests SYSTEMC
  SOURCES cosim_test.cpp
  LIBS mmuvp_cosim
  LABELS rtl tb
  TIMEOUT 300)
mmuvp_test(tb_cosim_bug_tests SYSTEMC
  SOURCES cosim_test.cpp
  LIBS mmuvp_cosim_bug
  LABELS rtl tb
  TIMEOUT 300)
target_compile_definitions(tb_cosim_bug_tests PRIVATE MMUVP_COSIM_BUG)

# `mmuvp run --walker rtl` end to end (tb/rtl_walker_port.h): a checked nested run without
# mismatch and with the cycle-level walker's counters, the RTL's FST read back, refusals.
mmuvp_test(tb_rtl_run_tests EXE
  SOURCES rtl_run_test.cpp
  LIBS mmuvp_report nlohmann_json::nlohmann_json fmt::fmt
  LABELS rtl tb
  TIMEOUT 300)
