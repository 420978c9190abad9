// Model files read without libtorch: the PyTorch state dict in ../shared must
// give exactly the tensors the reference encoder saw (the r01 manifest's
// per-input sha256), and .npz archives round-trip.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/sha256.h"
#include "nnr/io.h"

namespace nnr {
namespace {

namespace fs = std::filesystem;

TEST(ModelIo, TorchStateDictMatchesReferenceInputs) {
  const std::string pt = NNR_SHARED_DIR "/models/resnet56-cifar100/ResNet56_CIF100.pt";
  const std::string manifest = NNR_SHARED_DIR "/conformance/nncodec-real/r01_resnet56_dq_qp-38/manifest.json";
  if (!fs::exists(pt) || !fs::exists(manifest)) GTEST_SKIP() << "shared model not found";
  LoadedModel m;
  const Status s = load_torch_state_dict(pt, &m);
  ASSERT_TRUE(s.ok()) << s.describe();
  EXPECT_TRUE(m.pytorch);
  std::ifstream in(manifest);
  const nlohmann::json j = nlohmann::json::parse(in);
  const auto& inputs = j["inputs"];
  ASSERT_EQ(m.tensors.size(), inputs.size());
  int64_t params = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = m.tensors[i];
    EXPECT_EQ(t.name, inputs[i]["name"]);
    EXPECT_EQ(t.shape, inputs[i]["shape"].get<std::vector<int64_t>>());
    const std::vector<uint8_t> b = t.bytes();
    EXPECT_EQ(sha256_hex(b.data(), b.size()), inputs[i]["sha256"]) << t.name;
    params += t.numel();
  }
  EXPECT_EQ(params, 623444);
  ASSERT_EQ(m.notices.size(), 1u);
  EXPECT_NE(m.notices[0].find("skipped 58"), std::string::npos) << m.notices[0];
}

TEST(ModelIo, NpzRoundTripKeepsOrderAndValues) {
  std::vector<Tensor> ts(3);
  ts[0].name = "z.weight";
  ts[0].shape = {2, 3};
  ts[0].f32 = {1, 2, 3, 4, 5, 6};
  ts[1].name = "a.bias";
  ts[1].shape = {2};
  ts[1].f32 = {-1.5f, 0.25f};
  ts[2].name = "idx";
  ts[2].shape = {3};
  ts[2].dtype = DType::kInt32;
  ts[2].i32 = {7, -8, 9};
  const std::string path = ::testing::TempDir() + "/nnr_io_test.npz";
  ASSERT_TRUE(write_npz(path, ts).ok());
  LoadedModel m;
  ASSERT_TRUE(load_model(path, &m).ok());
  EXPECT_FALSE(m.pytorch);
  ASSERT_EQ(m.tensors.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(m.tensors[i].name, ts[i].name);
    EXPECT_EQ(m.tensors[i].shape, ts[i].shape);
    EXPECT_EQ(m.tensors[i].bytes(), ts[i].bytes());
  }
}

TEST(ModelIo, ErrorsNameTheFile) {
  LoadedModel m;
  Status s = load_model("/nonexistent/model.pt", &m);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent/model.pt"), std::string::npos) << s.message();
  const std::string junk = ::testing::TempDir() + "/nnr_junk.pt";
  std::ofstream(junk) << "not a model";
  s = load_model(junk, &m);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(junk), std::string::npos) << s.message();
}

}  // namespace
}  // namespace nnr
