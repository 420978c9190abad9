// Checks of an encoder's input that would otherwise surface as something
// else (a NaN as "levels do not fit int32", a misspelt tensor name in
// qp_per_tensor as a silently unused setting).
#ifndef NNR_ENC_INPUT_CHECKS_H
#define NNR_ENC_INPUT_CHECKS_H

#include <vector>

#include "nnr/encoder.h"

namespace nnr {

// Throws Error(kInvalidData) naming the tensor and the element of the
// first NaN or infinity among the float tensors.
void check_finite(const std::vector<Tensor>& tensors);

// Throws Error naming the first tensor whose name is not UTF-8 (or holds a
// NUL), or the first tensor of qp_per_tensor that the model does not have.
void check_named_tensors(const std::vector<Tensor>& tensors, const EncoderSettings& s);

}  // namespace nnr

#endif  // NNR_ENC_INPUT_CHECKS_H
