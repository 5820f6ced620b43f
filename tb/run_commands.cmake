# `mmuvp run` and `mmuvp eval` (SPEC §8, §9).
# mmuvp_report: the parts without a simulation (RunConfig/RunStats JSON, the evaluation plan, the
# paper's linear model, CSV/table/SVG outputs, the child-process pool), unit-tested on their own.
add_library(mmuvp_report STATIC
  run_json.cpp
  eval/eval_plan.cpp
  eval/linear_model.cpp
  eval/eval_results.cpp
  eval/run_table.cpp
  eval/svg_plot.cpp
  eval/job_pool.cpp
)
target_include_directories(mmuvp_report PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(mmuvp_report PUBLIC mmuvp_tlm_struct mmuvp_stub mmuvp_workloads mmuvp_arch
                      nlohmann_json::nlohmann_json fmt::fmt)

# The commands themselves: `run` calls simulate() of mmuvp_sim (tb/simulation.cmake); `eval` runs
# `mmuvp run` children of the same executable.
target_sources(mmuvp PRIVATE cmd_run.cpp cmd_eval.cpp)
target_link_libraries(mmuvp PRIVATE mmuvp_report mmuvp_sim)
