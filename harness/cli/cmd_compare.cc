// nnr compare BASELINE RUN [--update] [--time-ratio X] [--no-times] ...
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "pipeline/results_log.h"
#include "report/compare_runs.h"

namespace nnr::cli {

Runner add_compare(CLI::App& app) {
  struct Opts {
    std::string baseline, run;
    bool update = false, no_times = false, allow_missing = false;
    double time_ratio = 3.0;
    std::vector<std::string> tolerances;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("BASELINE", o->baseline, "baseline: a results.json or a run folder")->required();
  app.add_option("RUN", o->run, "the run to check: a results.json or a run folder")->required();
  app.add_flag("--update", o->update, "after the comparison, make RUN the new baseline (writes BASELINE)");
  app.add_option("--time-ratio", o->time_ratio, "a codec step slower than this factor regresses (default 3)");
  app.add_flag("--no-times", o->no_times, "do not compare times");
  app.add_flag("--allow-missing", o->allow_missing, "points of the baseline may be absent from RUN");
  app.add_option("--tolerance", o->tolerances, "METRIC=VALUE: largest accepted drop of a metric (repeatable)");
  return [o]() {
    nlohmann::json run;
    Status st = read_results(o->run, &run);
    if (!st.ok()) return report_error("", st);
    std::string baseline_file = o->baseline;
    if (std::filesystem::is_directory(baseline_file)) baseline_file += "/results.json";
    nlohmann::json base;
    const bool have_base = std::filesystem::exists(baseline_file);
    if (!have_base && !o->update)
      return report_error(baseline_file, Status(ErrorCode::kIo, kNoOffset, "no baseline (create it with --update)"));
    CompareOptions co;
    co.time_ratio = o->time_ratio;
    co.check_times = !o->no_times;
    co.allow_missing = o->allow_missing;
    const Status tol = parse_tolerances(o->tolerances, &co.metric_tolerance);
    if (!tol.ok()) return report_error("", tol);
    int code = 0;
    if (have_base) {
      st = read_results(baseline_file, &base);
      if (!st.ok()) return report_error("", st);
      const Comparison c = compare_runs(base, run, co);
      for (const auto& n : c.notes) std::printf("note: %s\n", n.c_str());
      if (c.passed()) {
        std::printf("PASS: %zu points match the baseline\n", c.matched);
      } else {
        std::printf("%-48s %-15s %-28s %s\n", "point", "regression", "baseline", "now");
        for (const auto& r : c.regressions)
          std::printf("%-48s %-15s %-28s %s\n", r.key.c_str(), r.kind.c_str(), r.baseline.c_str(), r.current.c_str());
        std::printf("FAIL: %zu regressions in %zu compared points\n", c.regressions.size(), c.matched);
        code = 1;
      }
    }
    if (o->update) {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(baseline_file).parent_path(), ec);
      st = write_json_atomic(baseline_file, run);
      if (!st.ok()) return report_error(baseline_file, st);
      std::printf("baseline updated: %s\n", baseline_file.c_str());
      return 0;
    }
    return code;
  };
}

}  // namespace nnr::cli
