#include "common/omp_wait.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace nnr {

namespace {

nlohmann::json& decision() {
  static nlohmann::json d = {{"policy", "not chosen"}};
  return d;
}

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string format2(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

bool read_cpu_times(CpuTimes* t) {
  std::ifstream f("/proc/stat");
  std::string line;
  return std::getline(f, line) && parse_cpu_times(line, t);
}

}  // namespace

OmpWaitChoice choose_omp_wait(double busy_cores, unsigned cores) {
  const double idle_below = std::max(0.5, cores / 4.0);
  OmpWaitChoice c;
  c.spin = busy_cores < idle_below;
  c.reason = format2(busy_cores) + " of " + std::to_string(cores) + " cores busy" + (c.spin ? " < " : " >= ") +
             format2(idle_below);
  return c;
}

bool parse_cpu_times(const std::string& text, CpuTimes* times) {
  std::istringstream in(text);
  std::string label;
  if (!(in >> label) || label != "cpu") return false;
  // user nice system idle iowait irq softirq steal (guest time is in user).
  uint64_t v[8] = {};
  int n = 0;
  while (n < 8 && in >> v[n]) ++n;
  if (n < 4) return false;
  uint64_t total = 0;
  for (int i = 0; i < n; ++i) total += v[i];
  const uint64_t idle = v[3] + v[4];
  *times = CpuTimes{total - idle, total};
  return true;
}

void apply_omp_wait_policy(int sample_ms) {
  nlohmann::json& d = decision();
  if (!env_or_empty("OMP_WAIT_POLICY").empty() || !env_or_empty("GOMP_SPINCOUNT").empty()) {
    d = {{"policy", "user"}, {"reason", "set in the environment"}};
  } else {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    CpuTimes a, b;
    const bool ok_a = read_cpu_times(&a);
    std::this_thread::sleep_for(std::chrono::milliseconds(sample_ms));
    if (!ok_a || !read_cpu_times(&b) || b.total <= a.total || b.busy < a.busy) {
      // Unknown load: waiting passively is never badly wrong.
      setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
      d = {{"policy", "passive"}, {"reason", "core usage unknown"}};
    } else {
      const double busy = cores * static_cast<double>(b.busy - a.busy) / static_cast<double>(b.total - a.total);
      const OmpWaitChoice c = choose_omp_wait(busy, cores);
      if (c.spin)
        setenv("GOMP_SPINCOUNT", kOmpSpinCount, 1);
      else
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
      d = {{"policy", c.spin ? "spin" : "passive"}, {"reason", c.reason}};
    }
  }
  d["OMP_WAIT_POLICY"] = env_or_empty("OMP_WAIT_POLICY");
  d["GOMP_SPINCOUNT"] = env_or_empty("GOMP_SPINCOUNT");
}

nlohmann::json omp_wait_description() { return decision(); }

}  // namespace nnr
