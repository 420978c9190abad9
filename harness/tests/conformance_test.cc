// The decoder against the reference software's conformance vectors: every
// tensor's sha256 must equal the manifest's, at 1 and 2 threads, with and
// without entry points.
#include <gtest/gtest.h>

#include <filesystem>

#include "conformance/runner.h"
#include "conformance/vector.h"

namespace nnr {
namespace {

std::vector<std::string> suite_vectors() {
  std::vector<std::string> all;
  for (const char* suite : {"/conformance/nncodec", "/conformance/nncodec-real"}) {
    for (const std::string& d : find_vector_dirs(std::string(NNR_SHARED_DIR) + suite)) all.push_back(d);
  }
  return all;
}

class NncodecVectors : public ::testing::TestWithParam<int> {};

TEST(NncodecVectors, AllThirtyPresentOrSkipped) {
  if (!std::filesystem::exists(NNR_SHARED_DIR "/conformance"))
    GTEST_SKIP() << "shared conformance material not found at " NNR_SHARED_DIR;
  EXPECT_EQ(suite_vectors().size(), 30u);
}

TEST_P(NncodecVectors, DecodesBitExactly) {
  const std::vector<std::string> dirs = suite_vectors();
  if (dirs.empty()) GTEST_SKIP() << "shared conformance material not found at " NNR_SHARED_DIR;
  const int threads = GetParam();
  int passed = 0;
  for (const std::string& dir : dirs) {
    ConformanceVector v;
    const Status s = load_vector(dir, &v);
    ASSERT_TRUE(s.ok()) << s.describe();
    ASSERT_FALSE(v.expected.empty()) << dir;
    for (bool eps : {true, false}) {
      DecodeOptions opt;
      opt.threads = threads;
      opt.use_entry_points = eps;
      const VectorResult r = run_vector_in_process(v, opt);
      EXPECT_TRUE(r.pass) << v.name << " (threads " << threads << ", entry points " << eps
                          << "): " << r.reason;
      passed += r.pass && eps;
    }
  }
  EXPECT_EQ(passed, static_cast<int>(dirs.size()));
}

INSTANTIATE_TEST_SUITE_P(Threads, NncodecVectors, ::testing::Values(1, 2));

TEST(CompareOutputs, CatchesEveryDifference) {
  ConformanceVector v;
  v.name = "synthetic";
  // sha256 of the bytes 00 00 80 3f (float32 1.0), from coreutils sha256sum.
  v.expected.push_back(
      {"w", "float32", {1}, "e00e5eb9444182f352323374ef4e08ebcb784725fdd4fd612d7730540b3e0c8c", ""});
  DecodedTensor t;
  t.name = "w";
  t.shape = {1};
  t.f32 = {1.0f};
  EXPECT_TRUE(compare_outputs(v, {t}).pass);

  DecodedTensor flipped = t;
  flipped.f32 = {2.0f};
  VectorResult r = compare_outputs(v, {flipped});
  EXPECT_FALSE(r.pass);
  EXPECT_NE(r.reason.find("sha256"), std::string::npos);

  r = compare_outputs(v, {});
  EXPECT_FALSE(r.pass);
  EXPECT_NE(r.reason.find("missing"), std::string::npos);

  DecodedTensor as_int = t;
  as_int.dtype = DType::kInt32;
  as_int.i32 = {0x3f800000};
  r = compare_outputs(v, {as_int});
  EXPECT_FALSE(r.pass);
  EXPECT_NE(r.reason.find("dtype"), std::string::npos);

  DecodedTensor reshaped = t;
  reshaped.shape = {1, 1};
  r = compare_outputs(v, {reshaped});
  EXPECT_FALSE(r.pass);
  EXPECT_NE(r.reason.find("shape"), std::string::npos);

  DecodedTensor extra = t;
  extra.name = "x";
  r = compare_outputs(v, {t, extra});
  EXPECT_FALSE(r.pass);
  EXPECT_NE(r.reason.find("extra"), std::string::npos);

  r = compare_outputs(v, {t, t});
  EXPECT_FALSE(r.pass);
}

}  // namespace
}  // namespace nnr
