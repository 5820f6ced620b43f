// The subcommands of the `mmuvp` executable and the conventions they share.
//
// Each subcommand lives in tb/cmd_<name>.cpp and registers itself with `register_<name>(app)`: it
// adds a subcommand to the root app, its options, and a callback that runs it (CLI11 calls it from
// App::parse). main.cpp calls every registrar in its kCommands table, so adding a command is its
// declaration here and one line there.
//
// Exit codes and errors (SPEC §9: one line naming the problem, non-zero exit):
//   - a bad flag, file or configuration: throw CommandError("what is wrong"); main prints
//     "mmuvp <command>: error: what is wrong" on stderr and exits with kExitUsage. CLI11 parse
//     errors are reported the same way.
//   - any other exit status after the command printed its own results: throw
//   CLI::RuntimeError(code).
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string_view>

namespace CLI {
class App;
}

namespace mmuvp::tb {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // the command ran but its result is a failure (mismatch, issues)
constexpr int kExitUsage = 2;    // bad flag, file or configuration: nothing useful was done

// A user error: what() is one line without the "mmuvp <command>: error: " prefix.
class CommandError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An unsigned 64-bit number written in hex with a 0x/0X prefix or in decimal. Throws CommandError
// naming `what` (e.g. "--cr3") for anything else, including an empty string, a sign, or overflow.
std::uint64_t parse_u64(std::string_view text, std::string_view what);

// One registrar per subcommand (tb/cmd_<name>.cpp).
void register_pagetable(CLI::App& app);
void register_demo(CLI::App& app);  // tb/cmd_demo.cpp
void register_run(CLI::App& app);   // tb/cmd_run.cpp
void register_eval(CLI::App& app);  // tb/cmd_eval.cpp
void register_cosim(CLI::App& app);  // tb/cmd_cosim.cpp

}  // namespace mmuvp::tb
