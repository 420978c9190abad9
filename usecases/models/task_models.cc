// The two task models that are not torchvision's: a DCASE-style CNN on log-mel
// spectrograms and a convolutional image autoencoder (UC12b). Together with the
// factory, in one translation unit to keep the libtorch build short.
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

#include "models/models.h"

namespace nnr::models {

namespace nn = torch::nn;

namespace {

// The DCASE 2019 task 1 baseline's shape: two 7x7 conv blocks (BN, ReLU, max
// pooling 5 then 4), a dense layer and the classifier.
class DcaseCnn final : public Net {
 public:
  explicit DcaseCnn(const Arch& a) {
    const int64_t c = arch_int(a, "channels"), hidden = arch_int(a, "hidden");
    const int64_t h = arch_int(a, "n_mels") / 5 / 4, w = arch_int(a, "frames") / 5 / 4;
    conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(1, c, 7).padding(3)));
    bn1_ = register_module("bn1", nn::BatchNorm2d(c));
    conv2_ = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(c, 2 * c, 7).padding(3)));
    bn2_ = register_module("bn2", nn::BatchNorm2d(2 * c));
    fc1_ = register_module("fc1", nn::Linear(2 * c * h * w, hidden));
    fc2_ = register_module("fc2", nn::Linear(hidden, arch_int(a, "num_classes")));
    dropout_ = register_module("dropout", nn::Dropout(0.3));
  }
  torch::Tensor forward(torch::Tensor x) override {
    x = torch::max_pool2d(torch::relu(bn1_(conv1_(x))), 5);
    x = dropout_(x);
    x = torch::max_pool2d(torch::relu(bn2_(conv2_(x))), 4);
    x = dropout_(x);
    x = dropout_(torch::relu(fc1_(x.flatten(1))));
    return fc2_(x);
  }

 private:
  nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  nn::Linear fc1_{nullptr}, fc2_{nullptr};
  nn::Dropout dropout_{nullptr};
};

// Image autoencoder: two stride-2 5x5 analysis convolutions to a narrow latent
// at 1/4 resolution, mirrored by transposed convolutions; output in [0, 1].
class Uc12bAutoencoder final : public Net {
 public:
  explicit Uc12bAutoencoder(const Arch& a) {
    const int64_t c = arch_int(a, "channels"), l = arch_int(a, "latent_channels");
    encoder_ = nn::Sequential(nn::Conv2d(nn::Conv2dOptions(3, c, 5).stride(2).padding(2)), nn::ReLU(),
                              nn::Conv2d(nn::Conv2dOptions(c, c, 5).stride(2).padding(2)), nn::ReLU(),
                              nn::Conv2d(nn::Conv2dOptions(c, l, 3).padding(1)));
    decoder_ = nn::Sequential(nn::Conv2d(nn::Conv2dOptions(l, c, 3).padding(1)), nn::ReLU(),
                              nn::ConvTranspose2d(nn::ConvTranspose2dOptions(c, c, 4).stride(2).padding(1)), nn::ReLU(),
                              nn::ConvTranspose2d(nn::ConvTranspose2dOptions(c, 3, 4).stride(2).padding(1)),
                              nn::Sigmoid());
    register_module("encoder", encoder_);
    register_module("decoder", decoder_);
  }
  torch::Tensor forward(torch::Tensor x) override { return decoder_->forward(encoder_->forward(x)); }

 private:
  nn::Sequential encoder_, decoder_;
};

}  // namespace

std::shared_ptr<Net> make_dcase_cnn(const Arch& a) { return std::make_shared<DcaseCnn>(a); }
std::shared_ptr<Net> make_uc12b_autoencoder(const Arch& a) { return std::make_shared<Uc12bAutoencoder>(a); }

std::shared_ptr<Net> make_net(const std::string& id, const Arch& a) {
  if (id == "vgg16") return make_vgg16(a);
  if (id == "resnet50") return make_resnet50(a);
  if (id == "mobilenetv2") return make_mobilenetv2(a);
  if (id == "dcase") return make_dcase_cnn(a);
  if (id == "uc12b") return make_uc12b_autoencoder(a);
  return nullptr;
}

}  // namespace nnr::models
