// The encoder against the reference software's vectors: the manifest's input
// tensors and encoder settings must give the manifest's stream, byte for
// byte; and our decoder must give back the encoder's own reconstruction.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/settings_json.h"
#include "common/sha256.h"
#include "conformance/vector.h"
#include "nnr/decoder.h"
#include "nnr/encoder.h"
#include "nnr/io.h"

namespace nnr {
namespace {

using json = nlohmann::json;

struct EncoderCase {
  std::string dir;
  std::string name;
};

std::vector<EncoderCase> cases() {
  std::vector<EncoderCase> all;
  for (const char* suite : {"/conformance/nncodec", "/conformance/nncodec-real"}) {
    for (const std::string& d : find_vector_dirs(std::string(NNR_SHARED_DIR) + suite))
      all.push_back({d, std::filesystem::path(d).filename().string()});
  }
  return all;
}

bool load_inputs(const std::string& dir, const json& m, std::vector<Tensor>* out, std::string* err) {
  for (const json& in : m["inputs"]) {
    Tensor t;
    t.name = in["name"];
    for (const auto& d : in["shape"]) t.shape.push_back(d.get<int64_t>());
    t.dtype = in["dtype"] == "int32" ? DType::kInt32 : DType::kFloat32;
    std::vector<uint8_t> bytes;
    Status s = read_file(dir + "/" + in["file"].get<std::string>(), &bytes);
    if (!s.ok()) {
      *err = s.describe();
      return false;
    }
    if (t.dtype == DType::kInt32) {
      t.i32.resize(bytes.size() / 4);
      std::memcpy(t.i32.data(), bytes.data(), bytes.size());
    } else {
      t.f32.resize(bytes.size() / 4);
      std::memcpy(t.f32.data(), bytes.data(), bytes.size());
    }
    if (t.shape.empty()) t.shape = {1};
    out->push_back(std::move(t));
  }
  return true;
}

void PrintTo(const EncoderCase& c, std::ostream* os) { *os << c.name; }

class EncoderVectors : public ::testing::TestWithParam<EncoderCase> {};

TEST_P(EncoderVectors, SameStreamAsReference) {
  const EncoderCase& c = GetParam();
  std::ifstream mf(c.dir + "/manifest.json");
  const json m = json::parse(mf);
  EncoderSettings s;
  json settings = m["encoder_settings"];
  settings["model_kind"] = m["producer"]["api"].get<std::string>().find("compress_model") != std::string::npos
                               ? "pytorch"
                               : "plain";
  ASSERT_TRUE(settings_from_json(settings, "/encoder_settings", &s).ok());
  std::vector<Tensor> inputs;
  std::string err;
  ASSERT_TRUE(load_inputs(c.dir, m, &inputs, &err)) << err;
  EncodeResult r;
  const Status st = encode(inputs, s, &r);
  // Tools the encoder does not have yet are reported, not hidden.
  if (st.code() == ErrorCode::kUnsupported) GTEST_SKIP() << st.describe();
  ASSERT_TRUE(st.ok()) << st.describe();
  EXPECT_EQ(r.stream.size(), m["bitstream"]["size_bytes"].get<size_t>());
  EXPECT_EQ(sha256_hex(r.stream.data(), r.stream.size()), m["bitstream"]["sha256"].get<std::string>());

  // Our decoder gives back exactly the encoder's reconstruction.
  DecodedModel dm;
  ASSERT_TRUE(decode(r.stream.data(), r.stream.size(), DecodeOptions{}, &dm).ok());
  ASSERT_EQ(dm.tensors.size(), r.reconstruction.size());
  for (size_t i = 0; i < dm.tensors.size(); ++i) {
    EXPECT_EQ(dm.tensors[i].name, r.reconstruction[i].name);
    EXPECT_EQ(dm.tensors[i].bytes(), r.reconstruction[i].bytes()) << dm.tensors[i].name;
  }
}

// Batch-norm folding of a PyTorch model without block information: the
// encoder derives the blocks from the names as the reference encoder did for
// r03 (whose manifest records the blocks it guessed), so the stream is the same.
TEST(EncoderBlockGuess, BnfWithoutBlockInformationGivesTheReferenceStream) {
  const std::string dir = std::string(NNR_SHARED_DIR) + "/conformance/nncodec-real/r03_resnet56_bnf_dq_qp-40";
  std::ifstream mf(dir + "/manifest.json");
  if (!mf) GTEST_SKIP() << "shared material missing: " << dir;
  const json m = json::parse(mf);
  json settings = m["encoder_settings"];
  ASSERT_FALSE(settings["block_id_and_param_type"].is_null());
  settings.erase("block_id_and_param_type");
  settings["model_kind"] = "pytorch";
  EncoderSettings s;
  ASSERT_TRUE(settings_from_json(settings, "/encoder_settings", &s).ok());
  ASSERT_TRUE(s.bnf && !s.has_blocks);
  std::vector<Tensor> inputs;
  std::string err;
  ASSERT_TRUE(load_inputs(dir, m, &inputs, &err)) << err;
  EncodeResult r;
  ASSERT_TRUE(encode(inputs, s, &r).ok());
  EXPECT_TRUE(r.messages.empty()) << r.messages[0];
  EXPECT_EQ(sha256_hex(r.stream.data(), r.stream.size()), m["bitstream"]["sha256"].get<std::string>());
}

// Edition 2: NNCodec 2.0's vectors, single streams and every step of the
// update sequences (the encoder's state is the decoder state after the
// earlier steps, as NNCodec keeps it by decoding its own stream).
class Edition2EncoderVectors : public ::testing::TestWithParam<EncoderCase> {};

TEST_P(Edition2EncoderVectors, SameStreamsAsReference) {
  const EncoderCase& c = GetParam();
  if (c.dir.empty()) GTEST_SKIP() << "shared material missing";
  std::ifstream mf(c.dir + "/manifest.json");
  const json m = json::parse(mf);
  const bool sequence = m["kind"] == "sequence";
  const bool hdsp = m["producer"].contains("hdsp_injection") && m["producer"]["hdsp_injection"].is_string();
  std::vector<std::pair<std::string, json>> steps;  // folder, entry
  if (sequence) {
    for (const json& st : m["steps"]) steps.push_back({c.dir + "/" + st["dir"].get<std::string>(), st});
  } else {
    steps.push_back({c.dir, m});
  }
  DecoderState state;
  for (const auto& [dir, entry] : steps) {
    json settings = entry["encoder_settings"];
    settings["general_profile_idc"] = 1;  // NNCodec 2.0 writes edition 2
    if (hdsp) settings["hdsp"] = true;
    EncoderSettings s;
    const Status ss = settings_from_json(settings, "/encoder_settings", &s);
    ASSERT_TRUE(ss.ok()) << ss.describe();
    if (sequence) s.parent = &state;
    std::vector<Tensor> inputs;
    std::string err;
    ASSERT_TRUE(load_inputs(dir, entry, &inputs, &err)) << err;
    EncodeResult r;
    const Status st = encode(inputs, s, &r);
    if (st.code() == ErrorCode::kUnsupported) GTEST_SKIP() << st.describe();
    ASSERT_TRUE(st.ok()) << dir << ": " << st.describe();
    EXPECT_EQ(r.stream.size(), entry["bitstream"]["size_bytes"].get<size_t>()) << dir;
    EXPECT_EQ(sha256_hex(r.stream.data(), r.stream.size()), entry["bitstream"]["sha256"].get<std::string>()) << dir;
    // Our decoder gives back the encoder's reconstruction, and the state
    // moves on to the next step.
    DecodedModel dm;
    const Status ds = decode(r.stream.data(), r.stream.size(), DecodeOptions{}, sequence ? &state : nullptr, &dm,
                             nullptr);
    ASSERT_TRUE(ds.ok()) << dir << ": " << ds.describe();
    ASSERT_EQ(dm.tensors.size(), r.reconstruction.size()) << dir;
    for (size_t i = 0; i < dm.tensors.size(); ++i) {
      EXPECT_EQ(dm.tensors[i].name, r.reconstruction[i].name) << dir;
      EXPECT_EQ(dm.tensors[i].bytes(), r.reconstruction[i].bytes()) << dir << ": " << dm.tensors[i].name;
    }
    if (::testing::Test::HasFailure()) return;  // later steps depend on this one
  }
}

// int_quant_bw (no reference vector uses it): every level within the bit
// depth, signed or not by the tensor's values; with DQ the clipped levels
// still decode to the encoder's own reconstruction.
TEST(Edition2Encoder, IntegerAlignedLevelsStayInTheirBitDepth) {
  std::vector<Tensor> in(2);
  in[0].name = "w.weight";
  in[0].shape = {16, 12};
  in[1].name = "pos.bias";
  in[1].shape = {16};
  for (size_t i = 0; i < 192; ++i) in[0].f32.push_back(std::sin(0.37 * double(i)) * (i % 7 == 0 ? 3.0f : 0.2f));
  for (size_t i = 0; i < 16; ++i) in[1].f32.push_back(0.05f * float(i));
  for (bool dq : {false, true}) {
    EncoderSettings s;
    s.general_profile_idc = 1;
    s.int_quant_bw = 4;
    s.use_dq = dq;
    EncodeResult r;
    ASSERT_TRUE(encode(in, s, &r).ok());
    DecodeOptions o;
    o.keep_levels = true;
    DecodedModel dm;
    ASSERT_TRUE(decode(r.stream.data(), r.stream.size(), o, &dm).ok());
    ASSERT_EQ(dm.tensors.size(), 2u);
    int32_t lo = 0, hi = 0;
    for (int32_t l : dm.tensors[0].levels) lo = std::min(lo, l), hi = std::max(hi, l);
    // Signed 4 bits; DQ may move a clipped level by one step of the state's quantiser.
    EXPECT_GE(lo, dq ? -9 : -8);
    EXPECT_LE(hi, dq ? 8 : 7);
    EXPECT_LT(lo, -2);
    for (int32_t l : dm.tensors[1].levels) EXPECT_TRUE(l >= 0 && l <= (dq ? 255 : 255)) << l;  // unsigned, 8 bits for a bias
    for (size_t i = 0; i < 2; ++i) EXPECT_EQ(dm.tensors[i].bytes(), r.reconstruction[i].bytes()) << i;
  }
}

std::vector<EncoderCase> edition2_cases() {
  std::vector<EncoderCase> all;
  for (const std::string& d : find_vector_dirs(std::string(NNR_SHARED_DIR) + "/conformance/nncodec2"))
    all.push_back({d, std::filesystem::path(d).filename().string()});
  if (all.empty()) all.push_back({"", "shared_material_missing"});
  return all;
}

INSTANTIATE_TEST_SUITE_P(Nncodec2, Edition2EncoderVectors, ::testing::ValuesIn(edition2_cases()),
                         [](const ::testing::TestParamInfo<EncoderCase>& i) {
                           std::string n = i.param.name;
                           for (char& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

std::vector<EncoderCase> present_cases() {
  std::vector<EncoderCase> c = cases();
  if (c.empty()) c.push_back({"", "shared_material_missing"});
  return c;
}

INSTANTIATE_TEST_SUITE_P(Nncodec, EncoderVectors, ::testing::ValuesIn(present_cases()),
                         [](const ::testing::TestParamInfo<EncoderCase>& i) {
                           std::string n = i.param.name;
                           for (char& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace nnr
