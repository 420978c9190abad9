// The use cases' networks, built with torch::nn and named as torchvision (or
// the task's reference model) names their parameters, so that state dicts
// load by name. Private to the torch part of the use cases.
#ifndef NNR_USECASES_MODELS_MODELS_H
#define NNR_USECASES_MODELS_MODELS_H

#include <memory>
#include <string>

#include <torch/nn/module.h>

#include "models/arch.h"

namespace nnr::models {

// A network with one input and one output.
class Net : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor x) = 0;
};

std::shared_ptr<Net> make_vgg16(const Arch& a);
std::shared_ptr<Net> make_resnet50(const Arch& a);
std::shared_ptr<Net> make_mobilenetv2(const Arch& a);
std::shared_ptr<Net> make_dcase_cnn(const Arch& a);
std::shared_ptr<Net> make_uc12b_autoencoder(const Arch& a);

// By use-case id; nullptr for an unknown id. Weights are initialised as
// torchvision initialises them, from torch's global generator (seed it first).
std::shared_ptr<Net> make_net(const std::string& id, const Arch& a);

}  // namespace nnr::models

#endif
