// Parameter reduction stages: magnitude sparsification zeroes exactly its
// share of each weight, the smallest first; low rank finds a matrix's rank
// and multiplies back to it; recompose names what is missing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "pipeline/stages.h"

namespace nnr {
namespace {

using json = nlohmann::json;

Tensor tensor(const std::string& name, std::vector<int64_t> shape, std::mt19937& rng) {
  Tensor t;
  t.name = name;
  t.shape = std::move(shape);
  std::normal_distribution<float> g(0.0f, 1.0f);
  for (int64_t i = 0; i < t.numel(); ++i) t.f32.push_back(g(rng));
  return t;
}

TEST(Stages, SparsifyZeroesTheSmallestShare) {
  std::mt19937 rng(1);
  std::vector<Tensor> p = {tensor("w", {10, 20}, rng), tensor("b", {10}, rng)};
  const StageResult r = apply_stages(json::parse(R"([{"type": "sparsify", "ratio": 0.3}])"), p);
  ASSERT_EQ(r.params.size(), 2u);
  const auto& w = r.params[0].f32;
  EXPECT_EQ(std::count(w.begin(), w.end(), 0.0f), 60);
  // Every kept value is at least as large as every zeroed one was.
  float kept_min = INFINITY, zeroed_max = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] == 0.0f) zeroed_max = std::max(zeroed_max, std::fabs(p[0].f32[i]));
    else kept_min = std::min(kept_min, std::fabs(w[i]));
  }
  EXPECT_LE(zeroed_max, kept_min);
  EXPECT_TRUE(r.params[1].f32 == p[1].f32);  // vectors are not weights
  EXPECT_EQ(r.log[0]["effect"]["weights_zeroed"], 60);
}

TEST(Stages, LowRankFindsTheRankAndMultipliesBack) {
  std::mt19937 rng(2);
  // A rank-3 matrix, 24 x 40, as a [24, 10, 2, 2] convolution.
  const Tensor a = tensor("a", {24, 3}, rng), b = tensor("b", {3, 40}, rng);
  Tensor w;
  w.name = "conv.weight";
  w.shape = {24, 10, 2, 2};
  for (int i = 0; i < 24; ++i)
    for (int j = 0; j < 40; ++j) {
      float s = 0;
      for (int k = 0; k < 3; ++k) s += a.f32[static_cast<size_t>(i * 3 + k)] * b.f32[static_cast<size_t>(k * 40 + j)];
      w.f32.push_back(s);
    }
  const std::vector<Tensor> p = {w};
  const StageResult r = apply_stages(json::parse(R"([{"type": "low_rank", "energy": 0.999999}])"), p);
  ASSERT_EQ(r.params.size(), 2u);
  EXPECT_EQ(r.params[0].name, "conv.weight_G");
  EXPECT_EQ(r.params[0].shape, (std::vector<int64_t>{24, 3}));
  EXPECT_EQ(r.params[1].shape, (std::vector<int64_t>{3, 40}));
  EXPECT_EQ(r.settings["decomposed_weight_shape"]["conv.weight"], w.shape);
  std::vector<Tensor> back;
  std::string why;
  ASSERT_TRUE(recompose(r.params, p, &back, &why)) << why;
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].shape, w.shape);
  for (size_t i = 0; i < w.f32.size(); ++i) EXPECT_NEAR(back[0].f32[i], w.f32[i], 1e-4f * (1 + std::fabs(w.f32[i])));
  // A full-rank matrix is left as it is (its factors would be larger).
  std::vector<Tensor> full = {tensor("f", {8, 8}, rng)};
  EXPECT_EQ(apply_stages(json::parse(R"([{"type": "low_rank", "energy": 0.9}])"), full).params[0].name, "f");
  EXPECT_FALSE(recompose({}, p, &back, &why));
  EXPECT_NE(why.find("conv.weight"), std::string::npos);
}

}  // namespace
}  // namespace nnr
