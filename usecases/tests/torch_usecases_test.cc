// The libtorch use cases: torchvision's parameter names and counts, state-dict
// order, loading errors, TorchScript archives, the generic use case on the
// ResNet-56 state dict, and a smoke evaluation of every embedded model
// against the accuracy recorded in its manifest.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <torch/script.h>

#include "models/channel_groups.h"
#include "nnr/io.h"
#include "nnr/usecase.h"
#include "torch/state.h"
#include "torch/torch_usecase.h"

namespace nnr {
namespace {

namespace fs = std::filesystem;

UseCaseOptions full(const std::string& id) {
  UseCaseOptions o;
  o.id = id;
  o.variant = "full";
  o.threads = 1;
  return o;
}

struct Expected {
  const char* id;
  int64_t parameters;       // trainable values (torchvision's published totals)
  size_t state_tensors;     // state_dict() entries without num_batches_tracked
  const char* first;
  const char* last;
};

class TorchvisionShapes : public ::testing::TestWithParam<Expected> {};

TEST_P(TorchvisionShapes, NamesAndCounts) {
  const Expected e = GetParam();
  std::unique_ptr<UseCase> uc;
  const Status s = make_usecase(full(e.id), &uc);
  ASSERT_TRUE(s.ok()) << s.describe();
  EXPECT_FALSE(uc->has_task());
  const std::vector<Tensor> ts = uc->parameters();
  EXPECT_EQ(ts.size(), e.state_tensors);
  int64_t params = 0;
  for (const auto& t : ts)
    if (t.name.find("running_") == std::string::npos) params += t.numel();
  EXPECT_EQ(params, e.parameters);
  EXPECT_EQ(ts.front().name, e.first);
  EXPECT_EQ(ts.back().name, e.last);
}

INSTANTIATE_TEST_SUITE_P(
    Torchvision, TorchvisionShapes,
    ::testing::Values(Expected{"vgg16", 138357544, 32, "features.0.weight", "classifier.6.bias"},
                      Expected{"resnet50", 25557032, 267, "conv1.weight", "fc.bias"},
                      Expected{"mobilenetv2", 3504872, 262, "features.0.0.weight", "classifier.1.bias"}),
    [](const auto& info) { return std::string(info.param.id); });

TEST(StateDictOrder, ResNet50FollowsTorchvision) {
  std::unique_ptr<UseCase> uc;
  ASSERT_TRUE(make_usecase(full("resnet50"), &uc).ok());
  const std::vector<Tensor> ts = uc->parameters();
  const char* const head[] = {"conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                              "layer1.0.conv1.weight", "layer1.0.bn1.weight", "layer1.0.bn1.bias",
                              "layer1.0.bn1.running_mean", "layer1.0.bn1.running_var", "layer1.0.conv2.weight"};
  for (size_t i = 0; i < std::size(head); ++i) EXPECT_EQ(ts[i].name, head[i]);
  // The projection shortcut comes after bn3 of its block.
  auto at = [&](const std::string& n) {
    for (size_t i = 0; i < ts.size(); ++i)
      if (ts[i].name == n) return static_cast<int64_t>(i);
    return int64_t{-1};
  };
  EXPECT_EQ(at("layer1.0.downsample.0.weight"), at("layer1.0.bn3.running_var") + 1);
  EXPECT_EQ(at("layer1.0.downsample.0.weight"), 20);
  EXPECT_EQ(ts[static_cast<size_t>(at("layer4.2.conv3.weight"))].shape, (std::vector<int64_t>{2048, 512, 1, 1}));
  EXPECT_EQ(ts[static_cast<size_t>(at("fc.weight"))].shape, (std::vector<int64_t>{1000, 2048}));
}

TEST(StateDictOrder, MobileNetV2BlocksFollowTorchvision) {
  std::unique_ptr<UseCase> uc;
  ASSERT_TRUE(make_usecase(full("mobilenetv2"), &uc).ok());
  const std::vector<Tensor> ts = uc->parameters();
  // features.1 has no expansion (dw conv block, projection, BN); features.2 does.
  EXPECT_EQ(ts[5].name, "features.1.conv.0.0.weight");
  EXPECT_EQ(ts[5].shape, (std::vector<int64_t>{32, 1, 3, 3}));
  EXPECT_EQ(ts[10].name, "features.1.conv.1.weight");
  EXPECT_EQ(ts[11].name, "features.1.conv.2.weight");
  EXPECT_EQ(ts[15].name, "features.2.conv.0.0.weight");
  EXPECT_EQ(ts[15].shape, (std::vector<int64_t>{96, 16, 1, 1}));
}

// Writes the parameters of a use case (minus/plus edits) to an .npz.
std::string write_params(const std::vector<Tensor>& ts, const std::string& name) {
  const std::string path = (fs::temp_directory_path() / (name + "_" + std::to_string(::getpid()) + ".npz")).string();
  EXPECT_TRUE(write_npz(path, ts).ok());
  return path;
}

UseCaseOptions small(const std::string& id, const std::string& model = "") {
  UseCaseOptions o;
  o.id = id;
  o.variant = "full";
  o.model = model;
  o.threads = 1;
  return o;
}

TEST(Loading, RoundTripThroughNpz) {
  std::unique_ptr<UseCase> a, b;
  UseCaseOptions o = small("uc12b");
  o.seed = 7;
  ASSERT_TRUE(make_usecase(o, &a).ok());
  const std::string path = write_params(a->parameters(), "uc12b_rt");
  ASSERT_TRUE(make_usecase(small("uc12b", path), &b).ok());
  const auto pa = a->parameters(), pb = b->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_EQ(pa[i].f32, pb[i].f32) << pa[i].name;
  fs::remove(path);
}

TEST(Loading, MissingMisShapedAndUnexpectedTensorsAreNamed) {
  std::unique_ptr<UseCase> uc;
  ASSERT_TRUE(make_usecase(small("dcase"), &uc).ok());
  std::vector<Tensor> ts = uc->parameters();

  std::vector<Tensor> missing = ts;
  ASSERT_EQ(ts[4].name, "bn1.running_mean");
  missing.erase(missing.begin() + 4);
  std::string path = write_params(missing, "dcase_missing");
  std::unique_ptr<UseCase> bad;
  Status s = make_usecase(small("dcase", path), &bad);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'bn1.running_mean' is missing"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
  fs::remove(path);

  std::vector<Tensor> wrong = ts;
  wrong[0].shape = {32, 1, 7, 1};
  wrong[0].f32.resize(32 * 7);
  path = write_params(wrong, "dcase_shape");
  s = make_usecase(small("dcase", path), &bad);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'conv1.weight' has shape [32, 1, 7, 1]"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("expects [32, 1, 7, 7]"), std::string::npos) << s.message();
  fs::remove(path);

  std::vector<Tensor> extra = ts;
  extra.push_back(ts[0]);
  extra.back().name = "conv3.weight";
  path = write_params(extra, "dcase_extra");
  s = make_usecase(small("dcase", path), &bad);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("unexpected parameter 'conv3.weight'"), std::string::npos) << s.message();
  fs::remove(path);

