// Encoder -> decoder round trips over random tensors and random settings:
// the decoder must give back exactly the encoder's own reconstruction, at 1
// and 2 threads, with and without entry points.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "nnr/decoder.h"
#include "nnr/encoder.h"

namespace nnr {
namespace {

Tensor random_tensor(std::mt19937_64& rng, const std::string& name, std::vector<int64_t> shape,
                     bool integer) {
  Tensor t;
  t.name = name;
  t.shape = std::move(shape);
  const size_t n = static_cast<size_t>(t.numel());
  std::normal_distribution<float> gauss(0.0f, 0.05f);
  std::exponential_distribution<float> expo(20.0f);
  if (integer) {
    t.dtype = DType::kInt32;
    std::uniform_int_distribution<int32_t> u(-100000, 100000);
    for (size_t i = 0; i < n; ++i) t.i32.push_back(i % 17 == 0 ? INT32_MIN + 1 + (u(rng) & 7) : u(rng));
    return t;
  }
  const int kind = static_cast<int>(rng() % 4);
  for (size_t i = 0; i < n; ++i) {
    float v = kind == 0 ? gauss(rng) : kind == 1 ? (rng() & 1 ? 1.0f : -1.0f) * expo(rng) : 0.0f;
    if (kind == 3) v = (rng() % 5 == 0) ? gauss(rng) * 40.0f : gauss(rng);  // outliers
    t.f32.push_back(v);
  }
  return t;
}

std::vector<int64_t> random_shape(std::mt19937_64& rng) {
  switch (rng() % 7) {
    case 0: return {1};
    case 1: return {static_cast<int64_t>(1 + rng() % 70)};
    case 2: return {1, static_cast<int64_t>(1 + rng() % 90)};
    case 3: return {static_cast<int64_t>(1 + rng() % 90), 1};
    case 4: return {static_cast<int64_t>(1 + rng() % 80), static_cast<int64_t>(1 + rng() % 80)};
    case 5: return {static_cast<int64_t>(1 + rng() % 40), static_cast<int64_t>(1 + rng() % 9), 3, 3};
    default: return {static_cast<int64_t>(65 + rng() % 70), static_cast<int64_t>(1 + rng() % 20)};
  }
}

void expect_round_trip(const std::vector<Tensor>& in, const EncoderSettings& s, const std::string& what) {
  EncodeResult r;
  const Status es = encode(in, s, &r);
  ASSERT_TRUE(es.ok()) << what << ": " << es.describe();
  for (int threads : {1, 2}) {
    for (bool eps : {true, false}) {
      DecodeOptions opt;
      opt.threads = threads;
      opt.use_entry_points = eps;
      DecodedModel m;
      const Status ds = decode(r.stream.data(), r.stream.size(), opt, &m);
      ASSERT_TRUE(ds.ok()) << what << ": " << ds.describe();
      EXPECT_TRUE(m.warnings.empty()) << what << ": " << m.warnings[0];
      ASSERT_EQ(m.tensors.size(), r.reconstruction.size()) << what;
      for (size_t i = 0; i < m.tensors.size(); ++i) {
        EXPECT_EQ(m.tensors[i].name, r.reconstruction[i].name) << what;
        EXPECT_EQ(m.tensors[i].shape, r.reconstruction[i].shape) << what;
        EXPECT_EQ(m.tensors[i].dtype, r.reconstruction[i].dtype) << what;
        EXPECT_TRUE(m.tensors[i].bytes() == r.reconstruction[i].bytes())
            << what << " tensor " << m.tensors[i].name << " threads " << threads;
      }
    }
  }
}

TEST(RoundTrip, RandomTensorsAndSettings) {
  std::mt19937_64 rng(2024);
  for (int trial = 0; trial < 60; ++trial) {
    EncoderSettings s;
    s.qp_density = static_cast<int>(rng() % 8);
    const int lo = -(1 << (5 + s.qp_density)) + 1;
    s.qp = lo / 2 + static_cast<int>(rng() % static_cast<uint64_t>(-lo / 2));
    s.nonweight_qp = s.qp - static_cast<int>(rng() % 8);
    s.use_dq = rng() & 1;
    s.scan_order = static_cast<int>(rng() % 5);
    s.param_opt = rng() % 3 != 0;
    s.cabac_unary_length_minus1 = static_cast<int>(rng() % 4 == 0 ? rng() % 40 : 10);
    s.codebook_mode = static_cast<int>(rng() % 5 == 0 ? 1 + rng() % 2 : 0);
    s.lambda_scale = rng() % 4 == 0 ? 0.5 + static_cast<double>(rng() % 3) : 0.0;
    std::vector<Tensor> in;
    const int count = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < count; ++i)
      in.push_back(random_tensor(rng, "t" + std::to_string(i) + "/w:0", random_shape(rng), rng() % 6 == 0));
    expect_round_trip(in, s, "trial " + std::to_string(trial));
  }
}

TEST(RoundTrip, BlocksWithEveryMemberKind) {
  std::mt19937_64 rng(99);
  for (int trial = 0; trial < 24; ++trial) {
    const int64_t d0 = 1 + static_cast<int64_t>(rng() % 70);
    std::vector<Tensor> in;
    in.push_back(random_tensor(rng, "conv.weight", {d0, 1 + static_cast<int64_t>(rng() % 9), 3, 3}, false));
    EncoderSettings s;
    s.has_blocks = true;
    s.use_dq = rng() & 1;
    s.scan_order = static_cast<int>(rng() % 5);
    s.block_id["conv.weight"] = "c";
    s.parameter_type["conv.weight"] = "weight";
    const bool ls = rng() & 1, bi = rng() & 1, bn = rng() & 1;
    auto add = [&](const std::string& name, const std::string& type) {
      Tensor t = random_tensor(rng, name, {d0}, false);
      if (type == "bn.var")
        for (float& v : t.f32) v = std::fabs(v) + 0.5f;
      in.push_back(std::move(t));
      s.block_id[name] = "c";
      s.parameter_type[name] = type;
    };
    if (ls) add("conv.weight_scaling", "weight.ls");
    if (bi) add("conv.bias", "bias");
    if (bn) {
      add("bn.gamma", "bn.gamma");
      add("bn.beta", "bn.beta");
      add("bn.mean", "bn.mean");
      add("bn.var", "bn.var");
    }
    s.bnf = bn && (rng() & 1);
    in.push_back(random_tensor(rng, "head.weight", {7, d0}, false));
    s.block_id["head.weight"] = std::nullopt;
    expect_round_trip(in, s, "block trial " + std::to_string(trial));
  }
}

TEST(RoundTrip, QpOutsideItsFieldIsAnError) {
  Tensor t;
  t.name = "w";
  t.shape = {4};
  t.f32 = {0.1f, 0.2f, 0.3f, 0.4f};
  EncoderSettings s;
  s.qp = -200;  // qp_density 2: the offset field holds -128..127
  s.nonweight_qp = -200;
  EncodeResult r;
  const Status st = encode({t}, s, &r);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("does not fit"), std::string::npos) << st.message();
}

TEST(RoundTrip, ScalarTensorBecomesShapeOne) {
  Tensor t;
  t.name = "scale";
  t.shape = {};
  t.f32 = {0.25f};
  EncodeResult r;
  ASSERT_TRUE(encode({t}, EncoderSettings{}, &r).ok());
  DecodedModel m;
  ASSERT_TRUE(decode(r.stream.data(), r.stream.size(), DecodeOptions{}, &m).ok());
  EXPECT_EQ(m.tensors[0].shape, (std::vector<int64_t>{1}));
}

}  // namespace
}  // namespace nnr
