#include "common/process.h"

#include "common/interrupt.h"
#include "common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

namespace nnr {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Keeps the last `limit` bytes of everything read.
void keep_tail(std::string& tail, const char* data, size_t n, size_t limit) {
  tail.append(data, n);
  if (tail.size() > 2 * limit) tail.erase(0, tail.size() - limit);
}

// Reads what is available; returns false once the pipe is closed.
bool drain(int fd, std::string& tail, size_t limit) {
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      keep_tail(tail, buf, static_cast<size_t>(n), limit);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

}  // namespace

std::string expand_decoder_command(const std::string& tmpl,
                                   const std::vector<std::pair<std::string, std::vector<std::string>>>& placeholders) {
  std::string out;
  for (size_t i = 0; i < tmpl.size();) {
    bool replaced = false;
    if (tmpl[i] == '{') {
      for (const auto& [key, values] : placeholders) {
        const std::string k = "{" + key + "}";
        if (tmpl.compare(i, k.size(), k) == 0) {
          for (size_t v = 0; v < values.size(); ++v) out += (v ? " " : "") + shell_quote(values[v]);
          i += k.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += tmpl[i++];
  }
  return out;
}

std::string expand_decoder_command(const std::string& tmpl,
                           const std::initializer_list<std::pair<const char*, std::string>>& placeholders) {
  std::vector<std::pair<std::string, std::vector<std::string>>> lists;
  for (const auto& [key, value] : placeholders) lists.push_back({key, {value}});
  return expand_decoder_command(tmpl, lists);
}

std::string signal_name(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGPIPE: return "SIGPIPE";
    case SIGTRAP: return "SIGTRAP";
    default: return "signal " + std::to_string(sig);
  }
}

ProcessResult run_shell_command(const std::string& command, double timeout_seconds,
                                double grace_seconds, size_t tail_bytes) {
  ProcessResult r;
  const auto t0 = Clock::now();
  int fds[2];
  if (pipe(fds) != 0) {
    r.error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  const pid_t pid = fork();
  if (pid < 0) {
    r.error = std::string("fork: ") + std::strerror(errno);
    close(fds[0]);
    close(fds[1]);
    return r;
  }
  if (pid == 0) {
    // Child: own process group (so a timeout can kill everything it starts),
    // stdout and stderr into the pipe, stdin from /dev/null.
    setpgid(0, 0);
    signal(SIGPIPE, SIG_DFL);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);  // also in the parent, so the group exists before any kill
  close(fds[1]);
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);

  int status = 0;
  bool exited = false, timed_out = false, interrupted = false;
  double kill_at = -1;  // when SIGKILL follows SIGTERM
  bool pipe_open = true;
  while (!exited) {
    if (pipe_open) {
      pollfd p{fds[0], POLLIN, 0};
      poll(&p, 1, 50);
      pipe_open = drain(fds[0], r.output_tail, tail_bytes);
    } else {
      usleep(20000);  // the output is closed; only the exit is awaited
    }
    // Noticed without reaping: while the leader is a zombie its pid, and so
    // the group id, cannot be reused, which makes the group kill below safe.
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid) {
      exited = true;
      break;
    }
    const double t = since(t0);
    if (!timed_out && !interrupted && interrupt_signal()) {
      interrupted = true;
      kill(-pid, SIGTERM);
      kill_at = t + grace_seconds;
    } else if (!timed_out && !interrupted && timeout_seconds > 0 && t > timeout_seconds) {
      timed_out = true;
      kill(-pid, SIGTERM);
      kill_at = t + grace_seconds;
    } else if ((timed_out || interrupted) && kill_at >= 0 && t > kill_at) {
      kill(-pid, SIGKILL);
      kill_at = -1;
    }
  }
  // Anything the command left running in its group goes too.
  kill(-pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  drain(fds[0], r.output_tail, tail_bytes);
  close(fds[0]);
  if (r.output_tail.size() > tail_bytes) r.output_tail.erase(0, r.output_tail.size() - tail_bytes);
  r.seconds = since(t0);

  if (interrupted) {
    r.outcome = ProcessResult::Outcome::kInterrupted;
  } else if (timed_out) {
    r.outcome = ProcessResult::Outcome::kTimedOut;
  } else if (WIFSIGNALED(status)) {
    r.outcome = ProcessResult::Outcome::kSignaled;
    r.term_signal = WTERMSIG(status);
  } else {
    const int code = WEXITSTATUS(status);
    // /bin/sh reports a child killed by signal n as exit status 128 + n.
    if (code > 128 && code < 128 + 65) {
      r.outcome = ProcessResult::Outcome::kSignaled;
      r.term_signal = code - 128;
      r.exit_code = code;
    } else {
      r.outcome = ProcessResult::Outcome::kExited;
      r.exit_code = code;
    }
  }
  return r;
}

}  // namespace nnr
