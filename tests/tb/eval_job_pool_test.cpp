// The child-process pool of `mmuvp eval` (tb/eval/job_pool.h): every job runs once with its output
// in its log, exit statuses and signals are reported per job, a program that cannot start is a
// per-job error, and no more than N jobs run at once.
#include "tb/eval/job_pool.h"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/tb/table_builder.h"

namespace mmuvp::tb::eval {
namespace {

std::string read(const std::string& path) {
  std::ifstream f(path);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(JobPool, RunsEveryJobAndReportsEachResult) {
  test::TempDir dir;
  std::vector<Job> jobs{
      {{"-c", "echo out; echo err >&2"}, dir.file("0.log")},
      {{"-c", "exit 3"}, dir.file("1.log")},
      {{"-c", "kill -TERM $$"}, dir.file("2.log")},
      {{"-c", "echo fine"}, ""},
  };
  std::vector<JobResult> results(jobs.size());
  std::vector<int> seen(jobs.size(), 0);
  run_jobs("/bin/sh", jobs, 2, [&](std::size_t i, const JobResult& r) {
    results[i] = r;
    ++seen[i];
  });
  EXPECT_EQ(seen, (std::vector<int>{1, 1, 1, 1}));
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(read(dir.file("0.log")), "out\nerr\n");
  EXPECT_EQ(results[1].exit_code, 3);
  EXPECT_FALSE(results[1].ok());
  EXPECT_EQ(results[2].exit_code, -1);
  EXPECT_EQ(results[2].signal, SIGTERM);
  EXPECT_TRUE(results[3].ok());
  for (const JobResult& r : results) EXPECT_GE(r.seconds, 0.0);
}

TEST(JobPool, AProgramThatCannotStartIsAPerJobError) {
  std::vector<JobResult> results;
  run_jobs("/nonexistent/program", {{{"x"}, ""}, {{"y"}, ""}}, 4,
           [&](std::size_t, const JobResult& r) { results.push_back(r); });
  ASSERT_EQ(results.size(), 2u);
  EXPECT_FALSE(results[0].ok());
  EXPECT_NE(results[0].start_error.find("cannot start /nonexistent/program"), std::string::npos)
      << results[0].start_error;
}

// Each job appends "+" when it starts and "-" when it ends to one file (O_APPEND writes of two
// bytes do not interleave); the largest count of open "+" never exceeds the limit, and with
// enough jobs it reaches it.
TEST(JobPool, NeverMoreThanTheLimitAtOnce) {
  test::TempDir dir;
  const std::string log = dir.file("events");
  const std::string cmd = "echo + >>'" + log + "'; sleep 0.2; echo - >>'" + log + "'";
  std::vector<Job> jobs(6, Job{{"-c", cmd}, ""});
  unsigned done = 0;
  run_jobs("/bin/sh", jobs, 2, [&](std::size_t, const JobResult& r) {
    EXPECT_TRUE(r.ok());
    ++done;
  });
  EXPECT_EQ(done, 6u);
  int open = 0, peak = 0;
  std::istringstream in(read(log));
  for (std::string line; std::getline(in, line);) {
    open += line == "+" ? 1 : -1;
    peak = std::max(peak, open);
  }
  EXPECT_EQ(open, 0);
  EXPECT_EQ(peak, 2);
}

TEST(JobPool, ZeroParallelIsRefused) {
  EXPECT_THROW(run_jobs("/bin/sh", {}, 0, [](std::size_t, const JobResult&) {}),
               std::invalid_argument);
}

}  // namespace
}  // namespace mmuvp::tb::eval
