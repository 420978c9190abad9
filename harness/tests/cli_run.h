// Runs the nnr command line in a shell (stderr with stdout) for the CLI
// tests: its exit code (128 + the signal where one ended it) and output.
#ifndef NNR_HARNESS_TESTS_CLI_RUN_H
#define NNR_HARNESS_TESTS_CLI_RUN_H

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace nnr::test {

struct CliResult {
  int code;
  std::string out;
};

inline CliResult run_cli_command(const std::string& command) {
  const std::string cmd = command + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  if (!p) return {127, "popen failed"};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

inline CliResult run_cli(const std::string& args) { return run_cli_command(std::string(NNR_CLI) + " " + args); }

// The same with the environment changed first, as env(1) takes it
// ("NAME=value", "-u NAME").
inline CliResult run_cli_env(const std::string& env_args, const std::string& args) {
  return run_cli_command("env " + env_args + " " + std::string(NNR_CLI) + " " + args);
}

}  // namespace nnr::test

#endif
