// Fine-tuning (UseCase::fine_tune), the training behind the parameter-
// reduction stages, on the embedded VGG16 with a few batches: the same seed
// gives the same parameters bit for bit; held elements keep their values;
// factored weights train through G and H and the network's weight is their
// product; local scaling trains one scale per output channel and nothing
// else, and with masters the weights through a quantizer; re-estimating batch-norm statistics (on the ResNet) leaves the
// parameters alone; the
// sparsity loss makes the weights sparser than the task loss alone; a use
// case without training data says so.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "nnr/usecase.h"

namespace nnr {
namespace {

std::unique_ptr<UseCase> vgg16() {
  UseCaseOptions o;
  o.id = "vgg16";
  o.threads = 1;
  o.limit = 64;
  std::unique_ptr<UseCase> uc;
  const Status s = make_usecase(o, &uc);
  EXPECT_TRUE(s.ok()) << s.describe();
  return uc;
}

FineTuneOptions few(const std::string& mode = "weights") {
  FineTuneOptions o;
  o.mode = mode;
  o.samples = 96;
  o.batch_size = 32;
  o.lr = 1e-3;
  o.seed = 7;
  return o;
}

std::map<std::string, Tensor> by_name(const std::vector<Tensor>& ts) {
  std::map<std::string, Tensor> m;
  for (const Tensor& t : ts) m[t.name] = t;
  return m;
}

bool is_weight(const Tensor& t) { return t.shape.size() >= 2; }

double l1_over_l2(const std::vector<Tensor>& ts) {
  double r = 0;
  for (const Tensor& t : ts) {
    if (!is_weight(t)) continue;
    double l1 = 0, l2 = 0;
    for (float v : t.f32) l1 += std::fabs(v), l2 += double(v) * v;
    r += l1 / std::sqrt(l2);
  }
  return r;
}

TEST(FineTune, SameSeedSameParametersAndHeldElementsKept) {
  std::unique_ptr<UseCase> uc = vgg16();
  ASSERT_TRUE(uc);
  const std::vector<Tensor> start = uc->parameters();
  const Tensor* w = nullptr;
  for (const Tensor& t : start)
    if (is_weight(t)) {
      w = &t;
      break;
    }
  ASSERT_NE(w, nullptr);
  FineTuneOptions o = few();
  std::vector<uint8_t>& mask = o.held[w->name];
  for (size_t i = 0; i < w->f32.size(); ++i) mask.push_back(i % 2);
  FineTuneReport rep;
  ASSERT_TRUE(uc->fine_tune(o, &rep).ok());
  EXPECT_EQ(rep.steps, 3);
  EXPECT_EQ(rep.samples, 96);
  const std::vector<Tensor> first = uc->parameters();
  ASSERT_TRUE(uc->load_parameters(start).ok());
  ASSERT_TRUE(uc->fine_tune(o, &rep).ok());
  const std::vector<Tensor> second = uc->parameters();
  ASSERT_EQ(first.size(), second.size());
  for (size_t i = 0; i < first.size(); ++i) EXPECT_TRUE(first[i].f32 == second[i].f32) << first[i].name;
  const Tensor after = by_name(first).at(w->name);
  size_t moved = 0;
  for (size_t i = 0; i < mask.size(); ++i) {
    if (mask[i]) EXPECT_EQ(after.f32[i], w->f32[i]) << i;
    else moved += after.f32[i] != w->f32[i];
  }
  EXPECT_GT(moved, mask.size() / 4);
  UseCaseMetrics m;
  EXPECT_TRUE(uc->evaluate(&m).ok());
  EXPECT_EQ(m.samples, 64);
}

TEST(FineTune, FactorsTrainAndTheWeightIsTheirProduct) {
  std::unique_ptr<UseCase> uc = vgg16();
  ASSERT_TRUE(uc);
  const std::vector<Tensor> start = uc->parameters();
  const Tensor* w = nullptr;
  for (const Tensor& t : start)
    if (t.shape.size() == 2) w = &t;  // the last linear layer
  ASSERT_NE(w, nullptr);
  const int64_t rows = w->shape[0], cols = w->shape[1], r = 3;
  Tensor g, h;
  g.name = w->name + "_G";
  g.shape = {rows, r};
  h.name = w->name + "_H";
  h.shape = {r, cols};
  for (int64_t i = 0; i < rows * r; ++i) g.f32.push_back(0.1f * std::sin(float(i)));
  for (int64_t i = 0; i < r * cols; ++i) h.f32.push_back(0.1f * std::cos(float(i)));
  FineTuneOptions o = few();
  o.factors[w->name] = {g, h};
  FineTuneReport rep;
  const Status s = uc->fine_tune(o, &rep);
  ASSERT_TRUE(s.ok()) << s.describe();
  ASSERT_TRUE(rep.factors.count(w->name));
  const Tensor& g2 = rep.factors.at(w->name).first;
  const Tensor& h2 = rep.factors.at(w->name).second;
  EXPECT_EQ(g2.name, g.name);
  EXPECT_EQ(g2.shape, g.shape);
  EXPECT_FALSE(g2.f32 == g.f32);
  EXPECT_FALSE(h2.f32 == h.f32);
  const Tensor now = by_name(uc->parameters()).at(w->name);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      double v = 0;
      for (int64_t k = 0; k < r; ++k) v += double(g2.f32[i * r + k]) * h2.f32[k * cols + j];
      EXPECT_NEAR(now.f32[i * cols + j], v, 1e-5) << i << "," << j;
    }
}

TEST(FineTune, LocalScalingTrainsOnlyScales) {
  std::unique_ptr<UseCase> uc = vgg16();
  ASSERT_TRUE(uc);
  const auto start = by_name(uc->parameters());
  FineTuneReport rep;
  ASSERT_TRUE(uc->fine_tune(few("scales"), &rep).ok());
  size_t weights = 0;
  for (const auto& [name, t] : start) weights += is_weight(t);
  ASSERT_EQ(rep.scales.size(), weights);
  const auto now = by_name(uc->parameters());
  bool some_scale_moved = false;
  for (const Tensor& s : rep.scales) {
    ASSERT_GT(s.name.size(), 8u);
    const std::string w = s.name.substr(0, s.name.size() - 8);  // <W>_scaling
    ASSERT_TRUE(start.count(w)) << s.name;
    const Tensor& w0 = start.at(w);
    ASSERT_EQ(s.shape, std::vector<int64_t>{w0.shape[0]});
    const int64_t per = w0.numel() / w0.shape[0];
    for (int64_t i = 0; i < w0.numel(); ++i)
      EXPECT_FLOAT_EQ(now.at(w).f32[i], w0.f32[i] * s.f32[i / per]) << w << " " << i;
    for (float v : s.f32) some_scale_moved |= v != 1.0f;
  }
  EXPECT_TRUE(some_scale_moved);
  for (const auto& [name, t] : start)
    if (!is_weight(t)) {
      EXPECT_TRUE(now.at(name).f32 == t.f32) << name << " changed";
    }
}

// Local scaling with "nonweights": the biases train too; every weight is
// still its start times its channel's scale.
TEST(FineTune, LocalScalingWithNonWeights) {
  std::unique_ptr<UseCase> uc = vgg16();
  ASSERT_TRUE(uc);
  const auto start = by_name(uc->parameters());
  FineTuneOptions o = few("scales");
  o.nonweights = true;
  FineTuneReport rep;
  ASSERT_TRUE(uc->fine_tune(o, &rep).ok());
  const auto now = by_name(uc->parameters());
  std::map<std::string, const Tensor*> scales;
  for (const Tensor& t : rep.scales) scales[t.name] = &t;
  size_t biases_moved = 0;
  for (const auto& [name, t] : start) {
    if (!is_weight(t)) {
      biases_moved += now.at(name).f32 != t.f32;
      continue;
    }
    const Tensor& sc = *scales.at(name + "_scaling");
    const int64_t per = t.numel() / t.shape[0];
    for (int64_t i = 0; i < t.numel(); ++i)
      ASSERT_FLOAT_EQ(now.at(name).f32[i], t.f32[i] * sc.f32[i / per]) << name << " " << i;
  }
  EXPECT_EQ(biases_moved, 16u);  // every bias of the 16 layers
}

// Local scaling with the weights trained through a quantizer (here rounding
// to multiples of 1/64, the oracle): every weight ends as the quantized
// master times its scale, the masters move, stay unquantized and repeat
// exactly; the quantizer runs once per step and once at the end; its
// failure and a master that does not fit are errors.
TEST(FineTune, LocalScalingWithRequantizedMasters) {
  const auto grid = [](float v) { return std::round(v * 64.0f) / 64.0f; };
  int calls = 0;
  FineTuneOptions o = few("scales");
  o.masters_lr = 1e-3;
  o.requantize = [&](std::map<std::string, Tensor>* w) -> Status {
    ++calls;
    for (auto& [name, t] : *w)
      for (float& v : t.f32) v = grid(v);
    return Status();
  };
  std::map<std::string, Tensor> trained[2];
  for (int run = 0; run < 2; ++run) {
    std::unique_ptr<UseCase> uc = vgg16();
    ASSERT_TRUE(uc);
    const auto start = by_name(uc->parameters());
    o.masters.clear();
    for (const auto& [name, t] : start)
      if (is_weight(t) && (name == "features.0.weight" || name == "classifier.6.weight")) o.masters[name] = t;
    ASSERT_EQ(o.masters.size(), 2u);
    // A sparse master stays sparse.
    auto& c6 = o.masters.at("classifier.6.weight").f32;
    for (size_t i = 0; i < c6.size(); i += 3) c6[i] = 0.0f;
    calls = 0;
    FineTuneReport rep;
    ASSERT_TRUE(uc->fine_tune(o, &rep).ok());
    EXPECT_EQ(calls, rep.steps + 1);
    ASSERT_EQ(rep.masters.size(), 2u);
    const auto now = by_name(uc->parameters());
    std::map<std::string, const Tensor*> scales;
    for (const Tensor& t : rep.scales) scales[t.name] = &t;
    for (const auto& [name, m] : rep.masters) {
      const Tensor& t0 = start.at(name);
      const Tensor& sc = *scales.at(name + "_scaling");
      const int64_t per = t0.numel() / t0.shape[0];
      int64_t moved = 0, off_grid = 0;
      for (int64_t i = 0; i < t0.numel(); ++i) {
        ASSERT_EQ(now.at(name).f32[i], grid(m.f32[i]) * sc.f32[i / per]) << name << " " << i;
        moved += m.f32[i] != t0.f32[i];
        off_grid += m.f32[i] != grid(m.f32[i]);
      }
      EXPECT_GT(moved, t0.numel() / 2) << name;
      EXPECT_GT(off_grid, t0.numel() / 2) << name;
      if (name == "classifier.6.weight") {
        for (size_t i = 0; i < m.f32.size(); i += 3) ASSERT_EQ(m.f32[i], 0.0f) << i;
      }
      trained[run][name] = m;
    }
    // The other weights stay their start times the scale.
    const Tensor& w = start.at("features.2.weight");
    const Tensor& sc = *scales.at("features.2.weight_scaling");
    EXPECT_EQ(now.at("features.2.weight").f32[0], w.f32[0] * sc.f32[0]);
  }
  for (const auto& [name, m] : trained[0]) EXPECT_TRUE(m.f32 == trained[1].at(name).f32) << name;

  std::unique_ptr<UseCase> uc = vgg16();
  ASSERT_TRUE(uc);
  FineTuneReport rep;
  FineTuneOptions bad = o;
  bad.requantize = [&](std::map<std::string, Tensor>*) { return Status(ErrorCode::kInvalidData, 17, "no room"); };
  Status s = uc->fine_tune(bad, &rep);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("requantizing at step 0: no room"), std::string::npos) << s.describe();
  bad = o;
  bad.masters.begin()->second.shape = {1, bad.masters.begin()->second.numel()};
  s = uc->fine_tune(bad, &rep);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("does not fit"), std::string::npos) << s.describe();
  bad = o;
  bad.mode = "weights";
  EXPECT_FALSE(uc->fine_tune(bad, &rep).ok());
}

