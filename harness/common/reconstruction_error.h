// Reconstruction error of a decoded model against the encoder's input.
#ifndef NNR_HARNESS_RECONSTRUCTION_ERROR_H
#define NNR_HARNESS_RECONSTRUCTION_ERROR_H

#include <cstdint>
#include <vector>

#include "nnr/decoder.h"

namespace nnr {

struct ReconstructionError {
  double sse = 0, weight_sse = 0;        // sums of squared errors
  uint64_t count = 0, weight_count = 0;  // float values compared
  double max_abs = 0;
  size_t unmatched = 0;                  // input float tensors without a decoded twin
  double mse() const { return count ? sse / static_cast<double>(count) : 0.0; }
  double weight_mse() const { return weight_count ? weight_sse / static_cast<double>(weight_count) : 0.0; }
};

// Compares every float input tensor with the decoded tensor of the same name
// and shape (value-weighted: one term per element, in binary64). "Weights"
// are the tensors with two or more dimensions (convolution and linear layers).
ReconstructionError reconstruction_error(const std::vector<Tensor>& input, const DecodedModel& decoded);

}  // namespace nnr

#endif  // NNR_HARNESS_RECONSTRUCTION_ERROR_H
