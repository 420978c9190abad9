// SIGINT and SIGTERM for the commands that run others' processes or many
// points (conform, run): the first one asks the work to stop: running
// children's process groups are ended, their work folders removed, finished
// results kept, and the command exits with 128 + the signal (130, 143). A
// second one ends the process at once.
#ifndef NNR_HARNESS_INTERRUPT_H
#define NNR_HARNESS_INTERRUPT_H

namespace nnr {

void install_interrupt_handlers();

// The signal received, or 0.
int interrupt_signal();

}  // namespace nnr

#endif  // NNR_HARNESS_INTERRUPT_H
