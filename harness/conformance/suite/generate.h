// `nnr conform generate`: builds the project's conformance suite
// deterministically (streams, manifests, small expected tensors, COVERAGE.md)
// and checks every vector against the project's decoder on the way.
#ifndef NNR_HARNESS_CONFORMANCE_SUITE_GENERATE_H
#define NNR_HARNESS_CONFORMANCE_SUITE_GENERATE_H

#include <string>
#include <vector>

#include "nnr/error.h"

namespace nnr {

struct GenerateOptions {
  std::string out_dir = "datasets/conformance";
  std::vector<std::string> only;  // empty: every vector (and COVERAGE.md)
  // The recorded reference-decoder results shown in COVERAGE.md (a result
  // JSON of `nnr conform --json`); default OUT/nncodec_results.json.
  std::string nncodec_results;
};

// Writes the suite into out_dir (vector folders not in the suite are removed
// when generating everything). `report` gets one line per vector.
Status generate_suite(const GenerateOptions& o, std::string* report);

// Generates into a temporary folder and compares every file with out_dir;
// fails naming the first file that differs, is missing or is extra.
Status check_suite(const GenerateOptions& o, std::string* report);

}  // namespace nnr

#endif
