// COVERAGE.md of the project's suite, computed from the streams themselves:
// every syntax element value, tool and edge case found in each vector (by
// parsing and decoding it), what no vector covers and why, and the reference
// decoder's recorded verdict per vector.
#ifndef NNR_HARNESS_CONFORMANCE_SUITE_COVERAGE_H
#define NNR_HARNESS_CONFORMANCE_SUITE_COVERAGE_H

#include <cstdint>
#include <string>
#include <vector>

#include "nnr/error.h"

namespace nnr::suite {

struct CoverageInput {
  std::string name;
  std::string description;
  std::vector<std::string> exercises;
  std::vector<uint8_t> stream;
};

// The features found in one stream (keys of the coverage table).
std::vector<std::string> stream_features(const std::vector<uint8_t>& stream);

// The whole document. `nncodec_results` is a result JSON of `nnr conform`
// run with the reference decoder (may be absent).
Status coverage_markdown(const std::vector<CoverageInput>& vectors, const std::string& nncodec_results,
                         std::string* md);

}  // namespace nnr::suite

#endif