  // load_parameters (the decoder's output) checks the same way.
  s = uc->load_parameters(missing);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("bn1.running_mean"), std::string::npos);
  EXPECT_TRUE(uc->load_parameters(ts).ok());

  s = make_usecase(small("dcase", "/nonexistent/model.pt"), &bad);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent/model.pt"), std::string::npos);
}

TEST(Loading, TorchvisionSizedModelWithoutVariantUsesTheFullArchitecture) {
  std::unique_ptr<UseCase> src;
  ASSERT_TRUE(make_usecase(full("mobilenetv2"), &src).ok());
  const std::string path = write_params(src->parameters(), "mnv2_full");
  UseCaseOptions o;
  o.id = "mobilenetv2";
  o.model = path;  // variant stays "embedded", as in a run file naming only the model
  o.threads = 1;
  std::unique_ptr<UseCase> uc;
  const Status s = make_usecase(o, &uc);
  ASSERT_TRUE(s.ok()) << s.describe();
  int64_t n = 0;
  for (const auto& t : uc->parameters())
    if (t.name.find("running_") == std::string::npos) n += t.numel();
  EXPECT_EQ(n, 3504872);
  fs::remove(path);
}

TEST(Loading, TorchScriptArchive) {
  std::unique_ptr<UseCase> src;
  UseCaseOptions o = small("uc12b");
  o.seed = 3;
  ASSERT_TRUE(make_usecase(o, &src).ok());
  // A scripted module holding the parameters under the same dotted names
  // (what torch.jit.script(model).save() gives), built here without Python.
  torch::jit::Module root("root");
  std::map<std::string, torch::jit::Module> subs;
  for (const Tensor& t : src->parameters()) {
    const size_t dot1 = t.name.find('.'), dot2 = t.name.find('.', dot1 + 1);
    const std::string seq = t.name.substr(0, dot1), idx = t.name.substr(dot1 + 1, dot2 - dot1 - 1);
    const std::string key = seq + "." + idx;
    if (!subs.count(key)) subs.emplace(key, torch::jit::Module("Block" + seq + idx));
    subs.at(key).register_parameter(t.name.substr(dot2 + 1),
                                    torch::from_blob(const_cast<float*>(t.f32.data()), t.shape).clone(), false);
  }
  std::map<std::string, torch::jit::Module> seqs;
  for (auto& [key, m] : subs) {
    const std::string seq = key.substr(0, key.find('.'));
    if (!seqs.count(seq)) seqs.emplace(seq, torch::jit::Module("Seq" + seq));
    seqs.at(seq).register_module(key.substr(key.find('.') + 1), m);
  }
  for (auto& [name, m] : seqs) root.register_module(name, m);
  const std::string path = (fs::temp_directory_path() / ("uc12b_ts_" + std::to_string(::getpid()) + ".pt")).string();
  root.save(path);
  std::unique_ptr<UseCase> loaded;
  const Status s = make_usecase(small("uc12b", path), &loaded);
  ASSERT_TRUE(s.ok()) << s.describe();
  const auto a = src->parameters(), b = loaded->parameters();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].f32, b[i].f32) << a[i].name;
  fs::remove(path);
}

