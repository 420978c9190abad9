#include "pipeline/run_metadata.h"

#include "common/omp_wait.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <thread>

namespace nnr {

namespace {
// "/proc/self/status" style "Key:   123 kB" lines.
uint64_t proc_kb(const char* file, const std::string& key) {
  std::ifstream f(file);
  std::string line;
  while (std::getline(f, line)) {
    if (line.compare(0, key.size(), key) == 0 && line.size() > key.size() && line[key.size()] == ':')
      return std::stoull(line.substr(key.size() + 1)) * 1024;
  }
  return 0;
}
}  // namespace

nlohmann::json machine_description() {
  nlohmann::json m;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  m["hostname"] = host;
  std::ifstream cpu("/proc/cpuinfo");
  std::string line, model;
  while (std::getline(cpu, line))
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  m["cpu"] = model;
  m["cores"] = std::thread::hardware_concurrency();
  m["memory_bytes"] = proc_kb("/proc/meminfo", "MemTotal");
  utsname u{};
  if (uname(&u) == 0) m["os"] = std::string(u.sysname) + " " + u.release + " " + u.machine;
  m["omp_wait"] = omp_wait_description();
  return m;
}

std::string tool_git_revision() {
#ifdef NNR_GIT_REVISION
  return NNR_GIT_REVISION;
#else
  return "unknown";
#endif
}

std::string utc_timestamp() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return b;
}

uint64_t peak_rss_bytes() { return proc_kb("/proc/self/status", "VmHWM"); }

bool reset_peak_rss() {
  std::ofstream f("/proc/self/clear_refs");
  if (!f) return false;
  f << "5";  // resets the peak resident set size (Linux >= 4.0)
  return static_cast<bool>(f.flush());
}

uint64_t available_memory_bytes() { return proc_kb("/proc/meminfo", "MemAvailable"); }

}  // namespace nnr
