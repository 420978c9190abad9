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

#include "common/settings_json.h"
#include "config/json_reader.h"
#include "nnr/decoder.h"
#include "nnr/encoder.h"
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

// One cut over all weights: a weight of tiny values gives up everything before
// a weight of large ones gives up anything.
TEST(Stages, GlobalSparsificationCutsAcrossWeights) {
  std::mt19937 rng(5);
  std::vector<Tensor> p = {tensor("big", {10, 20}, rng), tensor("tiny", {10, 20}, rng), tensor("b", {10}, rng)};
  for (float& v : p[1].f32) v *= 1e-3f;
  const StageResult g =
      apply_stages(json::parse(R"([{"type": "sparsify", "ratio": 0.6, "scope": "global"}])"), p, nullptr);
  const auto zeros = [](const Tensor& t) { return std::count(t.f32.begin(), t.f32.end(), 0.0f); };
  EXPECT_EQ(zeros(g.params[1]), 200);
  EXPECT_EQ(zeros(g.params[0]), 40);
  EXPECT_TRUE(g.params[2].f32 == p[2].f32);
  float kept_min = INFINITY, zeroed_max = 0;
  for (size_t t = 0; t < 2; ++t)
    for (size_t i = 0; i < p[t].f32.size(); ++i) {
      if (g.params[t].f32[i] == 0.0f) zeroed_max = std::max(zeroed_max, std::fabs(p[t].f32[i]));
      else kept_min = std::min(kept_min, std::fabs(p[t].f32[i]));
    }
  EXPECT_LE(zeroed_max, kept_min);
  EXPECT_EQ(g.log[0]["effect"]["weights_zeroed"], 240);
  EXPECT_EQ(g.log[0]["effect"]["scope"], "global");
  // The default: the same share of each weight.
  const StageResult w = apply_stages(json::parse(R"([{"type": "sparsify", "ratio": 0.6}])"), p, nullptr);
  EXPECT_EQ(zeros(w.params[0]), 120);
  EXPECT_EQ(zeros(w.params[1]), 120);
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

// Super-blocks (the paper's section V.D): the blocks of least loss lie in
// different super-blocks; chosen by super-block, the one of least mean loss
// is unified whole, though it holds the block of larger loss.
TEST(Stages, UnifyBySuperBlocks) {
  Tensor w;
  w.name = "fc.weight";
  w.shape = {4, 4};
  w.f32 = {1.0f, -1.0f, 0.1f, 3.0f,     // A1 (equal magnitudes) | A2 (spread)
           1.0f, 1.0f, -3.0f, 0.1f,
           1.0f, 1.02f, 1.0f, -1.2f,    // B1 (close)            | B2 (closer than A2)
           -0.99f, 1.01f, 0.9f, 1.1f};
  const auto unified = [&](const std::string& stage) {
    const StageResult r = apply_stages(json::parse(stage), {w}, nullptr);
    std::vector<int> held;
    for (uint8_t h : r.held.at("fc.weight")) held.push_back(h);
    return std::make_pair(held, r.log[0]["effect"]);
  };
  const auto [by_block, fx1] = unified(R"([{"type": "unify", "ratio": 0.5, "block": [2, 2, 1]}])");
  EXPECT_EQ(by_block, (std::vector<int>{1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0}));
  const auto [by_super, fx2] =
      unified(R"([{"type": "unify", "ratio": 0.5, "block": [2, 2, 1], "super_block": [2, 4]}])");
  EXPECT_EQ(by_super, (std::vector<int>{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(fx2["super_blocks"], 2);
  EXPECT_EQ(fx2["super_blocks_unified"], 1);
  EXPECT_EQ(fx2["blocks_unified"], 2);
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
        json::parse(R"([{"type": "prune", "method": "filters", "keep_shapes": true, "ratio": )" + std::to_string(ratio) + "}]"), {w},
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

// Tensors named as the DCASE network's: conv1 (4 channels, batch norm),
// conv2 (6 channels, flattened 2 positions each into fc1), fc1 (5), fc2.
std::vector<Tensor> dcase_like(std::mt19937& rng) {
  std::vector<Tensor> p;
  auto add = [&](const std::string& n, std::vector<int64_t> shape) { p.push_back(tensor(n, std::move(shape), rng)); };
  add("conv1.weight", {4, 1, 3, 3});
  add("conv1.bias", {4});
  for (const char* b : {"weight", "bias", "running_mean", "running_var"}) add(std::string("bn1.") + b, {4});
  add("conv2.weight", {6, 4, 3, 3});
  add("conv2.bias", {6});
  for (const char* b : {"weight", "bias", "running_mean", "running_var"}) add(std::string("bn2.") + b, {6});
  add("fc1.weight", {5, 12});
  add("fc1.bias", {5});
  add("fc2.weight", {3, 5});
  add("fc2.bias", {3});
  return p;
}

const Tensor& find(const std::vector<Tensor>& p, const std::string& name) {
  for (const Tensor& t : p)
    if (t.name == name) return t;
  throw std::runtime_error("no tensor " + name);
}

// Which rows (of `rest` values each) of `before` survive in `after`, in order.
std::vector<int64_t> kept_rows(const Tensor& before, const Tensor& after, int64_t rest) {
  std::vector<int64_t> kept;
  const int64_t rows_after = after.numel() / rest;
  for (int64_t r = 0, j = 0; r < before.numel() / rest && j < rows_after; ++r)
    if (std::equal(before.f32.begin() + r * rest, before.f32.begin() + (r + 1) * rest, after.f32.begin() + j * rest))
      kept.push_back(r), ++j;
  return kept;
}

// Filter pruning that rebuilds the network: each group loses its share of
// channels in the producer's rows, in every per-channel tensor with it, and
// in the next layer's input columns (two columns per channel into fc1); the
// masks held for those tensors shrink with them.
TEST(Stages, FilterPruningRebuildCutsEveryTensorOfAGroup) {
  std::mt19937 rng(7);
  const std::vector<Tensor> p = dcase_like(rng);
  std::vector<models::ChannelGroup> groups;
  ASSERT_TRUE(models::channel_groups("dcase", p, &groups).ok());
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[1].consumers[0].tensor, "fc1.weight");
  EXPECT_EQ(groups[1].consumers[0].factor, 2);
  EXPECT_EQ(groups[0].producers.size(), 6u);  // weight, bias, the batch norm's four

  std::vector<Tensor> q = p;
  HeldMasks held;
  held["conv2.weight"].assign(6 * 4 * 9, 0);
  for (size_t i = 0; i < held["conv2.weight"].size(); i += 5) held["conv2.weight"][i] = 1;
  for (size_t i = 0; i < q.size(); ++i)
    if (q[i].name == "conv2.weight")
      for (size_t e = 0; e < q[i].f32.size(); e += 5) q[i].f32[e] = 0.0f;  // held zeros, as a sparsify stage leaves
  const std::vector<Tensor> before = q;
  const json fx = prune_filters_rebuild(q, 0.5, groups, &held);
  EXPECT_EQ(fx["channels"], 15);
  EXPECT_EQ(fx["channels_pruned"], 2 + 3 + 2);

  // The kept channels, from the biases (distinct random values).
  const std::vector<int64_t> k1 = kept_rows(find(before, "conv1.bias"), find(q, "conv1.bias"), 1);
  const std::vector<int64_t> k2 = kept_rows(find(before, "conv2.bias"), find(q, "conv2.bias"), 1);
  EXPECT_EQ(kept_rows(find(before, "conv1.weight"), find(q, "conv1.weight"), 9), k1);
  ASSERT_EQ(k1.size(), 2u);
  ASSERT_EQ(k2.size(), 3u);
  EXPECT_EQ(find(q, "conv1.weight").shape, (std::vector<int64_t>{2, 1, 3, 3}));
  EXPECT_EQ(find(q, "bn1.running_var").shape, (std::vector<int64_t>{2}));
  for (size_t c = 0; c < 2; ++c) {
    EXPECT_EQ(find(q, "bn1.bias").f32[c], find(before, "bn1.bias").f32[static_cast<size_t>(k1[c])]);
    EXPECT_EQ(find(q, "bn1.running_mean").f32[c], find(before, "bn1.running_mean").f32[static_cast<size_t>(k1[c])]);
  }
  // conv2: rows k2 of the original, and of each, the input channels k1.
  const Tensor& w2 = find(q, "conv2.weight");
  ASSERT_EQ(w2.shape, (std::vector<int64_t>{3, 2, 3, 3}));
  const Tensor& o2 = find(before, "conv2.weight");
  for (int64_t o = 0; o < 3; ++o)
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t k = 0; k < 9; ++k) {
        const size_t at = static_cast<size_t>((o * 2 + i) * 9 + k);
        const size_t from = static_cast<size_t>((k2[static_cast<size_t>(o)] * 4 + k1[static_cast<size_t>(i)]) * 9 + k);
        EXPECT_EQ(w2.f32[at], o2.f32[from]);
        EXPECT_EQ(held.at("conv2.weight")[at], from % 5 == 0 ? 1 : 0);
      }
  // fc1: its rows pruned to 3 (5 channels, half cut: 2), its columns to the
  // two positions of each kept conv2 channel.
  const Tensor& f1 = find(q, "fc1.weight");
  ASSERT_EQ(f1.shape, (std::vector<int64_t>{3, 6}));
  const Tensor& of1 = find(before, "fc1.weight");
  std::vector<int64_t> r1;
  for (int64_t r = 0; r < 5; ++r)
    for (int64_t j = 0; j < 3; ++j) {
      bool same = true;
      for (int64_t c = 0; c < 3; ++c)
        for (int64_t pos = 0; pos < 2; ++pos)
          same = same && f1.f32[static_cast<size_t>(j * 6 + c * 2 + pos)] ==
                             of1.f32[static_cast<size_t>(r * 12 + k2[static_cast<size_t>(c)] * 2 + pos)];
      if (same) r1.push_back(r);
    }
  EXPECT_EQ(r1.size(), 3u);
  EXPECT_EQ(find(q, "fc2.weight").shape, (std::vector<int64_t>{3, 3}));
  int64_t total = 0;
  for (const Tensor& t : q) total += t.numel();
  EXPECT_EQ(fx["parameters_after"], total);
}

TEST(Stages, ChannelGroupsNameWhatDoesNotFit) {
  std::mt19937 rng(8);
  std::vector<Tensor> p = dcase_like(rng);
  std::vector<models::ChannelGroup> groups;
  Status s = models::channel_groups("generic", p, &groups);
  EXPECT_NE(s.message().find("'generic'"), std::string::npos) << s.message();
  std::vector<Tensor> missing(p.begin(), p.end() - 2);  // no fc2
  s = models::channel_groups("dcase", missing, &groups);
  EXPECT_NE(s.message().find("'fc2.weight'"), std::string::npos) << s.message();
  for (Tensor& t : p)
    if (t.name == "fc1.weight") t.shape = {5, 13}, t.f32.resize(65);
  s = models::channel_groups("dcase", p, &groups);
  EXPECT_NE(s.message().find("'fc1.weight' has 13 entries"), std::string::npos) << s.message();
  // Transposed convolutions: channels out along dimension 1, in along 0.
  std::vector<Tensor> ae;
  for (auto [n, sh] : std::vector<std::pair<std::string, std::vector<int64_t>>>{
           {"encoder.0.weight", {8, 3, 5, 5}}, {"encoder.2.weight", {8, 8, 5, 5}}, {"encoder.4.weight", {2, 8, 3, 3}},
           {"decoder.0.weight", {8, 2, 3, 3}}, {"decoder.2.weight", {8, 8, 4, 4}}, {"decoder.4.weight", {8, 3, 4, 4}}})
    ae.push_back(tensor(n, sh, rng));
  ASSERT_TRUE(models::channel_groups("uc12b", ae, &groups).ok());
  ASSERT_EQ(groups.size(), 5u);
  EXPECT_EQ(groups[4].producers[0].tensor, "decoder.2.weight");
  EXPECT_EQ(groups[4].producers[0].dim, 1);
  EXPECT_EQ(groups[4].consumers[0].tensor, "decoder.4.weight");
  EXPECT_EQ(groups[4].consumers[0].dim, 0);
  // A stage that rebuilds needs the network, and does not mix with low_rank.
  const std::vector<Tensor> d = dcase_like(rng);
  EXPECT_THROW(apply_stages(json::parse(R"([{"type": "prune", "method": "filters", "ratio": 0.5}])"), d, nullptr), Error);
}

// A use case's fine-tuning options replace every stage's fine-tuning
// options (epochs for samples), but not the sparsity-loss phase's or lsa's.
TEST(Stages, UseCaseFineTuningOverride) {
  const json stages = json::parse(R"([
    {"type": "sparsify", "ratio": 0.5, "sparsity_loss": {"m": 1, "samples": 100, "lr": 0.0003},
     "fine_tune": {"samples": 1000, "lr": 0.001, "batch_size": 32}},
    {"type": "fine_tune", "epochs": 1, "lr": 0.001},
    {"type": "lsa", "samples": 50}])");
  const json out = with_fine_tune_override(stages, json::parse(R"({"epochs": 2, "lr": 0.0001})"));
  EXPECT_EQ(out[0]["fine_tune"], json::parse(R"({"epochs": 2, "lr": 0.0001, "batch_size": 32})"));
  EXPECT_EQ(out[0]["sparsity_loss"], stages[0]["sparsity_loss"]);
  EXPECT_EQ(out[1], json::parse(R"({"type": "fine_tune", "epochs": 2, "lr": 0.0001})"));
  EXPECT_EQ(out[2], stages[2]);
  const json by_samples = with_fine_tune_override(stages, json::parse(R"({"samples": 64})"));
  EXPECT_EQ(by_samples[1], json::parse(R"({"type": "fine_tune", "samples": 64, "lr": 0.001})"));
  EXPECT_EQ(with_fine_tune_override(stages, json::object()), stages);
}

// A use case's options per stage type land on every stage of that type; a
// ratio replaces a threshold (one of them is allowed), other types stay.
TEST(Stages, UseCaseStageOptions) {
  const json stages = json::parse(R"([
    {"type": "sparsify", "threshold": 0.1, "fine_tune": {"epochs": 1}},
    {"type": "low_rank", "energy": 0.9},
    {"type": "sparsify", "ratio": 0.2}])");
  const json out = with_stage_options(stages, json::parse(R"({"sparsify": {"ratio": 0.7, "scope": "global"},
                                                              "low_rank": {"rank_ratio": 0.5}})"));
  EXPECT_EQ(out[0], json::parse(R"({"type": "sparsify", "ratio": 0.7, "scope": "global", "fine_tune": {"epochs": 1}})"));
  EXPECT_EQ(out[1], json::parse(R"({"type": "low_rank", "rank_ratio": 0.5})"));
  EXPECT_EQ(out[2], json::parse(R"({"type": "sparsify", "ratio": 0.7, "scope": "global"})"));
  EXPECT_EQ(with_stage_options(stages, json::parse(R"({"unify": {"ratio": 0.1}})")), stages);
  EXPECT_EQ(with_stage_options(stages, json::object()), stages);
  // With the use case's fine-tuning options: a stage type's own win.
  const json both = stages_for_usecase(stages, json::parse(R"({"epochs": 2})"),
                                       json::parse(R"({"sparsify": {"fine_tune": {"epochs": 3, "lr": 0.01}}})"));
  EXPECT_EQ(both[0]["fine_tune"], json::parse(R"({"epochs": 3, "lr": 0.01})"));
  EXPECT_EQ(both[0]["threshold"], 0.1);
  const json ft_only = stages_for_usecase(stages, json::parse(R"({"epochs": 2})"), json::object());
  EXPECT_EQ(ft_only[0]["fine_tune"], json::parse(R"({"epochs": 2})"));
  // epochs and samples: one replaces the other, as ratio and threshold do.
  const json lsa = json::parse(R"([{"type": "lsa", "samples": 1000, "lr": 0.001}])");
  EXPECT_EQ(with_stage_options(lsa, json::parse(R"({"lsa": {"epochs": 2}})"))[0],
            json::parse(R"({"type": "lsa", "epochs": 2, "lr": 0.001})"));
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

// A qp_allocation's steps as qps: a step 2^x times the global one is x
// octaves, 2^qp_density qps each, rounded to the nearest; a user's own
// per-tensor qp stays.
TEST(Stages, QpAllocationAsPerTensorQps) {
  const std::map<std::string, double> steps = {{"a", 0.0}, {"b", -1.5}, {"c", 0.3}, {"d", 2.0}, {"e", -0.13}};
  const std::map<std::string, int> d2 = qp_per_tensor_from_steps(steps, -20, 2, {});
  EXPECT_EQ(d2, (std::map<std::string, int>{{"a", -20}, {"b", -26}, {"c", -19}, {"d", -12}, {"e", -21}}));
  const std::map<std::string, int> d0 = qp_per_tensor_from_steps(steps, -5, 0, {{"d", -40}, {"x", 3}});
  EXPECT_EQ(d0, (std::map<std::string, int>{{"a", -5}, {"b", -7}, {"c", -5}, {"d", -40}, {"e", -5}, {"x", 3}}));
}

// Channel steps travel as local scaling: the decoder's s * Q(W / s) keeps
// every output channel within half of its own step (plain rounding: URQ,
// no rate term), and the coarse channels do use their larger steps.
TEST(Stages, ChannelStepsAsLocalScaling) {
  std::mt19937 rng(3);
  const std::vector<Tensor> params = {tensor("m.weight", {4, 32}, rng), tensor("m.bias", {4}, rng),
                                      tensor("n.weight", {3, 5}, rng)};
  StageResult r;
  r.params = params;
  r.step_log2 = {{"m.weight", 0.3}, {"n.weight", -0.4}};
  r.channel_step_log2["m.weight"] = {-1.5, 0.0, 0.5, 1.0};
  const int qp = -20, qp_density = 2;
  const std::map<std::string, int> qps = qp_per_tensor_from_steps(r.step_log2, qp, qp_density, {});
  ASSERT_EQ(qps.at("m.weight"), -19);  // -20 + round(4 * 0.3)
  json settings = {{"qp", qp}, {"qp_density", qp_density}, {"use_dq", false}, {"qp_per_tensor", qps}};
  const std::vector<Tensor> coded = with_channel_steps(params, r, qp, qp_density, qps, &settings);
  ASSERT_EQ(coded.size(), 4u);
  EXPECT_EQ(coded[1].name, "m.weight_scaling");
  EXPECT_EQ(coded[3].f32, params[2].f32);  // one step for the whole of n.weight
  // What the qp's rounding left: 2^0.3 times the step of qp -20 over that of
  // -19 (spec 4.1: (4 + (qp & 3)) * 2^((qp >> 2) - 2), 4/128 and 5/128).
  const double rest = 0.3 + std::log2(4.0 / 5.0);
  for (int k = 0; k < 4; ++k) {
    const double s = std::exp2(r.channel_step_log2["m.weight"][k] + rest);
    EXPECT_NEAR(coded[1].f32[k], s, 1e-6 * s);
    for (int i = 0; i < 32; ++i) EXPECT_FLOAT_EQ(coded[0].f32[k * 32 + i] * static_cast<float>(s), params[0].f32[k * 32 + i]);
  }
  const json& blocks = settings["block_id_and_param_type"];
  EXPECT_EQ(blocks["block_identifier"]["m.weight_scaling"], "m.");
  EXPECT_EQ(blocks["parameter_type"]["m.weight_scaling"], "weight.ls");
  EXPECT_EQ(blocks["parameter_type"]["m.bias"], "bias");
  EXPECT_FALSE(blocks["block_identifier"].contains("n.weight"));

  EncoderSettings es;
  ASSERT_TRUE(settings_from_json(settings, "/settings", &es).ok());
  EncodeResult enc;
  ASSERT_TRUE(encode(coded, es, &enc).ok());
  DecodedModel dec;
  ASSERT_TRUE(decode(enc.stream.data(), enc.stream.size(), DecodeOptions(), &dec).ok());
  const Tensor* w = nullptr;
  for (const Tensor& t : dec.tensors) {
    EXPECT_EQ(t.name.find("_scaling"), std::string::npos) << t.name << " left in the output";
    if (t.name == "m.weight") w = &t;
  }
  ASSERT_NE(w, nullptr);
  std::vector<double> worst(4, 0.0);
  for (int k = 0; k < 4; ++k) {
    const double step = 5.0 / 128 * coded[1].f32[k];  // qp -19's, times the channel's scale
    for (int i = 0; i < 32; ++i) {
      const double e = std::abs(static_cast<double>(w->f32[k * 32 + i]) - params[0].f32[k * 32 + i]);
      EXPECT_LE(e, step / 2 * (1 + 1e-4) + 1e-7) << "channel " << k;
      worst[k] = std::max(worst[k], e);
    }
  }
  EXPECT_GT(worst[3], 5.0 / 128 * coded[1].f32[0] / 2);  // beyond the finest channel's bound

  // ls_qp: the scales at their own qp, reconstructed within half its step.
  StageResult coarse = r;
  coarse.ls_qp = -40;
  json at40 = settings;
  const std::vector<Tensor> c40 = with_channel_steps(params, coarse, qp, qp_density, qps, &at40);
  EXPECT_EQ(at40["qp_per_tensor"]["m.weight_scaling"], -40);
  EncoderSettings es40;
  ASSERT_TRUE(settings_from_json(at40, "/settings", &es40).ok());
  EncodeResult enc40;
  ASSERT_TRUE(encode(c40, es40, &enc40).ok());
  EXPECT_LT(enc40.stream.size(), enc.stream.size());
  DecodeOptions raw;
  raw.apply_local_scaling = false;
  DecodedModel dec40;
  ASSERT_TRUE(decode(enc40.stream.data(), enc40.stream.size(), raw, &dec40).ok());
  bool found = false;
  for (const DecodedTensor& t : dec40.tensors) {
    if (!t.is_local_scaling) continue;
    found = true;
    ASSERT_EQ(t.f32.size(), 4u);
    for (int k = 0; k < 4; ++k) EXPECT_LE(std::abs(t.f32[k] - c40[1].f32[k]), std::ldexp(1.0, -10) / 2 + 1e-9);  // 2^(-40/4)
  }
  EXPECT_TRUE(found);

  // A qp the entry sets for the weight itself stays, without scales.
  json own = json::object();
  const std::vector<Tensor> kept =
      with_channel_steps(params, r, qp, qp_density, qp_per_tensor_from_steps(r.step_log2, qp, qp_density, {{"m.weight", -30}}), &own);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[0].f32, params[0].f32);
  EXPECT_FALSE(own.contains("block_id_and_param_type"));
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
  EXPECT_NE(stage_error(R"([{"type": "sparsify", "ratio": 0.5, "scope": "all"}])").find("global"), std::string::npos);
  EXPECT_NE(stage_error(R"([{"type": "sparsify", "threshold": 0.1, "scope": "global"}])").find("ratio"),
            std::string::npos);
  EXPECT_NE(stage_error(R"([{"type": "prune_filters"}])").find("unknown stage"), std::string::npos);
  EXPECT_NE(stage_error(R"([{"type": "unify", "ratio": 0.5, "block": [2, 2, 1], "super_block": [3, 4]}])")
                .find("/codecs/0/stages/0/super_block/0"),
            std::string::npos);
  EXPECT_NE(stage_error(R"([{"type": "unify", "ratio": 0.5, "super_block": [64]}])").find("super_block"),
            std::string::npos);
  EXPECT_NE(stage_error(R"([{"type": "prune", "ratio": 0.5, "keep_shapes": true}])").find("/codecs/0/stages/0/keep_shapes"),
            std::string::npos);
  EXPECT_NE(stage_error(R"([{"type": "low_rank", "energy": 0.9}, {"type": "prune", "method": "filters", "ratio": 0.5}])")
                .find("/codecs/0/stages/1: filter pruning that rebuilds"),
            std::string::npos);
  EXPECT_EQ(stage_error(R"([{"type": "low_rank", "energy": 0.9},
                            {"type": "prune", "method": "filters", "ratio": 0.5, "keep_shapes": true}])"), "");
  EXPECT_EQ(stage_error(R"([{"type": "sparsify", "ratio": 0.5}, {"type": "qp_allocation", "max_scale": 8},
                            {"type": "lsa", "nonweights": true}])"), "");
  EXPECT_NE(stage_error(R"([{"type": "qp_allocation"}, {"type": "sparsify", "ratio": 0.5}])")
                .find("/codecs/0/stages/0: \"qp_allocation\" measures the model as coded"),
            std::string::npos);
  EXPECT_NE(stage_error(R"([{"type": "qp_allocation", "max_scale": 0.5}])").find("/codecs/0/stages/0/max_scale"),
            std::string::npos);
  EXPECT_NE(stage_error(R"([{"type": "qp_allocation", "lr": 0.1}])").find("lr"), std::string::npos);
  EXPECT_NE(stage_error(R"([{"type": "qp_allocation", "granularity": "row"}])").find("/codecs/0/stages/0/granularity"),
            std::string::npos);
  EXPECT_NE(stage_error(R"([{"type": "qp_allocation", "fisher": "true"}])").find("/codecs/0/stages/0/fisher"),
            std::string::npos);
  EXPECT_EQ(stage_error(R"([{"type": "qp_allocation", "granularity": "tensor", "fisher": "data", "ls_qp": -40},
                            {"type": "lsa", "ls_qp": -36}])"), "");
  EXPECT_NE(stage_error(R"([{"type": "lsa", "ls_qp": 0.5}])").find("/codecs/0/stages/0/ls_qp"), std::string::npos);
  EXPECT_EQ(stage_error(R"([{"type": "lsa", "weights": true, "weights_lr": 0.001}])"), "");
  EXPECT_NE(stage_error(R"([{"type": "lsa", "weights": "yes"}])").find("/codecs/0/stages/0/weights"), std::string::npos);
  EXPECT_NE(stage_error(R"([{"type": "lsa", "weights": true, "weights_lr": 0}])").find("/codecs/0/stages/0/weights_lr"),
            std::string::npos);
  EXPECT_NE(stage_error(R"([{"type": "lsa", "nonweights": 1}])").find("/codecs/0/stages/0/nonweights"),
            std::string::npos);
  EXPECT_NE(stage_error(R"([{"type": "fine_tune", "nonweights": true}])").find("nonweights"), std::string::npos);
  EXPECT_TRUE(stages_end_with_lsa(json::parse(R"([{"type": "sparsify", "ratio": 0.1}, {"type": "lsa"}])")));
  EXPECT_FALSE(stages_end_with_lsa(json::parse(R"([{"type": "sparsify", "ratio": 0.1}])")));
}

}  // namespace
}  // namespace nnr
