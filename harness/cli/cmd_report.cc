// nnr report RUN [--output DIR] [--reference CODEC] [--tolerance METRIC=VALUE ...]
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "pipeline/results_log.h"
#include "report/report_tables.h"

namespace nnr::cli {

Runner add_report(CLI::App& app) {
  struct Opts {
    std::string run, output, reference;
    std::vector<std::string> tolerances;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("RUN", o->run, "a run folder or its results.json")->required();
  app.add_option("--output", o->output, "where report.md, report.csv and plots/ go (default: the run folder)");
  app.add_option("--reference", o->reference, "codec label BD-rates are computed against (default: the config's)");
  app.add_option("--tolerance", o->tolerances, "METRIC=VALUE: largest drop that counts as transparent (repeatable)");
  return [o]() {
    nlohmann::json results;
    Status st = read_results(o->run, &results);
    if (!st.ok()) return report_error("", st);
    ReportOptions ro = report_options_of(results);
    if (!o->reference.empty()) ro.bd_reference = o->reference;
    for (const auto& t : o->tolerances) {
      const size_t eq = t.find('=');
      char* end = nullptr;
      const double v = eq == std::string::npos ? 0 : std::strtod(t.c_str() + eq + 1, &end);
      if (eq == std::string::npos || !end || *end || v < 0)
        return report_error("", Status(ErrorCode::kInvalidArgument, kNoOffset,
                                       "--tolerance '" + t + "': expected METRIC=VALUE, e.g. top1=0.5"));
      ro.transparent_tolerance[t.substr(0, eq)] = v;
    }
    std::string dir = o->output;
    if (dir.empty())
      dir = std::filesystem::is_directory(o->run) ? o->run : std::filesystem::path(o->run).parent_path().string();
    if (dir.empty()) dir = ".";
    ReportFiles files;
    st = write_report(results, ro, dir, &files);
    if (!st.ok()) return report_error(dir, st);
    for (const auto& n : files.notes) std::fprintf(stderr, "nnr: %s\n", n.c_str());
    std::printf("report: %s\ntable:  %s\n", files.markdown.c_str(), files.csv.c_str());
    if (!files.plots.empty()) std::printf("curves: %zu files in %s/plots\n", files.plots.size(), dir.c_str());
    return 0;
  };
}

}  // namespace nnr::cli
