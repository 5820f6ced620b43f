# `mmuvp run --walker cosim` (tb/lockstep_walker_port.h): the cycle-level walker and the RTL in
# lockstep inside the platform. End to end through the binary: every mode, two cores with context
# switches, escaped frames, A/D updates, each with zero mismatches and the statistics of
# --walker cycle; and in process against the RTL with the injected bug (mmuvp_sim_bug), which the
# lockstep must catch.
mmuvp_test(tb_lockstep_run_tests EXE
  SOURCES lockstep_run_test.cpp
  LIBS mmuvp_report nlohmann_json::nlohmann_json fmt::fmt
  LABELS rtl tb
  TIMEOUT 300)

mmuvp_test(tb_lockstep_bug_tests SYSTEMC
  SOURCES lockstep_bug_test.cpp
  LIBS mmuvp_sim_bug fmt::fmt
  LABELS rtl tb
  TIMEOUT 300)
