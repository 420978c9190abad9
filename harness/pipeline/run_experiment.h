// The experiment loop: for each use case x codec x working point, encode,
// decode, verify, load, evaluate and time; one record per point, written as
// soon as it is done.
#ifndef NNR_HARNESS_RUN_EXPERIMENT_H
#define NNR_HARNESS_RUN_EXPERIMENT_H

#include <cstdio>
#include <string>

#include "config/run_config.h"
#include "nnr/error.h"

namespace nnr {

struct RunOptions {
  std::string out_dir;  // default: <output_root>/<name>
  bool resume = false;  // continue a run: skip every point already recorded
  bool retry_failed = false;  // with resume: run failed points again
  int jobs = 0;               // points in parallel (0: the config's)
  int shard_index = 0;        // run the points whose index % shard_count == shard_index
  int shard_count = 1;
  bool tty = false;           // progress as a live status line
  std::FILE* log = stderr;
};

struct RunSummary {
  std::string out_dir;
  size_t points = 0;    // in this shard
  size_t skipped = 0;   // already recorded (resume)
  size_t done = 0;      // run now
  size_t failed = 0;    // run now, with an error record
  double seconds = 0;
  int interrupted = 0;  // the signal that stopped the run (common/interrupt.h), or 0
};

Status run_experiment(const RunConfig& config, const RunOptions& options, RunSummary* summary);

// A point whose decoded parameters are not the encoder's reconstruction bit
// for bit ("verified": false) is a failed point: status "error" with the
// first difference as its error; its metrics stay in the record.
void apply_verification(nlohmann::json& record);

// results.json from the run folder's run.json and results.jsonl: metadata and
// every record in point order (for `nnr merge` and at the end of a run).
Status finalize_results(const std::string& out_dir);

}  // namespace nnr

#endif  // NNR_HARNESS_RUN_EXPERIMENT_H
