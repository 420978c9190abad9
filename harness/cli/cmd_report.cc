// nnr report RUN [--output DIR] [--reference CODEC] [--tolerance METRIC=VALUE ...]
#include <cstdio>
#include <filesystem>
#include <map>

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
    std::map<std::string, double> tolerances;
    const Status tol = parse_tolerances(o->tolerances, &tolerances);  // the command line first
    if (!tol.ok()) return report_error("", tol);
    nlohmann::json results;
    Status st = read_results(o->run, &results);
    if (!st.ok()) return report_error("", st);
    ReportOptions ro = report_options_of(results);
    if (!o->reference.empty()) ro.bd_reference = o->reference;
    for (const auto& [k, v] : tolerances) ro.transparent_tolerance[k] = v;
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
