// The records of a run as they finish: one JSON object per line in
// results.jsonl, each appended with a single write and flushed to disk, so a
// killed run loses at most the point it was working on. results.json (the
// run's metadata and every record) is written atomically from it.
#ifndef NNR_HARNESS_RESULTS_LOG_H
#define NNR_HARNESS_RESULTS_LOG_H

#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nnr/error.h"

namespace nnr {

class ResultsLog {
 public:
  explicit ResultsLog(std::string path) : path_(std::move(path)) {}

  // Reads the records written so far. A last line cut short by a kill is
  // dropped (and cut from the file, so later appends start on a clean line);
  // `dropped` tells how many bytes went.
  Status load(std::vector<nlohmann::json>* records, size_t* dropped = nullptr);
  // Appends one record (thread-safe).
  Status append(const nlohmann::json& record);
  // Rewrites the file with `records` (atomically).
  Status rewrite(const std::vector<nlohmann::json>& records);

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::mutex mutex_;
};

// Reads a results.json (or a run folder holding one, or a results.jsonl).
Status read_results(const std::string& path, nlohmann::json* doc);

// Writes `doc` as pretty JSON, atomically.
Status write_json_atomic(const std::string& path, const nlohmann::json& doc);

}  // namespace nnr

#endif  // NNR_HARNESS_RESULTS_LOG_H
