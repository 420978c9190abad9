// VGG16, ResNet50 (v1.5: stride in the 3x3 convolution) and MobileNetV2 as in
// torchvision, module for module, so that parameter names, order and shapes
// match torchvision's state dicts. One translation unit for the three keeps
// the build short (each unit that includes libtorch costs tens of seconds).
#include <cmath>

#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/pooling.h>

#include "models/models.h"

namespace nnr::models {

namespace nn = torch::nn;

namespace {

int64_t scaled(int64_t channels, double width_mult) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::lround(static_cast<double>(channels) * width_mult)));
}

nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad, bool bias, int64_t groups = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(bias).groups(groups));
}

// torchvision's initialisation: He (fan-out) for convolutions, BN at identity,
// Linear layers N(0, 0.01) (VGG, MobileNetV2) or PyTorch's default (ResNet).
void init_weights(nn::Module& m, bool linear_normal) {
  torch::NoGradGuard no_grad;
  for (auto& mod : m.modules(/*include_self=*/false)) {
    if (auto* c = mod->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
      if (c->bias.defined()) c->bias.zero_();
    } else if (auto* b = mod->as<nn::BatchNorm2d>()) {
      b->weight.fill_(1.0);
      b->bias.zero_();
    } else if (auto* l = mod->as<nn::Linear>()) {
      if (linear_normal) {
        nn::init::normal_(l->weight, 0.0, 0.01);
        l->bias.zero_();
      }
    }
  }
}

// ---- VGG16 (configuration D, no batch norm) -------------------------------
class Vgg16 final : public Net {
 public:
  explicit Vgg16(const Arch& a) {
    const double wm = a.at("width_mult");
    const int64_t cfg[] = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
    int64_t in = 3;
    for (int64_t v : cfg) {
      if (v == 0) {
        features_->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));
      } else {
        const int64_t out = scaled(v, wm);
        features_->push_back(conv(in, out, 3, 1, 1, true));
        features_->push_back(nn::ReLU(nn::ReLUOptions(true)));
        in = out;
      }
    }
    pool_ = arch_int(a, "pool_size");
    const int64_t cw = arch_int(a, "classifier_width");
    classifier_->push_back(nn::Linear(in * pool_ * pool_, cw));
    classifier_->push_back(nn::ReLU(nn::ReLUOptions(true)));
    classifier_->push_back(nn::Dropout(0.5));
    classifier_->push_back(nn::Linear(cw, cw));
    classifier_->push_back(nn::ReLU(nn::ReLUOptions(true)));
    classifier_->push_back(nn::Dropout(0.5));
    classifier_->push_back(nn::Linear(cw, arch_int(a, "num_classes")));
    register_module("features", features_);
    register_module("classifier", classifier_);
    init_weights(*this, true);
  }
  torch::Tensor forward(torch::Tensor x) override {
    x = features_->forward(x);
    x = torch::adaptive_avg_pool2d(x, {pool_, pool_});
    return classifier_->forward(x.flatten(1));
  }

 private:
  nn::Sequential features_, classifier_;
  int64_t pool_ = 7;
};

// ---- ResNet50 ---------------------------------------------------------------
class Bottleneck final : public nn::Module {
 public:
  Bottleneck(int64_t in, int64_t width, int64_t stride)
      : conv1(conv(in, width, 1, 1, 0, false)),
        bn1(width),
        conv2(conv(width, width, 3, stride, 1, false)),
        bn2(width),
        conv3(conv(width, width * 4, 1, 1, 0, false)),
        bn3(width * 4) {
    register_module("conv1", conv1);
    register_module("bn1", bn1);
    register_module("conv2", conv2);
    register_module("bn2", bn2);
    register_module("conv3", conv3);
    register_module("bn3", bn3);
    if (stride != 1 || in != width * 4) {
      downsample = nn::Sequential(conv(in, width * 4, 1, stride, 0, false), nn::BatchNorm2d(width * 4));
      register_module("downsample", downsample);
    }
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = torch::relu(bn1(conv1(x)));
    y = torch::relu(bn2(conv2(y)));
    y = bn3(conv3(y));
    return torch::relu(y + (downsample ? downsample->forward(x) : x));
  }

  nn::Conv2d conv1;
  nn::BatchNorm2d bn1;
  nn::Conv2d conv2;
  nn::BatchNorm2d bn2;
  nn::Conv2d conv3;
  nn::BatchNorm2d bn3;
  nn::Sequential downsample{nullptr};
};

