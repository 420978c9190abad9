// Checking a decoder's output against a conformance vector, bit for bit.
#ifndef NNR_HARNESS_CONFORMANCE_RUNNER_H
#define NNR_HARNESS_CONFORMANCE_RUNNER_H

#include <string>
#include <vector>

#include "conformance/vector.h"
#include "nnr/decoder.h"

namespace nnr {

struct VectorResult {
  std::string name;
  bool pass = false;
  std::string reason;  // empty when passed
  double seconds = 0;
  size_t tensors = 0;
};

// Compares decoded tensors with the expected list: same names, dtypes, shapes
// and sha256, nothing missing, nothing extra.
VectorResult compare_outputs(const ConformanceVector& v, const std::vector<DecodedTensor>& got);

// Decodes the vector's stream with the project's decoder and compares.
VectorResult run_vector_in_process(const ConformanceVector& v, const DecodeOptions& options);

}  // namespace nnr

#endif
