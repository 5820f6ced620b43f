// The `mmuvp` executable: a CLI11 app whose subcommands register themselves (commands.h). This file
// only lists the registrars and turns errors into one line and an exit code.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "tb/commands.h"

namespace {

using Registrar = void (*)(CLI::App&);

// Every subcommand, in the order `mmuvp --help` lists them. Adding one is one line here.
constexpr Registrar kCommands[] = {
    &mmuvp::tb::register_demo,
    &mmuvp::tb::register_pagetable,
    &mmuvp::tb::register_run,
    &mmuvp::tb::register_eval,
    &mmuvp::tb::register_cosim,
};

// "mmuvp pagetable" once the subcommand is known, "mmuvp" before.
std::string prefix(const CLI::App& app) {
  const std::vector<CLI::App*> chosen = app.get_subcommands();
  return chosen.empty() ? std::string("mmuvp") : "mmuvp " + chosen.front()->get_name();
}

// "pagetable, demo": the registered subcommands.
std::string command_names(const CLI::App& app) {
  std::string names;
  for (const CLI::App* sub : app.get_subcommands({})) {
    names += (names.empty() ? "" : ", ") + sub->get_name();
  }
  return names;
}

int fail(const CLI::App& app, const std::string& what, int code) {
  std::fflush(stdout);
  std::fputs(fmt::format("{}: error: {}\n", prefix(app), what).c_str(), stderr);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "mmuvp: a virtual platform of x86-64 address translation (native and nested paging, "
      "direct segments, escape filter).",
      "mmuvp"};
  app.require_subcommand(1);
  for (const Registrar add_command : kCommands) add_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help, version, and CLI::RuntimeError (a command's own exit code) go through CLI11 unchanged.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success) ||
        e.get_name() == "RuntimeError" || e.get_name() == "CallForHelp" ||
        e.get_name() == "CallForAllHelp" || e.get_name() == "CallForVersion") {
      return app.exit(e);
    }
    // CLI11 reports a missing or unknown command, and an unknown option before it, as "A subcommand
    // is required".
    if (app.get_subcommands().empty() && e.get_name() == "RequiredError") {
      const std::string what = argc < 2            ? std::string("a command is required")
                               : argv[1][0] == '-' ? fmt::format("unknown option '{}'", argv[1])
                                                   : fmt::format("unknown command '{}'", argv[1]);
      return fail(app, fmt::format("{}; commands: {} (mmuvp --help)", what, command_names(app)),
                  mmuvp::tb::kExitUsage);
    }
    return fail(app, e.what(), mmuvp::tb::kExitUsage);
  } catch (const mmuvp::tb::CommandError& e) {
    return fail(app, e.what(), mmuvp::tb::kExitUsage);
  } catch (const std::exception& e) {
    return fail(app, fmt::format("internal error: {}", e.what()), mmuvp::tb::kExitFailure);
  }
  return mmuvp::tb::kExitOk;
}
