# `mmuvp run` / `mmuvp eval`: the pure parts (JSON, plan, linear model, results, SVG, job pool)
# without a simulation, then the commands end to end through the built executable.
find_package(EXPAT REQUIRED)  # Debian libexpat1-dev: the SVG test parses the plot as XML

mmuvp_test(tb_run_report_tests
  SOURCES run_json_test.cpp eval_plan_test.cpp eval_model_test.cpp eval_results_test.cpp
          svg_plot_test.cpp eval_job_pool_test.cpp
  LIBS mmuvp_report EXPAT::EXPAT
  LABELS tb)

# Runs the built executable: its path comes in as MMUVP_EXE. The success cases need simulate().
mmuvp_test(tb_run_cli_tests EXE
  SOURCES run_cli_test.cpp eval_cli_test.cpp
  LIBS mmuvp_report nlohmann_json::nlohmann_json fmt::fmt
  LABELS tb
  TIMEOUT 300)

# The direct path (--no-dmi off/on) changes no count: pairs of runs of the built executable.
mmuvp_test(tb_dmi_cli_tests EXE
  SOURCES dmi_cli_test.cpp
  LIBS nlohmann_json::nlohmann_json fmt::fmt
  LABELS tb
  TIMEOUT 300)
