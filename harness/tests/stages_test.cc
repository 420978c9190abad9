// Parameter reduction stages: magnitude sparsification zeroes exactly its
// share of each weight, the smallest first; micro-structured pruning and
// unification pick the blocks of least loss and mark them held; low rank
// finds a matrix's rank and multiplies back to it; recompose names what is
// missing; training stages without a network and misplaced stages are
// refused with the JSON path.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "config/json_reader.h"
#include "pipeline/reductions.h"
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
  const StageResult r = apply_stages(json::parse(R"([{"type": "sparsify", "ratio": 0.3}])"), p, nullptr);
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
  const StageResult r = apply_stages(json::parse(R"([{"type": "low_rank", "energy": 0.999999}])"), p, nullptr);
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
  EXPECT_EQ(apply_stages(json::parse(R"([{"type": "low_rank", "energy": 0.9}])"), full, nullptr).params[0].name, "f");
  EXPECT_FALSE(recompose({}, p, &back, &why));
  EXPECT_NE(why.find("conv.weight"), std::string::npos);
}

// A 4 x 4 x 1 weight in 2 x 2 x 1 blocks: the block with the smallest energy
// is zeroed (and held), the others untouched.
TEST(Stages, PruneZeroesTheBlocksOfLeastEnergy) {
  Tensor w;
  w.name = "fc.weight";
  w.shape = {4, 4};
  // Block (rows 2-3, cols 0-1) is small; the rest large.
  for (int o = 0; o < 4; ++o)
    for (int i = 0; i < 4; ++i) w.f32.push_back((o >= 2 && i < 2) ? 0.01f * (1 + o + i) : 1.0f + o + i);
  const std::vector<Tensor> p = {w};
  const StageResult r =
      apply_stages(json::parse(R"([{"type": "prune", "ratio": 0.25, "block": [2, 2, 1]}])"), p, nullptr);
  ASSERT_EQ(r.params.size(), 1u);
  ASSERT_TRUE(r.held.count("fc.weight"));
  for (int o = 0; o < 4; ++o)
    for (int i = 0; i < 4; ++i) {
      const size_t k = static_cast<size_t>(o * 4 + i);
      const bool pruned = o >= 2 && i < 2;
      EXPECT_EQ(r.params[0].f32[k], pruned ? 0.0f : w.f32[k]) << o << "," << i;
      EXPECT_EQ(r.held.at("fc.weight")[k], pruned ? 1 : 0);
    }
  EXPECT_EQ(r.log[0]["effect"]["blocks"], 4);
  EXPECT_EQ(r.log[0]["effect"]["blocks_pruned"], 1);
}

// Unification gives each chosen block one magnitude, the mean |w|, signs
// kept; the chosen block is the one whose magnitudes vary least. Blocks at
// the edge of a convolution's kernel dimension are smaller.
TEST(Stages, UnifySharesOneMagnitudePerBlock) {
  Tensor w;
  w.name = "conv.weight";
  w.shape = {2, 2, 3};  // out x in x kernel(3), blocks [2, 2, 2]: kernel 0-1 and kernel 2
  const float v[12] = {1.0f, -3.0f, 0.5f, 2.0f, 5.0f, 0.52f, -1.0f, 2.0f, -0.49f, 4.0f, -2.0f, 0.51f};
  w.f32.assign(v, v + 12);
  const std::vector<Tensor> p = {w};
  const StageResult r =
      apply_stages(json::parse(R"([{"type": "unify", "ratio": 0.5, "block": [2, 2, 2]}])"), p, nullptr);
  // Block 2 (kernel index 2: 0.5, 0.52, -0.49, 0.51) varies least: mean |w| 0.505.
  for (size_t k = 0; k < 12; ++k) {
    if (k % 3 == 2) {
      EXPECT_FLOAT_EQ(std::fabs(r.params[0].f32[k]), 0.505f) << k;
      EXPECT_EQ(std::signbit(r.params[0].f32[k]), std::signbit(v[k])) << k;
      EXPECT_EQ(r.held.at("conv.weight")[k], 1);
    } else {
      EXPECT_EQ(r.params[0].f32[k], v[k]) << k;
      EXPECT_EQ(r.held.at("conv.weight")[k], 0);
    }
  }
  EXPECT_EQ(r.log[0]["effect"]["blocks_unified"], 1);
}