// Sensitivity (the task loss's mean squared gradient per parameter) leaves
// the model alone, repeats exactly, and follows a rescaling that keeps the
// network's function: the first convolution (weight and bias) times 2 and
// the second's weight halved (ReLU is positively homogeneous, VGG16 has no
// batch norm) give the first a quarter of its sensitivity and the second
// four times, the others their own.
// Both Fisher estimates (targets drawn from the model, and the data's
// labels) follow a rescaling that keeps the network's function, per weight
// and per output channel; the channels' mean is the weight's value.
TEST(FineTune, SensitivityFollowsAnInvariantRescaling) {
  for (const std::string fisher : {"model", "data"}) {
    SCOPED_TRACE(fisher);
    std::unique_ptr<UseCase> uc = vgg16();
    ASSERT_TRUE(uc);
    const std::vector<Tensor> start = uc->parameters();
    FineTuneOptions o = few("sensitivity");
    o.fisher = fisher;
    FineTuneReport a, b;
    ASSERT_TRUE(uc->fine_tune(o, &a).ok());
    for (const Tensor& t : uc->parameters()) EXPECT_TRUE(by_name(start).at(t.name).f32 == t.f32) << t.name;
    ASSERT_EQ(a.sensitivity.size(), start.size());
    for (const auto& [name, f] : a.sensitivity) EXPECT_GT(f, 0.0) << name;
    ASSERT_EQ(a.channel_sensitivity.size(), 16u);  // VGG16's 13 convolutions and 3 linear layers
    for (const auto& [name, c] : a.channel_sensitivity) {
      ASSERT_EQ(static_cast<int64_t>(c.size()), by_name(start).at(name).shape[0]) << name;
      double mean = 0;
      for (double v : c) mean += v / static_cast<double>(c.size());
      EXPECT_NEAR(mean, a.sensitivity.at(name), a.sensitivity.at(name) * 1e-5) << name;  // float32 sums
    }
    ASSERT_TRUE(uc->fine_tune(o, &b).ok());
    EXPECT_EQ(a.sensitivity, b.sensitivity);
    EXPECT_EQ(a.channel_sensitivity, b.channel_sensitivity);

    std::vector<Tensor> scaled = start;
    for (Tensor& t : scaled) {
      const float c = t.name == "features.0.weight" || t.name == "features.0.bias" ? 2.0f
                      : t.name == "features.2.weight"                               ? 0.5f
                                                                                    : 1.0f;
      for (float& v : t.f32) v *= c;
    }
    ASSERT_TRUE(uc->load_parameters(scaled).ok());
    ASSERT_TRUE(uc->fine_tune(o, &b).ok());
    const auto factor = [](const std::string& name) {
      return name == "features.0.weight" || name == "features.0.bias" ? 0.25 : name == "features.2.weight" ? 4.0 : 1.0;
    };
    for (const auto& [name, f] : a.sensitivity)
      EXPECT_NEAR(b.sensitivity.at(name), f * factor(name), f * factor(name) * 1e-3) << name;
    for (const auto& [name, c] : a.channel_sensitivity)
      for (size_t k = 0; k < c.size(); ++k)
        EXPECT_NEAR(b.channel_sensitivity.at(name)[k], c[k] * factor(name), c[k] * factor(name) * 1e-3 + 1e-12)
            << name << " channel " << k;
  }
}

