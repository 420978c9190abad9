// The nightly regression check: a run against a baseline, point by point
// (matched by key). A regression is a changed stream for the same settings, a
// stream that grew, a metric that dropped beyond tolerance, a decode no longer
// verified, a point that failed or is missing, or a codec step slower than
// the baseline by more than a (generous) factor.
#ifndef NNR_HARNESS_COMPARE_RUNS_H
#define NNR_HARNESS_COMPARE_RUNS_H

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace nnr {

struct CompareOptions {
  // Largest accepted drop per metric, in the metric's unit; others: 0.
  std::map<std::string, double> metric_tolerance = {
      {"top1", 0.1}, {"top5", 0.1}, {"psnr", 0.05}, {"ssim", 0.001}, {"parameter_snr_db", 0.01}};
  double time_ratio = 3.0;     // a step taking longer than this x the baseline regresses
  // Steps shorter than this in both runs are not compared: below it a run's
  // time is noise (short in-process steps are timed as the fastest of
  // repeated runs, so only single-shot external steps need more).
  double min_time_s = 0.002;
  bool check_times = true;
  bool allow_missing = false;  // points of the baseline absent from the run
};

struct Regression {
  std::string key;
  std::string kind;  // "stream changed", "stream grew", "metric dropped", "not verified", "failed", "missing", "slower"
  std::string baseline, current;
  std::string check;  // the check it failed, as in Comparison::checks
};

// One check of one point: "status", "stream", "size", "verified",
// "metric top1", "time decode_s", ...
struct Check {
  std::string key, check;
};

struct Comparison {
  std::vector<Regression> regressions;
  std::vector<Check> checks;  // every check made, passed or not (for JUnit)
  std::vector<std::string> notes;  // new points, changed settings, improvements
  size_t matched = 0;
  bool passed() const { return regressions.empty(); }
};

Comparison compare_runs(const nlohmann::json& baseline, const nlohmann::json& run, const CompareOptions& options);

}  // namespace nnr

#endif  // NNR_HARNESS_COMPARE_RUNS_H
