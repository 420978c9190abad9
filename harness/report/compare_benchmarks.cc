#include "report/compare_benchmarks.h"

#include <cstdio>
#include <map>
#include <string>

namespace nnr {

namespace {

using nlohmann::json;

struct Timing {
  double seconds = -1;  // fastest repetition; < 0: none
  bool error = false;
  std::string message;
};

double unit_seconds(const std::string& unit) {
  if (unit == "ns") return 1e-9;
  if (unit == "us") return 1e-6;
  if (unit == "ms") return 1e-3;
  return 1.0;
}

// Per benchmark (its run_name), the fastest of its repetitions' real times.
std::map<std::string, Timing> timings(const json& doc) {
  std::map<std::string, Timing> out;
  for (const json& b : doc.value("benchmarks", json::array())) {
    if (!b.is_object() || b.value("run_type", "iteration") != "iteration") continue;
    const std::string name = b.value("run_name", b.value("name", ""));
    Timing& t = out[name];
    if (b.value("error_occurred", false)) {
      t.error = true;
      t.message = b.value("error_message", "");
      continue;
    }
    const double s = b.value("real_time", -1.0) * unit_seconds(b.value("time_unit", "ns"));
    if (s >= 0 && (t.seconds < 0 || s < t.seconds)) t.seconds = s;
  }
  return out;
}

std::string fmt(double s) {
  char b[32];
  std::snprintf(b, sizeof b, s < 1 ? "%.2f ms" : "%.3f s", s < 1 ? s * 1e3 : s);
  return b;
}

std::string machine(const json& doc) {
  const json c = doc.value("context", json::object());
  return c.value("host_name", std::string("?")) + ", " + std::to_string(c.value("num_cpus", 0)) + " CPUs at " +
         std::to_string(c.value("mhz_per_cpu", 0)) + " MHz";
}

}  // namespace

bool is_benchmark_json(const json& doc) {
  return doc.is_object() && doc.contains("benchmarks") && doc["benchmarks"].is_array() && doc.contains("context");
}

Comparison compare_benchmarks(const json& baseline, const json& run, const BenchmarkCompareOptions& options) {
  Comparison c;
  if (machine(baseline) != machine(run))
    c.notes.push_back("baseline and run come from different machines (" + machine(baseline) + " / " + machine(run) +
                      "): times compare the machines as much as the code");
  const std::map<std::string, Timing> base = timings(baseline), now = timings(run);
  for (const auto& [name, b] : base) {
    auto it = now.find(name);
    if (it == now.end()) {
      c.checks.push_back({name, "time"});
      if (!options.allow_missing)
        c.regressions.push_back({name, "missing", b.error ? "failed" : fmt(b.seconds), "-", "time"});
      continue;
    }
    const Timing& t = it->second;
    ++c.matched;
    c.checks.push_back({name, "time"});
    if (t.error) {
      c.regressions.push_back({name, "failed", b.error ? "failed" : fmt(b.seconds), t.message, "time"});
      continue;
    }
    if (b.error || b.seconds <= 0 || t.seconds < 0) continue;
    const double ratio = t.seconds / b.seconds;
    char r[32];
    std::snprintf(r, sizeof r, " (%.2fx)", ratio);
    if (ratio > options.time_ratio) c.regressions.push_back({name, "slower", fmt(b.seconds), fmt(t.seconds) + r, "time"});
    else if (ratio < 1 / options.time_ratio) c.notes.push_back(name + ": faster, " + fmt(b.seconds) + " -> " + fmt(t.seconds) + r);
  }
  for (const auto& [name, t] : now)
    if (!base.count(name)) c.notes.push_back(name + ": new benchmark");
  return c;
}

}  // namespace nnr
