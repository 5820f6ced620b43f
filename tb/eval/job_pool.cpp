// Child processes, N at a time (see job_pool.h): posix_spawn with the log file as stdout and
// stderr, /dev/null as stdin, and waitpid for whichever finishes first.
#include "tb/eval/job_pool.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <stdexcept>

extern char** environ;

namespace mmuvp::tb::eval {
namespace {

using Clock = std::chrono::steady_clock;

struct Running {
  std::size_t index;
  Clock::time_point start;
};

// Starts one job; returns its pid, or -1 with `error` set.
pid_t spawn(const std::string& program, const Job& job, std::string& error) {
  std::vector<std::string> argv_storage{program};
  argv_storage.insert(argv_storage.end(), job.args.begin(), job.args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log = job.log_path.empty() ? "/dev/null" : job.log_path;
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    error = std::string("cannot start ") + program + ": " + std::strerror(rc);
    return -1;
  }
  return pid;
}

}  // namespace

void run_jobs(const std::string& program, const std::vector<Job>& jobs, unsigned parallel,
              const std::function<void(std::size_t, const JobResult&)>& on_done) {
  if (parallel == 0) throw std::invalid_argument("run_jobs: parallel must be at least 1");
  std::map<pid_t, Running> running;
  std::size_t next = 0;
  while (next < jobs.size() || !running.empty()) {
    while (next < jobs.size() && running.size() < parallel) {
      std::string error;
      const Clock::time_point start = Clock::now();
      const pid_t pid = spawn(program, jobs[next], error);
      if (pid < 0) {
        JobResult r;
        r.start_error = error;
        on_done(next, r);
      } else {
        running[pid] = {next, start};
      }
      ++next;
    }
    if (running.empty()) continue;
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;  // not one of ours
    JobResult r;
    r.seconds = std::chrono::duration<double>(Clock::now() - it->second.start).count();
    if (WIFEXITED(status)) {
      r.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      r.signal = WTERMSIG(status);
    }
    const std::size_t index = it->second.index;
    running.erase(it);
    on_done(index, r);
  }
}

}  // namespace mmuvp::tb::eval
