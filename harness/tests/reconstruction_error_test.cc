// Reconstruction error of a decoded model against the encoder's input, and
// `nnr encode --mse`.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "common/reconstruction_error.h"
#include "nnr/io.h"

namespace nnr {
namespace {

Tensor f32(const std::string& name, std::vector<int64_t> shape, std::vector<float> v) {
  Tensor t;
  t.name = name;
  t.shape = std::move(shape);
  t.f32.assign(v.begin(), v.end());
  return t;
}

TEST(ReconstructionError, ValueWeightedOverMatchingTensors) {
  std::vector<Tensor> in = {f32("w", {2, 2}, {1, 2, 3, 4}), f32("b", {2}, {0.5f, -0.5f}),
                            f32("gone", {1}, {7})};
  DecodedModel d;
  DecodedTensor w;
  static_cast<Tensor&>(w) = f32("w", {2, 2}, {1, 2, 3, 5});  // one error of 1
  DecodedTensor b;
  static_cast<Tensor&>(b) = f32("b", {2}, {0.5f, 0.0f});     // one error of 0.5
  d.tensors = {w, b};
  const ReconstructionError e = reconstruction_error(in, d);
  EXPECT_EQ(e.count, 6u);
  EXPECT_DOUBLE_EQ(e.sse, 1.25);
  EXPECT_DOUBLE_EQ(e.mse(), 1.25 / 6);
  EXPECT_EQ(e.weight_count, 4u);
  EXPECT_DOUBLE_EQ(e.weight_mse(), 0.25);
  EXPECT_DOUBLE_EQ(e.max_abs, 1.0);
  EXPECT_EQ(e.unmatched, 1u);
}

TEST(ReconstructionError, EncodeCommandPrintsIt) {
  const std::string dir = ::testing::TempDir() + "/nnr_mse";
  std::filesystem::create_directories(dir);
  // Multiples of the qp -38 step (0.00146484375) come back exactly.
  const float step = 0.00146484375f;
  ASSERT_TRUE(write_npz(dir + "/m.npz", {f32("w", {2, 2}, {step, -2 * step, 0, 5 * step})}).ok());
  const std::string cmd = std::string(NNR_CLI) + " encode " + dir + "/m.npz -o " + dir + "/m.nnc --mse --codec anchor 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ASSERT_EQ(pclose(p), 0) << out;
  EXPECT_NE(out.find("reconstruction MSE: 0.000000e+00 over 4 float values"), std::string::npos) << out;
}

}  // namespace
}  // namespace nnr
