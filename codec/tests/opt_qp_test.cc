// opt_qp (spec 9.2): numpy's binary32 standard deviation bit for bit, and the
// qps it gives, checked against values computed with numpy 1.24 from the
// specification's formula.
#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "enc/numpy_std.h"
#include "nnr/decoder.h"
#include "nnr/encoder.h"

namespace nnr {
namespace {

// A linear congruential sequence that the numpy side reproduces exactly.
std::vector<float> lcg_values(uint32_t seed, size_t n, float scale) {
  std::vector<float> v(n);
  uint32_t s = seed;
  for (size_t i = 0; i < n; ++i) {
    s = s * 1664525u + 1013904223u;
    v[i] = static_cast<float>(static_cast<int32_t>(s >> 8) - (1 << 23)) * scale;
  }
  return v;
}

uint32_t bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

TEST(OptQp, StdIsNumpys) {
  // One LCG sequence (seed 12345) continued over arrays of these sizes, each
  // value * 1e-8 + 0.0123; expected: numpy.std bit patterns. Sizes above 8192
  // depend on numpy's buffered reduction.
  const std::vector<std::pair<size_t, uint32_t>> cases = {
      {1, 0x00000000},    {5, 0x3d652ce1},     {7, 0x3d3a7489},     {8, 0x3d582b7a},     {9, 0x3d22fda4},
      {100, 0x3d4138bc},  {128, 0x3d386c4b},   {129, 0x3d44e1a7},   {1000, 0x3d451308},  {8191, 0x3d4618a4},
      {8192, 0x3d46abab}, {8193, 0x3d451ae0},  {65535, 0x3d46981e}, {65536, 0x3d46b3ca}, {70001, 0x3d46e84d},
      {300007, 0x3d461c0c}, {2048000, 0x3d466344}};
  uint32_t s = 12345;
  for (const auto& [n, expected] : cases) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) {
      s = s * 1664525u + 1013904223u;
      v[i] = static_cast<float>(static_cast<int32_t>(s >> 8) - (1 << 23)) * 1e-8f + 0.0123f;
    }
    EXPECT_EQ(bits(numpy_std(v.data(), n)), expected) << "n = " << n;
  }
}

Tensor lcg_tensor(const std::string& name, std::vector<int64_t> shape, uint32_t seed, float scale) {
  Tensor t;
  t.name = name;
  t.shape = std::move(shape);
  const std::vector<float> v = lcg_values(seed, static_cast<size_t>(t.numel()), scale);
  t.f32.assign(v.begin(), v.end());
  return t;
}

std::vector<Tensor> small_model() {
  return {lcg_tensor("conv1.weight", {16, 3, 3, 3}, 1, 1e-8f), lcg_tensor("conv1.bias", {16}, 2, 1e-9f),
          lcg_tensor("conv2.weight", {32, 16, 3, 3}, 3, 3e-9f), lcg_tensor("fc.weight", {10, 512}, 4, 2e-8f),
          lcg_tensor("big.weight", {300, 200}, 5, 5e-9f)};
}

std::map<std::string, int> coded_qps(const std::vector<Tensor>& in, const EncoderSettings& s) {
  EncodeResult r;
  const Status st = encode(in, s, &r);
  EXPECT_TRUE(st.ok()) << st.describe();
  DecodedModel m;
  EXPECT_TRUE(decode(r.stream.data(), r.stream.size(), DecodeOptions{}, &m).ok());
  std::map<std::string, int> qps;
  for (const DecodedTensor& t : m.tensors) qps[t.name] = t.info.qp;
  return qps;
}

TEST(OptQp, QpsOfTheWeights) {
  EncoderSettings s;
  s.opt_qp = true;
  std::map<std::string, int> qps = coded_qps(small_model(), s);
  // big.weight has a share > 0.5, which becomes 0.15.
  EXPECT_EQ(qps["conv1.weight"], -36);
  EXPECT_EQ(qps["conv2.weight"], -32);
  EXPECT_EQ(qps["fc.weight"], -35);
  EXPECT_EQ(qps["big.weight"], -32);
  EXPECT_EQ(qps["conv1.bias"], -75);  // non-weights keep their qp

  s.qp = -20;
  qps = coded_qps(small_model(), s);
  EXPECT_EQ(qps["conv1.weight"], -19);
  EXPECT_EQ(qps["conv2.weight"], -17);
  EXPECT_EQ(qps["fc.weight"], -19);
  EXPECT_EQ(qps["big.weight"], -17);

  s.opt_qp = false;
  EXPECT_EQ(coded_qps(small_model(), s)["conv1.weight"], -20);
}

TEST(OptQp, DecomposedWeightCountsOnceAndGTakesHsQp) {
  std::vector<Tensor> in = small_model();
  in.push_back(lcg_tensor("dec.weight_G", {40, 6}, 6, 1e-8f));
  in.push_back(lcg_tensor("dec.weight_H", {6, 90}, 7, 2e-8f));
  EncoderSettings s;
  s.opt_qp = true;
  std::map<std::string, int> qps = coded_qps(in, s);
  EXPECT_EQ(qps["conv1.weight"], -36);
  EXPECT_EQ(qps["conv2.weight"], -32);
  EXPECT_EQ(qps["fc.weight"], -35);
  EXPECT_EQ(qps["big.weight"], -32);
  EXPECT_EQ(qps["dec.weight_G"], -36);
  EXPECT_EQ(qps["dec.weight_H"], -36);
}

TEST(OptQp, ConstantWeightsAreAnError) {
  Tensor w;
  w.name = "w";
  w.shape = {2, 2};
  w.f32 = {0.5f, 0.5f, 0.5f, 0.5f};
  EncoderSettings s;
  s.opt_qp = true;
  EncodeResult r;
  const Status st = encode({w}, s, &r);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("opt_qp"), std::string::npos);
}

}  // namespace
}  // namespace nnr
