#include "common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace nnr {

std::string CommandResult::describe(double timeout_seconds) const {
  if (!started) return "could not start: " + output_tail;
  if (timed_out) {
    char b[64];
    std::snprintf(b, sizeof b, "timed out after %g s", timeout_seconds);
    return b;
  }
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
  using clock = std::chrono::steady_clock;
  CommandResult r;
  int fds[2];
  if (pipe(fds) != 0) {
    r.output_tail = std::strerror(errno);
    return r;
  }
  const auto start = clock::now();
  const pid_t pid = fork();
  if (pid < 0) {
    r.output_tail = std::strerror(errno);
    close(fds[0]);
    close(fds[1]);
    return r;
  }
  if (pid == 0) {
    setpgid(0, 0);
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);  // also here, so the group exists before any kill
  r.started = true;
  close(fds[1]);
  fcntl(fds[0], F_SETFL, O_NONBLOCK);

  constexpr size_t kTail = 4096;
  bool pipe_open = true, exited = false, term_sent = false;
  int status = 0;
  clock::time_point term_at;
  char buf[4096];
  while (!exited) {
    if (pipe_open) {
      pollfd p{fds[0], POLLIN, 0};
      poll(&p, 1, 50);
      for (;;) {
        const ssize_t n = read(fds[0], buf, sizeof buf);
        if (n > 0) {
          r.output_tail.append(buf, static_cast<size_t>(n));
          if (r.output_tail.size() > 2 * kTail) r.output_tail.erase(0, r.output_tail.size() - kTail);
          continue;
        }
        if (n == 0) pipe_open = false;  // every writer closed it
        break;
      }
    } else {
      usleep(20000);
    }
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      exited = true;
      break;
    }
    const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
    if (!term_sent && elapsed > timeout_seconds) {
      r.timed_out = true;
      kill(-pid, SIGTERM);
      term_sent = true;
      term_at = clock::now();
    } else if (term_sent && std::chrono::duration<double>(clock::now() - term_at).count() > 1.0) {
      kill(-pid, SIGKILL);
    }
  }
  // Grandchildren may still hold the pipe; do not wait for them.
  if (r.timed_out) kill(-pid, SIGKILL);
  for (;;) {
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    r.output_tail.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  if (r.output_tail.size() > kTail) r.output_tail.erase(0, r.output_tail.size() - kTail);
  r.seconds = std::chrono::duration<double>(clock::now() - start).count();
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status) && !r.timed_out) r.signal = WTERMSIG(status);
  return r;
}

}  // namespace nnr
