// Encoder -> decoder round trips over random tensors and random settings:
// the decoder must give back exactly the encoder's own reconstruction, at 1
// and 2 threads, with and without entry points.
#include <gtest/gtest.h>

#include <algorithm>
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
  // Units encoded in parallel give the same stream, reconstruction and notices.
  for (int threads : {2, 3}) {
    EncodeOptions eo;
    eo.threads = threads;
    EncodeResult rp;
    ASSERT_TRUE(encode(in, s, eo, &rp).ok()) << what;
    EXPECT_TRUE(rp.stream == r.stream) << what << " threads " << threads;
    EXPECT_EQ(rp.messages, r.messages) << what;
    ASSERT_EQ(rp.reconstruction.size(), r.reconstruction.size()) << what;
    for (size_t i = 0; i < rp.reconstruction.size(); ++i)
      EXPECT_TRUE(rp.reconstruction[i].bytes() == r.reconstruction[i].bytes()) << what;
  }
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

// A decomposed weight W = reshape(G H, shape) given as `<W>_G`, `<W>_H`.
struct Decomposed {
  std::vector<Tensor> inputs;  // G, H and the block's other members
  EncoderSettings settings;
};

Decomposed random_decomposition(std::mt19937_64& rng, int trial) {
  Decomposed d;
  EncoderSettings& s = d.settings;
  const int64_t r = 1 + static_cast<int64_t>(rng() % 12);
  const int64_t out = 1 + static_cast<int64_t>(rng() % 40), in = 1 + static_cast<int64_t>(rng() % 8);
  const bool conv = rng() & 1;  // W [out, in, 3, 3] or [out, in]
  const int64_t c = conv ? in * 9 : in;
  Tensor g = random_tensor(rng, "layer.weight_G", {out, r}, false);
  Tensor h = random_tensor(rng, "layer.weight_H", {r, c}, false);
  if (conv) s.decomposed_weight_shape["layer.weight"] = {out, in, 3, 3};
  s.use_dq = rng() & 1;
  s.scan_order = static_cast<int>(rng() % 5);
  s.param_opt = rng() % 3 != 0;
  s.codebook_mode = trial % 6 == 5 ? 1 + static_cast<int>(rng() % 2) : 0;
  d.inputs.push_back(random_tensor(rng, "first", {static_cast<int64_t>(1 + rng() % 9)}, false));
  d.inputs.push_back(std::move(g));
  d.inputs.push_back(std::move(h));
  if (rng() & 1) {  // the decomposed weight's block has a bias and batch-norm members
    s.has_blocks = true;
    s.block_id["layer.weight"] = "layer";
    s.parameter_type["layer.weight"] = "weight";
    auto add = [&](const std::string& name, const std::string& type) {
      Tensor t = random_tensor(rng, name, {out}, false);
      if (type == "bn.var")
        for (float& v : t.f32) v = std::fabs(v) + 0.5f;
      s.block_id[name] = "layer";
      s.parameter_type[name] = type;
      d.inputs.push_back(std::move(t));
    };
    add("layer.bias", "bias");
    if (rng() & 1) {
      add("bn.gamma", "bn.gamma");
      add("bn.beta", "bn.beta");
      add("bn.mean", "bn.mean");
      add("bn.var", "bn.var");
    }
  }
  d.inputs.push_back(random_tensor(rng, "last.weight", {5, 6}, false));
  return d;
}

TEST(RoundTrip, DecomposedWeights) {
  std::mt19937_64 rng(515);
  for (int trial = 0; trial < 40; ++trial) {
    const Decomposed d = random_decomposition(rng, trial);
    expect_round_trip(d.inputs, d.settings, "decomposition trial " + std::to_string(trial));
  }
}

