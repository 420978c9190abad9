// Running a decoder under test: one shell command in its own process group,
// with a wall-clock limit that takes down the whole group, and the tail of
// what it printed kept for the report.
#ifndef NNR_HARNESS_CONFORMANCE_PROCESS_H
#define NNR_HARNESS_CONFORMANCE_PROCESS_H

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace nnr {

struct ProcessResult {
  enum class Outcome {
    kExited,       // exit_code holds the status
    kSignaled,     // term_signal killed it (directly, or as reported by the shell)
    kTimedOut,     // still running at the limit; the group was killed
    kSpawnFailed,  // fork/pipe failed; `error` says why
    kInterrupted,  // we were asked to stop (common/interrupt.h); the group was killed
  };
  Outcome outcome = Outcome::kSpawnFailed;
  int exit_code = 0;
  int term_signal = 0;
  double seconds = 0;
  std::string output_tail;  // last bytes of stdout + stderr
  std::string error;
};

// Runs `/bin/sh -c command`. After `timeout_seconds` the process group gets
// SIGTERM, then SIGKILL after `grace_seconds`; the same when this process
// receives SIGINT or SIGTERM (common/interrupt.h). Whatever the command does,
// the call returns (no process of the group is left behind).
ProcessResult run_shell_command(const std::string& command, double timeout_seconds,
                                double grace_seconds = 2.0, size_t tail_bytes = 4096);

// Replaces every {key} of `placeholders` in `tmpl` by its shell-quoted value
// (shell_quote of common/subprocess.h).
std::string expand_decoder_command(const std::string& tmpl,
                           const std::initializer_list<std::pair<const char*, std::string>>& placeholders);
// The same with a list per key: each value quoted, joined by spaces (the
// streams of an update sequence).
std::string expand_decoder_command(const std::string& tmpl,
                                   const std::vector<std::pair<std::string, std::vector<std::string>>>& placeholders);

// "SIGSEGV" etc., or "signal N".
std::string signal_name(int sig);

}  // namespace nnr

#endif
