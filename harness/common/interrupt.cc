#include "common/interrupt.h"

#include <signal.h>

namespace nnr {

namespace {

volatile sig_atomic_t g_signal = 0;

void on_signal(int sig) {
  if (g_signal) {
    // The second: no more waiting for the work to wind down.
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  g_signal = sig;
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking wait returns to look at the flag
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int interrupt_signal() { return g_signal; }

}  // namespace nnr