// The decoded factors recompose to G H (spec 2.8.3) within the quantisation:
// each factor element within half a step (URQ) or within the farthest of its
// trellis candidates (DQ, spec 9.4: 0 and m..m+3 steps, m = max(1, trunc(t) - 1)),
// hence |G'H' - GH| <= sum_k eG |H| + |G| eH + eG eH.
TEST(RoundTrip, DecomposedWeightRecomposesToGH) {
  std::mt19937_64 rng(77);
  for (int trial = 0; trial < 30; ++trial) {
    Decomposed d = random_decomposition(rng, trial);
    d.settings.codebook_mode = 0;
    d.settings.qp = -40 + static_cast<int>(rng() % 16);
    EncodeResult r;
    ASSERT_TRUE(encode(d.inputs, d.settings, &r).ok());
    DecodedModel m;
    ASSERT_TRUE(decode(r.stream.data(), r.stream.size(), DecodeOptions{}, &m).ok());
    const Tensor *g = nullptr, *h = nullptr, *gq = nullptr, *hq = nullptr;
    for (const Tensor& t : d.inputs) {
      if (t.name == "layer.weight_G") g = &t;
      if (t.name == "layer.weight_H") h = &t;
    }
    for (const Tensor& t : m.tensors) {
      if (t.name == "layer.weight_G") gq = &t;
      if (t.name == "layer.weight_H") hq = &t;
    }
    ASSERT_TRUE(g && h && gq && hq) << "trial " << trial;
    ASSERT_EQ(gq->shape, g->shape);
    ASSERT_EQ(hq->shape, h->shape);
    const int qp = d.settings.qp;  // the factors are weights (qp_density 2, spec 4.1)
    const double step = std::ldexp(4 + (qp & 3), (qp >> 2) - 2);
    auto error_bound = [&](float v) {
      if (!d.settings.use_dq) return 0.5 * step * (1 + 1e-6);
      const double t = std::fabs(v) / step;
      const double m = std::max(1.0, std::trunc(t) - 1);
      return std::max(t, m + 3 - t) * step * (1 + 1e-6);
    };
    std::vector<double> eg(g->f32.size()), eh(h->f32.size());
    for (size_t i = 0; i < eg.size(); ++i) {
      eg[i] = error_bound(g->f32[i]);
      ASSERT_LE(std::fabs(gq->f32[i] - g->f32[i]), eg[i]) << "trial " << trial << " G " << i;
    }
    for (size_t i = 0; i < eh.size(); ++i) {
      eh[i] = error_bound(h->f32[i]);
      ASSERT_LE(std::fabs(hq->f32[i] - h->f32[i]), eh[i]) << "trial " << trial << " H " << i;
    }
    const int64_t rows = g->shape[0], rank = g->shape[1], cols = h->shape[1];
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        double w = 0, wq = 0, bound = 0;
        for (int64_t k = 0; k < rank; ++k) {
          const size_t gi = static_cast<size_t>(i * rank + k), hi = static_cast<size_t>(k * cols + j);
          w += static_cast<double>(g->f32[gi]) * h->f32[hi];
          wq += static_cast<double>(gq->f32[gi]) * hq->f32[hi];
          bound += eg[gi] * std::fabs(h->f32[hi]) + std::fabs(g->f32[gi]) * eh[hi] + eg[gi] * eh[hi];
        }
        ASSERT_LE(std::fabs(wq - w), bound * (1 + 1e-9)) << "trial " << trial << " W[" << i << "][" << j << "]";
      }
  }
}

TEST(RoundTrip, DecomposedWeightHeader) {
  Tensor g, h;
  g.name = "fc.weight_G";
  g.shape = {4, 2};
  g.f32 = {0.1f, -0.2f, 0.3f, 0.05f, -0.4f, 0.2f, 0.0f, 0.1f};
  h.name = "fc.weight_H";
  h.shape = {2, 6};
  h.f32 = {0.5f, -0.1f, 0.2f, 0.3f, 0.0f, -0.6f, 0.1f, 0.1f, -0.2f, 0.4f, 0.25f, 0.3f};
  EncoderSettings s;
  s.decomposed_weight_shape["fc.weight"] = {4, 3, 2};
  EncodeResult r;
  ASSERT_TRUE(encode({g, h}, s, &r).ok());
  DecodedModel m;
  DecodeOptions opt;
  ASSERT_TRUE(decode(r.stream.data(), r.stream.size(), opt, &m).ok());
  ASSERT_EQ(m.tensors.size(), 2u);
  EXPECT_EQ(m.tensors[0].name, "fc.weight_G");
  EXPECT_EQ(m.tensors[0].shape, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(m.tensors[1].name, "fc.weight_H");
  EXPECT_EQ(m.tensors[1].shape, (std::vector<int64_t>{2, 6}));

  // Factors that do not multiply, a shape of the wrong size, and local
  // scaling of a decomposed weight are errors naming the tensor or setting.
  Tensor bad = h;
  bad.shape = {3, 4};
  EXPECT_NE(encode({g, bad}, EncoderSettings{}, &r).message().find("fc.weight_H"), std::string::npos);
  s.decomposed_weight_shape["fc.weight"] = {4, 5};
  EXPECT_NE(encode({g, h}, s, &r).message().find("decomposed_weight_shape of 'fc.weight'"), std::string::npos);
  EncoderSettings ls;
  ls.has_blocks = true;
  ls.block_id["fc.weight"] = "fc";
  ls.parameter_type["fc.weight"] = "weight";
  ls.block_id["fc.weight_scaling"] = "fc";
  ls.parameter_type["fc.weight_scaling"] = "weight.ls";
  Tensor scale;
  scale.name = "fc.weight_scaling";
  scale.shape = {4};
  scale.f32 = {1, 1, 1, 1};
  const Status st = encode({g, h, scale}, ls, &r);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("local scaling of the decomposed weight 'fc.weight'"), std::string::npos) << st.message();
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