class ResNet50 final : public Net {
 public:
  explicit ResNet50(const Arch& a) {
    const double wm = a.at("width_mult");
    int64_t in = scaled(64, wm);
    conv1_ = register_module("conv1", conv(3, in, 7, 2, 3, false));
    bn1_ = register_module("bn1", nn::BatchNorm2d(in));
    const int64_t blocks[] = {3, 4, 6, 3};
    for (int l = 0; l < 4; ++l) {
      const int64_t width = scaled(64 << l, wm);
      nn::ModuleList layer;
      for (int64_t b = 0; b < blocks[l]; ++b) {
        layer->push_back(std::make_shared<Bottleneck>(in, width, b == 0 && l > 0 ? 2 : 1));
        in = width * 4;
      }
      layers_[l] = register_module("layer" + std::to_string(l + 1), layer);
    }
    fc_ = register_module("fc", nn::Linear(in, arch_int(a, "num_classes")));
    init_weights(*this, false);
  }
  torch::Tensor forward(torch::Tensor x) override {
    x = torch::relu(bn1_(conv1_(x)));
    x = torch::max_pool2d(x, 3, 2, 1);
    for (auto& layer : layers_)
      for (auto& block : *layer) x = block->as<Bottleneck>()->forward(x);
    x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
    return fc_(x);
  }

 private:
  nn::Conv2d conv1_{nullptr};
  nn::BatchNorm2d bn1_{nullptr};
  nn::ModuleList layers_[4];
  nn::Linear fc_{nullptr};
};

// ---- MobileNetV2 --------------------------------------------------------------
// torchvision's _make_divisible: round to a multiple of 8, never below 90 %.
int64_t make_divisible(double v, int64_t divisor = 8) {
  int64_t n = std::max<int64_t>(divisor, static_cast<int64_t>(v + divisor / 2.0) / divisor * divisor);
  if (static_cast<double>(n) < 0.9 * v) n += divisor;
  return n;
}

// Conv2dNormActivation: conv (no bias), BN, ReLU6, children named 0, 1, 2.
// A Sequential with a concrete forward() so that it can sit in another one.
class ConvBnRelu6Impl final : public nn::SequentialImpl {
 public:
  ConvBnRelu6Impl(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t groups) {
    push_back(conv(in, out, k, stride, (k - 1) / 2, false, groups));
    push_back(nn::BatchNorm2d(out));
    push_back(nn::ReLU6(nn::ReLU6Options(true)));
  }
  torch::Tensor forward(torch::Tensor x) { return nn::SequentialImpl::forward(x); }
};
TORCH_MODULE(ConvBnRelu6);

ConvBnRelu6 conv_bn_relu6(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t groups) {
  return ConvBnRelu6(in, out, k, stride, groups);
}

class InvertedResidual final : public nn::Module {
 public:
  InvertedResidual(int64_t in, int64_t out, int64_t stride, int64_t expand) : residual_(stride == 1 && in == out) {
    const int64_t hidden = static_cast<int64_t>(std::lround(static_cast<double>(in * expand)));
    if (expand != 1) conv_->push_back(conv_bn_relu6(in, hidden, 1, 1, 1));
    conv_->push_back(conv_bn_relu6(hidden, hidden, 3, stride, hidden));
    conv_->push_back(conv(hidden, out, 1, 1, 0, false));
    conv_->push_back(nn::BatchNorm2d(out));
    register_module("conv", conv_);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = conv_->forward(x);
    return residual_ ? x + y : y;
  }

 private:
  nn::Sequential conv_;
  bool residual_;
};

class MobileNetV2 final : public Net {
 public:
  explicit MobileNetV2(const Arch& a) {
    const double wm = a.at("width_mult");
    int64_t in = make_divisible(32 * wm);
    const int64_t last = make_divisible(1280 * std::max(1.0, wm));
    features_->push_back(conv_bn_relu6(3, in, 3, 2, 1));
    const int64_t settings[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                    {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    for (const auto& s : settings) {
      const int64_t out = make_divisible(static_cast<double>(s[1]) * wm);
      for (int64_t i = 0; i < s[2]; ++i) {
        features_->push_back(std::make_shared<InvertedResidual>(in, out, i == 0 ? s[3] : 1, s[0]));
        in = out;
      }
    }
    features_->push_back(conv_bn_relu6(in, last, 1, 1, 1));
    classifier_->push_back(nn::Dropout(0.2));
    classifier_->push_back(nn::Linear(last, arch_int(a, "num_classes")));
    register_module("features", features_);
    register_module("classifier", classifier_);
    init_weights(*this, true);
  }
  torch::Tensor forward(torch::Tensor x) override {
    for (auto& m : *features_) {
      if (auto* ir = m->as<InvertedResidual>()) x = ir->forward(x);
      else x = m->as<ConvBnRelu6Impl>()->forward(x);
    }
    x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
    return classifier_->forward(x);
  }

 private:
  nn::ModuleList features_;
  nn::Sequential classifier_;
};

}  // namespace

std::shared_ptr<Net> make_vgg16(const Arch& a) { return std::make_shared<Vgg16>(a); }
std::shared_ptr<Net> make_resnet50(const Arch& a) { return std::make_shared<ResNet50>(a); }
std::shared_ptr<Net> make_mobilenetv2(const Arch& a) { return std::make_shared<MobileNetV2>(a); }

}  // namespace nnr::models
