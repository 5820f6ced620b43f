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

# Shadow paging runs (--mode shadow) against the golden runner and the executable's exit cost.
mmuvp_test(tb_shadow_run_tests SYSTEMC EXE
  SOURCES shadow_run_test.cpp
  LIBS mmuvp_sim mmuvp_report fmt::fmt nlohmann_json::nlohmann_json
  LABELS tb
  TIMEOUT 120)
