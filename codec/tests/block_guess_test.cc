// Block information derived from PyTorch names for batch-norm folding.
#include <gtest/gtest.h>

#include "enc/block_guess.h"
#include "nnr/encoder.h"

namespace nnr {
namespace {

Tensor t(const std::string& name, std::vector<int64_t> shape) {
  Tensor x;
  x.name = name;
  x.shape = std::move(shape);
  x.f32.assign(static_cast<size_t>(x.numel()), 0.5f);
  return x;
}

void add_bn(std::vector<Tensor>& m, const std::string& p, int64_t c) {
  for (const char* n : {".weight", ".bias", ".running_mean", ".running_var"}) m.push_back(t(p + n, {c}));
}

TEST(BlockGuess, ConvolutionsJoinTheirBatchNorms) {
  std::vector<Tensor> m;
  m.push_back(t("conv1.weight", {16, 3, 3, 3}));
  add_bn(m, "bn1", 16);
  m.push_back(t("layer1.0.conv1.weight", {32, 16, 3, 3}));
  add_bn(m, "layer1.0.bn1", 32);
  m.push_back(t("fc.weight", {10, 32}));
  m.push_back(t("fc.bias", {10}));
  m.push_back(t("temperature", {1}));
  EncoderSettings s;
  s.bnf = true;
  std::string why;
  ASSERT_TRUE(guess_blocks(m, &s, &why)) << why;
  EXPECT_TRUE(s.has_blocks);
  EXPECT_EQ(*s.block_id["bn1.weight"], *s.block_id["conv1.weight"]);
  EXPECT_EQ(*s.block_id["bn1.running_var"], *s.block_id["conv1.weight"]);
  EXPECT_EQ(s.parameter_type["bn1.weight"], "bn.gamma");
  EXPECT_EQ(s.parameter_type["bn1.bias"], "bn.beta");
  EXPECT_EQ(s.parameter_type["bn1.running_mean"], "bn.mean");
  EXPECT_EQ(*s.block_id["layer1.0.bn1.bias"], *s.block_id["layer1.0.conv1.weight"]);
  EXPECT_NE(*s.block_id["layer1.0.conv1.weight"], *s.block_id["conv1.weight"]);
  EXPECT_EQ(*s.block_id["fc.bias"], *s.block_id["fc.weight"]);
  EXPECT_EQ(s.parameter_type["fc.bias"], "bias");
  EXPECT_FALSE(s.block_id["temperature"].has_value());
  EXPECT_EQ(s.parameter_type["temperature"], "unspecified");
}

TEST(BlockGuess, BatchNormWithoutAMatchingWeightFails) {
  std::vector<Tensor> m;
  m.push_back(t("conv.weight", {16, 3, 3, 3}));
  add_bn(m, "bn", 24);  // 24 channels: no dimension of conv.weight
  EncoderSettings s;
  s.bnf = true;
  std::string why;
  EXPECT_FALSE(guess_blocks(m, &s, &why));
  EXPECT_NE(why.find("bn.weight"), std::string::npos) << why;
  EXPECT_FALSE(s.has_blocks);

  // The encoder then codes without folding, as the reference encoder does, and says why.
  EncoderSettings e;
  e.bnf = true;
  e.model_kind = ModelKind::kPyTorch;
  EncodeResult r;
  ASSERT_TRUE(encode(m, e, &r).ok());
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_NE(r.messages[0].find("batch-norm folding is off"), std::string::npos) << r.messages[0];
  EXPECT_EQ(r.reconstruction.size(), m.size());
}

}  // namespace
}  // namespace nnr
