// Judging what an external decoder wrote to its output folder: one .npy per
// tensor, named by the sanitized tensor name (or listed in an optional
// index.json), each checked for dtype, shape and sha256 against the manifest.
#ifndef NNR_HARNESS_CONFORMANCE_OUTPUT_FOLDER_H
#define NNR_HARNESS_CONFORMANCE_OUTPUT_FOLDER_H

#include <string>

#include "conformance/runner.h"
#include "conformance/vector.h"

namespace nnr {

// Sets pass/reason of a result for `v` from the files in `dir`.
VectorResult compare_output_folder(const ConformanceVector& v, const std::string& dir);

// Where two little-endian tensors of the same dtype first differ, for the
// reason column ("element 17: got 0x..., expected 0x..."); empty if the
// expected tensor is not stored with the vector.
std::string first_difference(const ExpectedTensor& e, const std::vector<uint8_t>& got);

}  // namespace nnr

#endif