TEST(Generic, ResNet56StateDictLoadsAsNamedTensors) {
  const std::string pt = NNR_SHARED_DIR "/models/resnet56-cifar100/ResNet56_CIF100.pt";
  if (!fs::exists(pt)) GTEST_SKIP() << pt << " not found";
  UseCaseOptions o;
  o.id = "generic";
  o.model = pt;
  std::unique_ptr<UseCase> uc;
  const Status s = make_usecase(o, &uc);
  ASSERT_TRUE(s.ok()) << s.describe();
  EXPECT_FALSE(uc->has_task());
  int64_t n = 0;
  for (const auto& t : uc->parameters()) n += t.numel();
  EXPECT_EQ(n, 623444);
  EXPECT_TRUE(uc->load_parameters(uc->parameters()).ok());
}

TEST(Errors, UnknownUseCaseOptionAndVariant) {
  std::unique_ptr<UseCase> uc;
  UseCaseOptions o = small("vgg16");
  o.arch["depth"] = 19;
  Status s = make_usecase(o, &uc);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("depth"), std::string::npos);
  o = small("resnet18");
  EXPECT_FALSE(make_usecase(o, &uc).ok());
}

// --- the embedded models ------------------------------------------------------
class Embedded : public ::testing::TestWithParam<const char*> {};

TEST_P(Embedded, SmokeEvaluationMatchesManifest) {
  const std::string id = GetParam();
  const std::string manifest_path = torchuc::embedded_manifest_path(id);
  std::ifstream in(manifest_path);
  ASSERT_TRUE(in.good()) << manifest_path << " is missing";
  const nlohmann::json m = nlohmann::json::parse(in);
  UseCaseOptions o;
  o.id = id;
  o.threads = 1;
  o.limit = m["smoke"]["limit"].get<int64_t>();
  std::unique_ptr<UseCase> uc;
  Status s = make_usecase(o, &uc);
  ASSERT_TRUE(s.ok()) << s.describe();
  ASSERT_TRUE(uc->has_task());
  UseCaseMetrics got;
  s = uc->evaluate(&got);
  ASSERT_TRUE(s.ok()) << s.describe();
  EXPECT_EQ(got.samples, o.limit);
  // Another machine may flip a borderline sample: allow one sample's worth.
  const double one_sample = 100.0 / static_cast<double>(o.limit) + 1e-6;
  for (const auto& [k, v] : m["smoke"]["metrics"].items()) {
    if (k == "samples" || k == "eval_seconds") continue;
    ASSERT_TRUE(got.values.count(k)) << k;
    const double tol = k == "psnr" ? 0.02 : k == "ssim" ? 1e-3 : one_sample;
    EXPECT_NEAR(got.values[k], v.get<double>(), tol) << id << " " << k;
  }
  // The parameters round-trip through load_parameters without changing the result.
  ASSERT_TRUE(uc->load_parameters(uc->parameters()).ok());
  UseCaseMetrics again;
  ASSERT_TRUE(uc->evaluate(&again).ok());
  EXPECT_EQ(again.values, got.values);
}

