// Runs a list of commands as child processes, at most N at a time, each with stdout and stderr
// captured into its own log file: how `mmuvp eval` runs its `mmuvp run` children in parallel.
// A job that fails (exit status, signal, or a program that cannot be started) is reported and the
// others go on.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace mmuvp::tb::eval {

struct Job {
  std::vector<std::string> args;  // argv[1..]; argv[0] is the program
  std::string log_path;           // stdout and stderr of the child (truncated); "" = /dev/null
};

struct JobResult {
  int exit_code = -1;  // the child's exit status; -1 when killed by a signal or not started
  int signal = 0;      // the terminating signal, if any
  std::string start_error;  // why the program could not be started, if so
  double seconds = 0;  // wall time from start to reaped
  bool ok() const { return exit_code == 0; }
};

// Runs every job of `jobs` with `program` (a path, e.g. "/proc/self/exe"), at most `parallel`
// (>= 1) at once, in order of the list. `on_done(index, result)` is called in the calling thread as
// each job finishes. Returns when all have finished.
void run_jobs(const std::string& program, const std::vector<Job>& jobs, unsigned parallel,
              const std::function<void(std::size_t, const JobResult&)>& on_done);

}  // namespace mmuvp::tb::eval
