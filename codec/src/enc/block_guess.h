// Block information derived from tensor names and shapes, for batch-norm
// folding of a PyTorch state dict given without block_id_and_param_type
// (what the reference encoder does when bnf is requested; spec 3.3).
#ifndef NNR_ENC_BLOCK_GUESS_H
#define NNR_ENC_BLOCK_GUESS_H

#include <string>
#include <vector>

#include "nnr/encoder.h"

namespace nnr {

// Fills s->block_id and s->parameter_type (and sets s->has_blocks) from the
// tensors of a PyTorch model:
//  - a tensor's module is its name up to the last '.'; its type comes from
//    the last name component (weight for >= 2 dims; for 1-D: bias/beta ->
//    bias, running_mean, running_var, weight_scaling, gamma, weight; other
//    tensors are in no block);
//  - consecutive tensors of one module form a block until a type repeats;
//  - a block with batch-norm statistics is batch norm: its 1-D weight is
//    bn.gamma and its bias bn.beta; each such block, in order, joins the
//    next weight block (in model order) one of whose weight dimensions equals
//    its length.
// Returns false, with the reason in *why, if the result is not valid block
// information (a batch-norm block left over, or a block that fails the
// checks of spec 3.3); then s is unchanged.
bool guess_blocks(const std::vector<Tensor>& tensors, EncoderSettings* s, std::string* why);

}  // namespace nnr

#endif  // NNR_ENC_BLOCK_GUESS_H