// Drops the last channel of a slice: a plain copy of every other entry.
void drop_last_channel(Tensor& t, int dim, int64_t factor) {
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < dim; ++d) outer *= t.shape[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(dim) + 1; d < t.shape.size(); ++d) inner *= t.shape[d];
  const int64_t n = t.shape[static_cast<size_t>(dim)];
  ValueVector<float> v;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < n - factor; ++i)
      for (int64_t k = 0; k < inner; ++k) v.push_back(t.f32[static_cast<size_t>((o * n + i) * inner + k)]);
  t.f32 = std::move(v);
  t.shape[static_cast<size_t>(dim)] -= factor;
}

// A network whose channels were pruned (every group one channel less) loads
// at its smaller shapes, evaluates, and gives its parameters back at those
// shapes; shapes that do not fit together (a producer cut, its reader not)
// are refused and leave the model as it was; the full model loads again.
TEST_P(Embedded, PrunedChannelsLoadAndEvaluate) {
  const std::string id = GetParam();
  UseCaseOptions o;
  o.id = id;
  o.threads = 1;
  o.limit = 16;
  std::unique_ptr<UseCase> uc;
  ASSERT_TRUE(make_usecase(o, &uc).ok());
  const std::vector<Tensor> original = uc->parameters();
  UseCaseMetrics before;
  ASSERT_TRUE(uc->evaluate(&before).ok());
  std::vector<models::ChannelGroup> groups;
  const Status g = models::channel_groups(id, original, &groups);
  ASSERT_TRUE(g.ok()) << g.describe();
  std::vector<Tensor> pruned = original;
  int64_t removed = 0;
  for (const models::ChannelGroup& grp : groups)
    for (const auto* slices : {&grp.producers, &grp.consumers})
      for (const models::ChannelSlice& sl : *slices)
        for (Tensor& t : pruned)
          if (t.name == sl.tensor) {
            const int64_t n = t.numel();
            drop_last_channel(t, sl.dim, sl.factor);
            removed += n - t.numel();
          }
  EXPECT_GT(removed, 0);
  Status s = uc->load_parameters(pruned);
  ASSERT_TRUE(s.ok()) << s.describe();
  UseCaseMetrics small;
  s = uc->evaluate(&small);
  ASSERT_TRUE(s.ok()) << s.describe();
  EXPECT_EQ(small.samples, 16);
  const std::vector<Tensor> back = uc->parameters();
  ASSERT_EQ(back.size(), pruned.size());
  for (size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(back[i].shape, pruned[i].shape) << back[i].name;
    EXPECT_TRUE(back[i].f32 == pruned[i].f32) << back[i].name;
  }

  // Only the first group's producer cut: the next layer no longer fits.
  std::vector<Tensor> broken = original;
  for (Tensor& t : broken)
    if (t.name == groups[0].producers[0].tensor) drop_last_channel(t, groups[0].producers[0].dim, 1);
  s = uc->load_parameters(broken);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("do not fit together"), std::string::npos) << s.message();
  UseCaseMetrics still;
  ASSERT_TRUE(uc->evaluate(&still).ok());
  EXPECT_EQ(still.values, small.values);

  // Larger than the architecture: refused, naming the tensor.
  std::vector<Tensor> larger = original;
  larger[0].shape[0] += 1;
  larger[0].f32.resize(static_cast<size_t>(larger[0].numel()));
  s = uc->load_parameters(larger);
  EXPECT_NE(s.message().find("'" + larger[0].name + "'"), std::string::npos) << s.message();

  ASSERT_TRUE(uc->load_parameters(original).ok());
  UseCaseMetrics again;
  ASSERT_TRUE(uc->evaluate(&again).ok());
  EXPECT_EQ(again.values, before.values);
}

INSTANTIATE_TEST_SUITE_P(UseCases, Embedded, ::testing::Values("vgg16", "resnet50", "mobilenetv2", "dcase", "uc12b"));

}  // namespace
}  // namespace nnr
