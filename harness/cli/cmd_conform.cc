#include <cstdio>

#include "cli/commands.h"
#include "conformance/runner.h"

namespace nnr::cli {

Runner add_conform(CLI::App& app) {
  struct Opts {
    std::vector<std::string> suites;
    int threads = 0;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("SUITE", o->suites, "vector folders or folders of vectors")->required();
  app.add_option("--threads", o->threads, "decoder threads (0 = one per core)");
  return [o]() {
    int failed = 0, total = 0;
    std::printf("%-40s %-6s %8s  %s\n", "vector", "result", "seconds", "reason");
    for (const std::string& suite : o->suites) {
      const std::vector<std::string> dirs = find_vector_dirs(suite);
      if (dirs.empty()) {
        std::fprintf(stderr, "nnr: %s: no conformance vectors (no manifest.json)\n", suite.c_str());
        ++failed;
        continue;
      }
      for (const std::string& dir : dirs) {
        ++total;
        ConformanceVector v;
        Status s = load_vector(dir, &v);
        VectorResult r;
        if (!s.ok()) {
          r.name = dir;
          r.reason = s.describe();
        } else {
          DecodeOptions opt;
          opt.threads = o->threads;
          r = run_vector_in_process(v, opt);
        }
        if (!r.pass) ++failed;
        std::printf("%-40s %-6s %8.3f  %s\n", r.name.c_str(), r.pass ? "pass" : "FAIL", r.seconds,
                    r.reason.c_str());
      }
    }
    std::printf("%d passed, %d failed\n", total - failed, failed);
    return failed > 255 ? 255 : failed;
  };
}

}  // namespace nnr::cli
