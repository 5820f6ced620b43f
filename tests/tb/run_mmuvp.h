// Runs the built `mmuvp` executable (MMUVP_EXE, a compile definition) from a test, with stdout and
// stderr captured through files in a TempDir, and returns its exit code and output.
#pragma once
#include <sys/wait.h>

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/tb/table_builder.h"

namespace mmuvp::test {

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) v.push_back(line);
  return v;
}

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

struct Output {
  int code = -1;
  std::string out;
  std::string err;
  std::vector<std::string> out_lines() const { return lines_of(out); }
  std::vector<std::string> err_lines() const { return lines_of(err); }
};

// `mmuvp <args>` (args already shell-quoted as needed).
inline Output run_mmuvp(const TempDir& dir, const std::string& args) {
  const std::string out = dir.file("stdout.txt");
  const std::string err = dir.file("stderr.txt");
  const std::string cmd = fmt::format("'{}' {} >'{}' 2>'{}'", MMUVP_EXE, args, out, err);
  const int status = std::system(cmd.c_str());
  Output r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

}  // namespace mmuvp::test
