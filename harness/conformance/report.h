// Running a list of conformance suites and reporting: a table on stdout
// (vector, tools, verdict, reason, time) and a JSON result file.
#ifndef NNR_HARNESS_CONFORMANCE_REPORT_H
#define NNR_HARNESS_CONFORMANCE_REPORT_H

#include <cstdio>
#include <string>
#include <vector>

#include "conformance/runner.h"

namespace nnr {

struct SuiteRunOptions {
  std::vector<std::string> suites;   // suite folders or single vector folders
  bool external = false;             // run `decoder` instead of the project's decoder
  ExternalDecoder decoder;
  int threads = 2;                   // in process: checked at 1 and this many threads
  int jobs = 1;                      // vectors checked at once
};

struct SuiteRunSummary {
  std::vector<VectorResult> results;
  int failed = 0;
  int interrupted = 0;  // the signal that stopped the run (common/interrupt.h), or 0
};

// Runs every vector of every suite; prints each row to `table` as soon as it
// and every row before it are done. A suite without vectors or a manifest
// that cannot be read counts as a failed vector.
SuiteRunSummary run_suites(const SuiteRunOptions& o, FILE* table);

// The JSON result: options, one record per vector, counts.
Status write_result_json(const std::string& path, const SuiteRunOptions& o, const SuiteRunSummary& s);

// "a, b, c" cut to `width` characters.
std::string tools_column(const std::vector<std::string>& tools, size_t width);

}  // namespace nnr

#endif
