// Runs a shell command from a test and returns what it wrote to standard output (the tests that
// read waveforms back through fst2vcd, or lint a generated file).
#pragma once
#include <cstdio>
#include <string>

namespace mmuvp::test {

// Standard output of `command` (run by /bin/sh); `ok` is false if it could not be started or
// exited non-zero.
inline std::string command_output(const std::string& command, bool& ok) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  ok = p != nullptr;
  if (p == nullptr) return out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ok = pclose(p) == 0;
  return out;
}

}  // namespace mmuvp::test
