// Named tensors <-> a torch module, in PyTorch's state-dict order.
#ifndef NNR_USECASES_TORCH_STATE_H
#define NNR_USECASES_TORCH_STATE_H

#include <map>
#include <string>
#include <vector>

#include <torch/nn/module.h>

#include "nnr/error.h"
#include "nnr/tensor.h"

namespace nnr::torchuc {

// The module's floating-point parameters and buffers as state_dict() lists
// them (each module's own parameters, then its own buffers, then its children
// in registration order); integer buffers (num_batches_tracked) are left out.
std::vector<Tensor> state_tensors(torch::nn::Module& m);

// The shapes of state_tensors(m), by name, without copying values.
std::map<std::string, std::vector<int64_t>> state_shapes(torch::nn::Module& m);

// Copies `tensors` into the module by name. Every entry of state_tensors(m)
// must be present with its shape, and no other name may appear (int64
// counters aside); errors name the tensor and `source`.
//
// With `full_shapes` (the architecture's shapes by name), a tensor may also
// be smaller than the module's along any dimension, never larger (a network
// whose channels were pruned): the module's tensor is replaced by one of the
// new shape, and depthwise convolutions take their group count from their
// weight. Whether the shapes fit together shows when the network runs.
Status assign_state(torch::nn::Module& m, const std::vector<Tensor>& tensors, const std::string& source,
                    const std::map<std::string, std::vector<int64_t>>* full_shapes = nullptr);

// A TorchScript archive's parameters and floating-point buffers by name.
Status load_torchscript(const std::string& path, std::vector<Tensor>* out);

}  // namespace nnr::torchuc

#endif
