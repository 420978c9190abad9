#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/file_names.h"
#include "common/tensor_output.h"
#include "nnr/io.h"

namespace nnr {
namespace {

TEST(FileNames, ReplacesEverythingOutsideTheSafeSet) {
  EXPECT_EQ(sanitize_tensor_name("features.0.weight"), "features.0.weight");
  EXPECT_EQ(sanitize_tensor_name("a/b:c d"), "a_b_c_d");
  EXPECT_EQ(sanitize_tensor_name("x-y_z"), "x-y_z");
  EXPECT_EQ(sanitize_tensor_name(".."), "__");
}

TEST(Npy, HeaderFollowsTheNumpyFormat) {
  Tensor t;
  t.shape = {2, 3};
  t.f32 = {1, 2, 3, 4, 5, 6};
  const std::vector<uint8_t> b = npy_bytes(t);
  ASSERT_GE(b.size(), 10u);
  EXPECT_EQ(std::string(b.begin() + 1, b.begin() + 6), "NUMPY");
  const size_t hlen = b[8] | (b[9] << 8);
  EXPECT_EQ((10 + hlen) % 64, 0u);
  const std::string header(b.begin() + 10, b.begin() + 10 + hlen);
  EXPECT_NE(header.find("'descr': '<f4'"), std::string::npos);
  EXPECT_NE(header.find("'shape': (2, 3)"), std::string::npos);
  EXPECT_EQ(b.size(), 10 + hlen + 24);
  Tensor back;
  ASSERT_TRUE(parse_npy(b.data(), b.size(), &back).ok());
  EXPECT_EQ(back.shape, t.shape);
  EXPECT_EQ(back.f32, t.f32);

  Tensor v;
  v.shape = {5};
  v.dtype = DType::kInt32;
  v.i32 = {1, -2, 3, -4, 5};
  const std::vector<uint8_t> bv = npy_bytes(v);
  const std::string hv(bv.begin() + 10, bv.begin() + 10 + (bv[8] | (bv[9] << 8)));
  EXPECT_NE(hv.find("'shape': (5,)"), std::string::npos);
  EXPECT_NE(hv.find("'<i4'"), std::string::npos);
}

TEST(Npy, RejectsMalformedFiles) {
  Tensor t;
  t.shape = {4};
  t.f32 = {1, 2, 3, 4};
  std::vector<uint8_t> b = npy_bytes(t);
  Tensor out;
  std::vector<uint8_t> cut(b.begin(), b.end() - 1);
  EXPECT_FALSE(parse_npy(cut.data(), cut.size(), &out).ok());
  std::vector<uint8_t> bad = b;
  bad[1] = 'X';
  EXPECT_FALSE(parse_npy(bad.data(), bad.size(), &out).ok());
}

TEST(TensorFolder, WritesNpyAndIndex) {
  const std::string dir = ::testing::TempDir() + "/nnr_tensor_folder";
  std::filesystem::remove_all(dir);
  DecodedTensor a;
  a.name = "conv/1:weight";
  a.shape = {1};
  a.f32 = {1.0f};
  ASSERT_TRUE(write_tensor_folder(dir, {a}).ok());
  EXPECT_TRUE(std::filesystem::exists(dir + "/conv_1_weight.npy"));
  std::ifstream in(dir + "/index.json");
  const nlohmann::json idx = nlohmann::json::parse(in);
  ASSERT_EQ(idx.size(), 1u);
  EXPECT_EQ(idx[0]["name"], "conv/1:weight");
  EXPECT_EQ(idx[0]["file"], "conv_1_weight.npy");
  EXPECT_EQ(idx[0]["dtype"], "float32");
  EXPECT_EQ(idx[0]["sha256"], "e00e5eb9444182f352323374ef4e08ebcb784725fdd4fd612d7730540b3e0c8c");
}

// Groups arriving out of order (as from a decoder's threads) with colliding
// names: the suffixes follow the output order all the same, and each file
// holds its own tensor.
TEST(TensorFolder, CollidingNamesFollowOutputOrderWhateverTheArrival) {
  const std::string dir = ::testing::TempDir() + "/nnr_tensor_folder_order";
  std::filesystem::remove_all(dir);
  auto make = [](const std::string& name, float v) {
    DecodedTensor t;
    t.name = name;
    t.shape = {2};
    t.f32 = {v, -v};
    return t;
  };
  const std::vector<std::pair<std::string, float>> order = {{"a:b", 1}, {"a/b", 2}, {"a_b", 3}, {"c", 4}};
  TensorFolderWriter w(dir);
  ASSERT_TRUE(w.begin(3).ok());
  for (size_t g : {2u, 0u, 1u}) {
    std::vector<DecodedTensor> ts;
    if (g == 2) ts = {make("a_b", 3), make("c", 4)};
    if (g == 1) ts = {make("a/b", 2)};
    if (g == 0) ts = {make("a:b", 1)};
    ASSERT_TRUE(w.consume(g, std::move(ts)).ok());
  }
  ASSERT_TRUE(w.finish().ok());
  EXPECT_EQ(w.tensors(), 4u);
  EXPECT_EQ(w.parameters(), 8u);
  std::ifstream in(dir + "/index.json");
  const nlohmann::json idx = nlohmann::json::parse(in);
  ASSERT_EQ(idx.size(), 4u);
  const char* files[] = {"a_b.npy", "a_b-1.npy", "a_b-2.npy", "c.npy"};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(idx[i]["name"], order[i].first);
    EXPECT_EQ(idx[i]["file"], files[i]);
    std::vector<uint8_t> bytes;
    ASSERT_TRUE(read_file(dir + "/" + files[i], &bytes).ok());
    Tensor back;
    ASSERT_TRUE(parse_npy(bytes.data(), bytes.size(), &back).ok());
    EXPECT_EQ(back.f32, (std::vector<float>{order[i].second, -order[i].second})) << files[i];
  }
  size_t count = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) count += e.path().extension() == ".npy";
  EXPECT_EQ(count, 4u);  // no temporary names left
}

TEST(TensorFolder, ParallelWritesGiveTheSameFolder) {
  std::vector<DecodedTensor> ts;
  for (int i = 0; i < 40; ++i) {
    DecodedTensor t;
    t.name = i % 3 ? "w" + std::to_string(i % 7) : "w/" + std::to_string(i % 7);
    t.shape = {i + 1};
    for (int k = 0; k <= i; ++k) t.f32.push_back(static_cast<float>(i * 100 + k));
    ts.push_back(std::move(t));
  }
  std::string index[2];
  for (int threads : {1, 3}) {
    const std::string dir = ::testing::TempDir() + "/nnr_tensor_folder_par" + std::to_string(threads);
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(write_tensor_folder(dir, ts, threads).ok());
    std::vector<uint8_t> b;
    ASSERT_TRUE(read_file(dir + "/index.json", &b).ok());
    index[threads == 1 ? 0 : 1].assign(b.begin(), b.end());
  }
  EXPECT_EQ(index[0], index[1]);
}

}  // namespace
}  // namespace nnr
