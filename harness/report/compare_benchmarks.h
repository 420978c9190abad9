// The nightly check of Google Benchmark results (--benchmark_out JSON of
// nnr_bench_cli, nnr_bench_decode, nnr_bench_encode): each benchmark of the
// baseline against the run's, by name, on its fastest repetition; slower
// than time_ratio x the baseline, failed or missing regresses.
#ifndef NNR_HARNESS_COMPARE_BENCHMARKS_H
#define NNR_HARNESS_COMPARE_BENCHMARKS_H

#include <nlohmann/json.hpp>

#include "report/compare_runs.h"

namespace nnr {

struct BenchmarkCompareOptions {
  // Benchmarks repeat their timing, so a ratio much tighter than a run's
  // single-shot steps; this host's speed varies by about a fifth.
  double time_ratio = 1.5;
  bool allow_missing = false;
};

// Whether `doc` is Google Benchmark's JSON output.
bool is_benchmark_json(const nlohmann::json& doc);

Comparison compare_benchmarks(const nlohmann::json& baseline, const nlohmann::json& run,
                              const BenchmarkCompareOptions& options);

}  // namespace nnr

#endif  // NNR_HARNESS_COMPARE_BENCHMARKS_H
