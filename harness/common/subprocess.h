// Running a command template under /bin/sh with a timeout. The child gets its
// own process group so that a timeout kills everything it started.
#ifndef NNR_HARNESS_SUBPROCESS_H
#define NNR_HARNESS_SUBPROCESS_H

#include <map>
#include <string>

namespace nnr {

struct CommandResult {
  int exit_code = -1;      // when it exited
  int signal = 0;          // when a signal ended it (not our timeout kill)
  bool timed_out = false;  // killed by us after the timeout
  bool interrupted = false;  // killed by us because we were asked to stop
  bool started = false;
  double seconds = 0;
  std::string output_tail;  // the last few KB of stdout + stderr
  bool ok() const { return started && !timed_out && !interrupted && signal == 0 && exit_code == 0; }
  // "exit code 3", "killed by signal 11 (Segmentation fault)", "timed out after 5 s".
  std::string describe(double timeout_seconds) const;
};

// Quotes `s` for /bin/sh (single quotes).
std::string shell_quote(const std::string& s);

// Replaces each {name} in `templ` by the shell-quoted value.
std::string expand_command(const std::string& templ, const std::map<std::string, std::string>& values);

// Runs `command` with /bin/sh -c; kills its process group after
// `timeout_seconds` (SIGTERM, then SIGKILL after a grace second).
CommandResult run_command(const std::string& command, double timeout_seconds);

}  // namespace nnr

#endif  // NNR_HARNESS_SUBPROCESS_H
