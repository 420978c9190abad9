#include "common/subprocess.h"

#include "common/process.h"

#include <cstdio>
#include <cstring>

namespace nnr {

std::string CommandResult::describe(double timeout_seconds) const {
  if (!started) return "could not start: " + output_tail;
  if (timed_out) {
    char b[64];
    std::snprintf(b, sizeof b, "timed out after %g s", timeout_seconds);
    return b;
  }
  if (interrupted) return "stopped: we were interrupted";
  if (signal) return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  if (exit_code > 128 && exit_code < 128 + 65)  // how a shell reports a child's signal
    return "exit code " + std::to_string(exit_code) + " (signal " + std::to_string(exit_code - 128) +
           ", " + strsignal(exit_code - 128) + ")";
  return "exit code " + std::to_string(exit_code);
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string expand_command(const std::string& templ, const std::map<std::string, std::string>& values) {
  std::string out;
  for (size_t i = 0; i < templ.size();) {
    if (templ[i] == '{') {
      const size_t end = templ.find('}', i);
      if (end != std::string::npos) {
        auto it = values.find(templ.substr(i + 1, end - i - 1));
        if (it != values.end()) {
          out += shell_quote(it->second);
          i = end + 1;
          continue;
        }
      }
    }
    out += templ[i++];
  }
  return out;
}

CommandResult run_command(const std::string& command, double timeout_seconds) {
  // One process runner for the whole harness (common/process.h).
  const ProcessResult p = run_shell_command(command, timeout_seconds, 1.0);
  CommandResult r;
  r.seconds = p.seconds;
  r.output_tail = p.output_tail;
  switch (p.outcome) {
    case ProcessResult::Outcome::kExited:
      r.started = true;
      r.exit_code = p.exit_code;
      break;
    case ProcessResult::Outcome::kSignaled:
      r.started = true;
      r.signal = p.term_signal;
      break;
    case ProcessResult::Outcome::kTimedOut:
      r.started = true;
      r.timed_out = true;
      break;
    case ProcessResult::Outcome::kSpawnFailed:
      r.output_tail = p.error;
      break;
    case ProcessResult::Outcome::kInterrupted:
      r.started = true;
      r.interrupted = true;
      break;
  }
  return r;
}

}  // namespace nnr
