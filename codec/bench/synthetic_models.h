// Deterministic synthetic models with real architectures' tensor shapes, for
// benchmarks at true size (no trained weights needed).
#ifndef NNR_BENCH_SYNTHETIC_MODELS_H
#define NNR_BENCH_SYNTHETIC_MODELS_H

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "nnr/tensor.h"

namespace nnr {

// torchvision ResNet-50 state-dict shapes (with batch-norm running statistics):
// 25,610,152 values. Laplacian weights, Gaussian vectors, seeded.
inline std::vector<Tensor> synthetic_resnet50(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Tensor> out;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, bool weight) {
    Tensor t;
    t.name = name;
    t.shape = std::move(shape);
    const size_t n = static_cast<size_t>(t.numel());
    t.f32.resize(n);
    std::exponential_distribution<float> e(weight ? 40.0f : 10.0f);
    std::normal_distribution<float> g(0.0f, 0.1f);
    for (size_t i = 0; i < n; ++i) t.f32[i] = weight ? ((rng() & 1) ? e(rng) : -e(rng)) : g(rng);
    out.push_back(std::move(t));
  };
  auto bn = [&](const std::string& p, int64_t c) {
    add(p + ".weight", {c}, false);
    add(p + ".bias", {c}, false);
    add(p + ".running_mean", {c}, false);
    add(p + ".running_var", {c}, false);
  };
  add("conv1.weight", {64, 3, 7, 7}, true);
  bn("bn1", 64);
  const int blocks[4] = {3, 4, 6, 3};
  int64_t in = 64;
  for (int l = 0; l < 4; ++l) {
    const int64_t width = 64 << l, outc = width * 4;
    for (int b = 0; b < blocks[l]; ++b) {
      const std::string p = "layer" + std::to_string(l + 1) + "." + std::to_string(b);
      add(p + ".conv1.weight", {width, in, 1, 1}, true);
      bn(p + ".bn1", width);
      add(p + ".conv2.weight", {width, width, 3, 3}, true);
      bn(p + ".bn2", width);
      add(p + ".conv3.weight", {outc, width, 1, 1}, true);
      bn(p + ".bn3", outc);
      if (b == 0) {
        add(p + ".downsample.0.weight", {outc, in, 1, 1}, true);
        bn(p + ".downsample.1", outc);
      }
      in = outc;
    }
  }
  add("fc.weight", {1000, 2048}, true);
  add("fc.bias", {1000}, false);
  return out;
}

}  // namespace nnr

#endif  // NNR_BENCH_SYNTHETIC_MODELS_H
