// Which tensors share a channel, per use-case architecture: what filter
// pruning must cut together so that the network, rebuilt at the smaller
// shapes, still fits together (the NNR paper's section V.B.1). Torch-free:
// read from the parameters' names and shapes.
#ifndef NNR_USECASES_MODELS_CHANNEL_GROUPS_H
#define NNR_USECASES_MODELS_CHANNEL_GROUPS_H

#include <cstdint>
#include <string>
#include <vector>

#include "nnr/error.h"
#include "nnr/tensor.h"

namespace nnr::models {

// Channel c of a group is the slice [c * factor, (c + 1) * factor) of
// `tensor` along `dim` (factor > 1 where a flatten puts a channel's
// positions side by side in a linear layer's input).
struct ChannelSlice {
  std::string tensor;
  int dim = 0;
  int64_t factor = 1;
};

// A set of channels produced by one layer (its weight's rows, bias, the
// batch norm after it, a depthwise convolution on them) and read by the
// next ones. producers[0] is the weight whose rows rank the channels.
struct ChannelGroup {
  int64_t channels = 0;
  std::vector<ChannelSlice> producers;
  std::vector<ChannelSlice> consumers;
};

// The groups of the use case `id` (vgg16, resnet50, mobilenetv2, dcase,
// uc12b) that can be pruned without touching a residual sum or the network's
// input and output; every slice checked against `params`. An error names the
// use case or the tensor that does not fit (another architecture, a model
// already decomposed).
Status channel_groups(const std::string& id, const std::vector<Tensor>& params, std::vector<ChannelGroup>* out);

}  // namespace nnr::models

#endif
