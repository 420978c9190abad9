// Writing decoded tensors as a folder of .npy files plus index.json.
#ifndef NNR_HARNESS_TENSOR_OUTPUT_H
#define NNR_HARNESS_TENSOR_OUTPUT_H

#include <string>
#include <vector>

#include "nnr/decoder.h"

namespace nnr {

// sha256 over the little-endian row-major bytes of the tensor.
std::string tensor_sha256(const Tensor& t);

// Writes DIR/<sanitized name>.npy per tensor and DIR/index.json (a list of
// {name, file, dtype, shape, sha256}). Two tensors whose sanitized names
// collide get a numeric suffix. Creates DIR.
Status write_tensor_folder(const std::string& dir, const std::vector<DecodedTensor>& tensors);

}  // namespace nnr

#endif