// Graph diffusion: of four filters, three nearly equal and one apart, the
// equilibrium favours the three; pruning a quarter removes one of them, a
// half two of them, never the one apart.
TEST(Stages, FilterPruningRemovesRedundantChannels) {
  Tensor w;
  w.name = "conv.weight";
  w.shape = {4, 2, 1, 1};
  w.f32 = {1.0f, 1.0f, 1.02f, 0.98f, 0.99f, 1.01f, -3.0f, 2.0f};
  const std::vector<double> s = filter_importance(w.f32.data(), 4, 2);
  EXPECT_LT(s[3], std::min({s[0], s[1], s[2]}));
  for (double ratio : {0.25, 0.5}) {
    const StageResult r = apply_stages(
        json::parse(R"([{"type": "prune", "method": "filters", "ratio": )" + std::to_string(ratio) + "}]"), {w},
        nullptr);
    const auto& v = r.params[0].f32;
    int zero_rows = 0;
    for (int row = 0; row < 4; ++row) zero_rows += v[row * 2] == 0.0f && v[row * 2 + 1] == 0.0f;
    EXPECT_EQ(zero_rows, ratio == 0.25 ? 1 : 2);
    EXPECT_EQ(v[6], -3.0f);
    EXPECT_EQ(v[7], 2.0f);
    EXPECT_EQ(r.log[0]["effect"]["channels_pruned"], ratio == 0.25 ? 1 : 2);
  }
}

TEST(Stages, ThresholdSparsificationAndHeldZeros) {
  Tensor w;
  w.name = "w";
  w.shape = {2, 3};
  w.f32 = {0.05f, -0.2f, 0.0f, 0.09f, -0.1f, 1.0f};
  const StageResult r = apply_stages(json::parse(R"([{"type": "sparsify", "threshold": 0.1}])"), {w}, nullptr);
  EXPECT_EQ(r.params[0].f32, (std::vector<float>{0.0f, -0.2f, 0.0f, 0.0f, -0.1f, 1.0f}));
  EXPECT_EQ(r.held.at("w"), (std::vector<uint8_t>{1, 0, 1, 1, 0, 0}));
}

TEST(Stages, TrainingStagesNeedANetwork) {
  std::mt19937 rng(3);
  const std::vector<Tensor> p = {tensor("w", {4, 4}, rng)};
  for (const char* s : {R"([{"type": "fine_tune"}])", R"([{"type": "bn_adapt"}])",
                        R"([{"type": "sparsify", "ratio": 0.5, "fine_tune": {"samples": 10}}])",
                        R"([{"type": "sparsify", "ratio": 0.5, "sparsity_loss": {"m": 1}}])"}) {
    try {
      apply_stages(json::parse(s), p, nullptr);
      ADD_FAILURE() << s << " ran without a network";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("needs a use case"), std::string::npos) << e.what();
    }
  }
}

std::string stage_error(const std::string& text) {
  const json doc = json::parse(text);
  try {
    check_stages(JsonNode(doc, "/codecs/0/stages"));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Stages, ConfigErrorsNameThePath) {
  EXPECT_EQ(stage_error(R"([{"type": "sparsify", "ratio": 0.5, "fine_tune": {"samples": 100, "lr": 1e-3}},
                            {"type": "unify", "ratio": 0.2, "block": [4, 4, 1]}, {"type": "lsa"}])"), "");
  EXPECT_NE(stage_error(R"([{"type": "lsa"}, {"type": "fine_tune"}])").find("/codecs/0/stages/0"), std::string::npos);
  EXPECT_NE(stage_error(R"([{"type": "prune", "ratio": 0.5, "block": [4, 4]}])").find("/codecs/0/stages/0/block"),
            std::string::npos);
  EXPECT_NE(stage_error(R"([{"type": "fine_tune", "lr": -1}])").find("/codecs/0/stages/0/lr"), std::string::npos);
  EXPECT_NE(stage_error(R"([{"type": "sparsify", "ratio": 0.5, "sparsity_loss": {}}])").find("sparsity_loss"),
            std::string::npos);
  EXPECT_NE(stage_error(R"([{"type": "sparsify", "ratio": 0.5, "threshold": 0.1}])").find("one of"), std::string::npos);
  EXPECT_NE(stage_error(R"([{"type": "prune_filters"}])").find("unknown stage"), std::string::npos);
  EXPECT_TRUE(stages_end_with_lsa(json::parse(R"([{"type": "sparsify", "ratio": 0.1}, {"type": "lsa"}])")));
  EXPECT_FALSE(stages_end_with_lsa(json::parse(R"([{"type": "sparsify", "ratio": 0.1}])")));
}

}  // namespace
}  // namespace nnr