TEST(FineTune, BatchNormStatisticsOnly) {
  UseCaseOptions uo;
  uo.id = "resnet50";  // VGG16 has no batch norm
  uo.threads = 1;
  uo.limit = 16;
  std::unique_ptr<UseCase> uc;
  ASSERT_TRUE(make_usecase(uo, &uc).ok());
  ASSERT_TRUE(uc);
  const auto start = by_name(uc->parameters());
  FineTuneReport rep;
  ASSERT_TRUE(uc->fine_tune(few("bn_stats"), &rep).ok());
  const auto now = by_name(uc->parameters());
  size_t stats_moved = 0;
  for (const auto& [name, t] : start) {
    const bool stat = name.find("running_") != std::string::npos;
    if (stat) stats_moved += now.at(name).f32 != t.f32;
    else EXPECT_TRUE(now.at(name).f32 == t.f32) << name << " changed";
  }
  EXPECT_GT(stats_moved, 0u);
}

TEST(FineTune, SparsityLossMakesWeightsSparser) {
  std::unique_ptr<UseCase> uc = vgg16();
  ASSERT_TRUE(uc);
  const std::vector<Tensor> start = uc->parameters();
  FineTuneOptions o = few();
  o.samples = 192;
  FineTuneReport rep;
  ASSERT_TRUE(uc->fine_tune(o, &rep).ok());
  const double plain = l1_over_l2(uc->parameters());
  ASSERT_TRUE(uc->load_parameters(start).ok());
  o.sparsity_m = 2.0;
  ASSERT_TRUE(uc->fine_tune(o, &rep).ok());
  const double sparse = l1_over_l2(uc->parameters());
  EXPECT_LT(sparse, plain * 0.995) << "task only " << plain << ", with the sparsity loss " << sparse;
}

TEST(FineTune, RefusedWithoutTrainingData) {
  UseCaseOptions o;
  o.id = "vgg16";
  o.variant = "full";  // random weights, no task
  o.threads = 1;
  std::unique_ptr<UseCase> uc;
  ASSERT_TRUE(make_usecase(o, &uc).ok());
  FineTuneReport rep;
  const Status s = uc->fine_tune(few(), &rep);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot be trained"), std::string::npos) << s.message();
  FineTuneOptions bad = few();
  bad.mode = "everything";
  std::unique_ptr<UseCase> e = vgg16();
  ASSERT_TRUE(e);
  EXPECT_NE(e->fine_tune(bad, &rep).message().find("unknown fine-tuning mode"), std::string::npos);
  bad = few();
  bad.held["no.such.weight"] = {1};
  EXPECT_NE(e->fine_tune(bad, &rep).message().find("no.such.weight"), std::string::npos);
}

}  // namespace
}  // namespace nnr
