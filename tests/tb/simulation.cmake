# Simulations (tb/simulation.h): the golden runner, and the SystemC platform with the firmware
# (each case its own process: SystemC elaborates once per process).
mmuvp_test(tb_simulation_golden_tests SYSTEMC
  SOURCES simulation_golden_test.cpp
  LIBS mmuvp_sim fmt::fmt
  LABELS tb
  TIMEOUT 120)
mmuvp_test(tb_simulation_platform_tests SYSTEMC
  SOURCES simulation_platform_test.cpp
  LIBS mmuvp_sim fmt::fmt
  LABELS tb
  TIMEOUT 120)
