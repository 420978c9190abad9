// How libtorch's idle OpenMP threads wait. Spinning makes evaluation and
// training 2x faster on an otherwise idle machine; on a machine busy with
// other work the spinning threads take the cores from the working one and
// make it many times slower. The OpenMP runtime reads the choice once, when
// the use-case plugin loads it, so the command decides at start-up from how
// busy the machine's cores are right then (the load average would count the
// previous nnr command of a script for a minute); a user's own
// OMP_WAIT_POLICY or GOMP_SPINCOUNT wins.
#ifndef NNR_HARNESS_OMP_WAIT_H
#define NNR_HARNESS_OMP_WAIT_H

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace nnr {

// Spin rounds before an idle thread sleeps (libgomp's own default).
inline constexpr const char* kOmpSpinCount = "300000";

struct OmpWaitChoice {
  bool spin = false;
  std::string reason;
};

// The machine counts as idle while other work keeps less than a quarter of its
// cores busy, and at least less than half a core.
OmpWaitChoice choose_omp_wait(double busy_cores, unsigned cores);

// Busy and total jiffies from the "cpu" line of /proc/stat; false if unreadable.
struct CpuTimes {
  uint64_t busy = 0, total = 0;
};
bool parse_cpu_times(const std::string& proc_stat_text, CpuTimes* times);

// Sets the wait policy for this process (call while it has one thread, before
// the plugin loads): samples the cores for `sample_ms`. Leaves the
// environment alone if the user set it.
void apply_omp_wait_policy(int sample_ms = 200);

// What apply_omp_wait_policy decided, for result files:
// {"policy": "spin"|"passive"|"user", "reason": ..., "OMP_WAIT_POLICY": ..., "GOMP_SPINCOUNT": ...}
nlohmann::json omp_wait_description();

}  // namespace nnr

#endif  // NNR_HARNESS_OMP_WAIT_H
