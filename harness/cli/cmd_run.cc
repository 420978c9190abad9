// nnr run CONFIG [--resume] [--jobs N] [--shard K/N] [--output DIR]
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "cli/commands.h"
#include "common/interrupt.h"
#include "config/run_config.h"
#include "pipeline/run_experiment.h"

namespace nnr::cli {

Status parse_shard(const std::string& text, int* index, int* count) {
  int k = 0, n = 0;
  char extra = 0;
  if (std::sscanf(text.c_str(), "%d/%d%c", &k, &n, &extra) != 2 || n < 1 || k < 0 || k >= n)
    return Status(ErrorCode::kInvalidArgument, kNoOffset,
                  "--shard '" + text + "': expected K/N with 0 <= K < N (e.g. 0/4)");
  *index = k;
  *count = n;
  return Status();
}

Runner add_run(CLI::App& app) {
  struct Opts {
    std::string config, output, shard;
    bool resume = false, retry_failed = false;
    int jobs = 0;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("CONFIG", o->config, "run file (JSON, see configs/README.md)")->required();
  app.add_flag("--resume", o->resume, "continue a run: points already recorded are not run again");
  app.add_flag("--retry-failed", o->retry_failed, "with --resume: run failed points again");
  app.add_option("--jobs", o->jobs, "working points in parallel (default: the config's \"jobs\")")
      ->check(count_check(256));
  app.add_option("--shard", o->shard, "K/N: run only the points whose index modulo N is K (0-based)");
  app.add_option("--output", o->output, "run folder (default: <output_root>/<name>)");
  return [o]() {
    install_interrupt_handlers();
    RunConfig cfg;
    Status st = load_run_config(o->config, &cfg);
    if (!st.ok()) return report_error(o->config, st);
    RunOptions ro;
    ro.out_dir = o->output;
    ro.resume = o->resume || o->retry_failed;
    ro.retry_failed = o->retry_failed;
    ro.jobs = o->jobs;
    ro.tty = isatty(STDERR_FILENO);
    if (!o->shard.empty()) {
      st = parse_shard(o->shard, &ro.shard_index, &ro.shard_count);
      if (!st.ok()) return report_error("", st);
      if (ro.out_dir.empty())
        ro.out_dir = cfg.output_root + "/" + cfg.name + "-shard" + std::to_string(ro.shard_index) + "of" +
                     std::to_string(ro.shard_count);
    }
    RunSummary sum;
    st = run_experiment(cfg, ro, &sum);
    if (!st.ok()) return report_error(o->config, st);
    std::printf("run %s: %zu points (%zu run now, %zu already recorded, %zu failed) in %.1f s\n", cfg.name.c_str(),
                sum.points, sum.done, sum.skipped, sum.failed, sum.seconds);
    if (sum.interrupted) {
      std::fprintf(stderr, "nnr: run: interrupted (%s); the finished points are kept, --resume runs the rest\n",
                   sum.interrupted == SIGINT ? "SIGINT" : "SIGTERM");
      return 128 + sum.interrupted;
    }
    std::printf("results: %s/results.json\n", sum.out_dir.c_str());
    return sum.failed ? 1 : 0;
  };
}

}  // namespace nnr::cli
