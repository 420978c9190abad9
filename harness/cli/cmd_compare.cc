// nnr compare BASELINE RUN [--update] [--time-ratio X] [--no-times] ...
#include <cstdio>
#include <filesystem>
#include <optional>

#include "cli/commands.h"
#include "config/json_text.h"
#include "nnr/io.h"
#include "pipeline/results_log.h"
#include "report/compare_benchmarks.h"
#include "report/compare_output.h"
#include "report/compare_runs.h"

namespace nnr::cli {

namespace {

Status read_json_file(const std::string& path, nlohmann::json* doc) {
  const Status st = read_json_text(path, doc);
  return st.ok() || st.code() == ErrorCode::kIo ? st : Status(st.code(), st.byte_offset(), path + ": " + st.message());
}

void print(const Comparison& c, const char* what) {
  for (const auto& n : c.notes) std::printf("note: %s\n", n.c_str());
  if (c.passed()) {
    std::printf("PASS: %zu %s match the baseline\n", c.matched, what);
    return;
  }
  std::printf("%-48s %-15s %-28s %s\n", what, "regression", "baseline", "now");
  for (const auto& r : c.regressions)
    std::printf("%-48s %-15s %-28s %s\n", r.key.c_str(), r.kind.c_str(), r.baseline.c_str(), r.current.c_str());
  std::printf("FAIL: %zu regressions in %zu compared %s\n", c.regressions.size(), c.matched, what);
}

}  // namespace

Runner add_compare(CLI::App& app) {
  struct Opts {
    std::string baseline, run;
    bool update = false, no_times = false, allow_missing = false;
    std::optional<double> time_ratio;
    std::vector<std::string> tolerances;
    std::string junit, json;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("BASELINE", o->baseline,
                 "baseline: a results.json or a run folder, or a Google Benchmark JSON file")->required();
  app.add_option("RUN", o->run, "the run to check: a results.json or a run folder, or a Google Benchmark JSON file")
      ->required();
  app.add_flag("--update", o->update,
               "after the comparison, make RUN the new baseline (writes BASELINE; a regression still exits 1)");
  app.add_option("--time-ratio", o->time_ratio,
                 "a codec step slower than this factor regresses (default 3; 1.5 for benchmarks)")
      ->check(finite_check(0, 1e6, "a number above 0"));
  app.add_flag("--no-times", o->no_times, "do not compare times");
  app.add_flag("--allow-missing", o->allow_missing, "points of the baseline may be absent from RUN");
  app.add_option("--tolerance", o->tolerances, "METRIC=VALUE: largest accepted drop of a metric (repeatable)");
  app.add_option("--junit", o->junit, "also write the comparison as JUnit XML (a testcase per point and check)");
  app.add_option("--json", o->json, "also write the comparison as JSON");
  // The reports for CI servers.
  auto write_reports = [o](const Comparison& c, const char* suite) -> Status {
    if (!o->junit.empty()) {
      const std::string x = comparison_junit(c, suite);
      const Status s = write_file_atomic(o->junit, reinterpret_cast<const uint8_t*>(x.data()), x.size());
      if (!s.ok()) return s;
    }
    if (!o->json.empty()) {
      const std::string j = comparison_json(c).dump(1) + "\n";
      return write_file_atomic(o->json, reinterpret_cast<const uint8_t*>(j.data()), j.size());
    }
    return Status();
  };
  return [o, write_reports]() {
    // Google Benchmark output: benchmark by benchmark.
    nlohmann::json run;
    if (std::filesystem::is_regular_file(o->run) && read_json_file(o->run, &run).ok() && is_benchmark_json(run))
    {
      nlohmann::json base;
      const bool have_base = std::filesystem::exists(o->baseline);
      if (!have_base && !o->update)
        return report_error(o->baseline, Status(ErrorCode::kIo, kNoOffset, "no baseline (create it with --update)"));
      int code = 0;
      if (have_base) {
        const Status bs = read_json_file(o->baseline, &base);
        if (!bs.ok()) return report_error("", bs);
        if (!is_benchmark_json(base))
          return report_error(o->baseline, Status(ErrorCode::kInvalidArgument, kNoOffset,
                                                  "not Google Benchmark output, as the run is"));
        BenchmarkCompareOptions bo;
        bo.time_ratio = o->time_ratio.value_or(bo.time_ratio);
        bo.allow_missing = o->allow_missing;
        const Comparison c = compare_benchmarks(base, run, bo);
        print(c, "benchmarks");
        code = c.passed() ? 0 : 1;
        const Status ws = write_reports(c, "nnr.benchmarks");
        if (!ws.ok()) return report_error("", ws);
      }
      if (o->update) {
        const Status ws = write_json_atomic(o->baseline, run);
        if (!ws.ok()) return report_error(o->baseline, ws);
        std::printf("baseline updated: %s\n", o->baseline.c_str());
      }
      return code;
    }
    Status st = read_results(o->run, &run);
    if (!st.ok()) return report_error("", st);
    std::string baseline_file = o->baseline;
    if (std::filesystem::is_directory(baseline_file)) baseline_file += "/results.json";
    nlohmann::json base;
    const bool have_base = std::filesystem::exists(baseline_file);
    if (!have_base && !o->update)
      return report_error(baseline_file, Status(ErrorCode::kIo, kNoOffset, "no baseline (create it with --update)"));
    CompareOptions co;
    co.time_ratio = o->time_ratio.value_or(3.0);
    co.check_times = !o->no_times;
    co.allow_missing = o->allow_missing;
    const Status tol = parse_tolerances(o->tolerances, &co.metric_tolerance);
    if (!tol.ok()) return report_error("", tol);
    int code = 0;
    if (have_base) {
      st = read_results(baseline_file, &base);
      if (!st.ok()) return report_error("", st);
      const Comparison c = compare_runs(base, run, co);
      print(c, "points");
      if (!c.passed()) code = 1;
      const Status ws = write_reports(c, "nnr.compare");
      if (!ws.ok()) return report_error("", ws);
    }
    if (o->update) {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(baseline_file).parent_path(), ec);
      st = write_json_atomic(baseline_file, run);
      if (!st.ok()) return report_error(baseline_file, st);
      std::printf("baseline updated: %s\n", baseline_file.c_str());
    }
    // Updated or not, a regression fails the command: a job that updates
    // its baseline every night still sees the night it regressed.
    return code;
  };
}

}  // namespace nnr::cli
