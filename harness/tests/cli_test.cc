// The `nnr` command as a user runs it: exit codes, files written, and error
// lines that name the file and the byte offset.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include <cstring>

#include "cli_run.h"
#include "common/sha256.h"
#include "nnr/io.h"
#include "nnr/tensor.h"

namespace {

namespace fs = std::filesystem;

using Result = nnr::test::CliResult;
Result run(const std::string& args) { return nnr::test::run_cli(args); }

const std::string kVector = NNR_SHARED_DIR "/conformance/nncodec/p21_block_bias";

TEST(Cli, DecodeWritesNpyAndIndexMatchingTheManifest) {
  if (!fs::exists(kVector)) GTEST_SKIP() << "shared conformance material not found";
  const std::string out = ::testing::TempDir() + "/nnr_cli_decode";
  fs::remove_all(out);
  const Result r = run("decode " + kVector + "/stream.nnc -o " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  std::ifstream mf(kVector + "/manifest.json");
  const nlohmann::json m = nlohmann::json::parse(mf);
  std::ifstream ix(out + "/index.json");
  const nlohmann::json idx = nlohmann::json::parse(ix);
  ASSERT_EQ(idx.size(), m["decoded"].size());
  for (const auto& e : m["decoded"]) {
    bool found = false;
    for (const auto& d : idx) {
      if (d["name"] != e["name"]) continue;
      found = true;
      EXPECT_EQ(d["sha256"], e["sha256"]);
      EXPECT_EQ(d["shape"], e["shape"]);
      EXPECT_TRUE(fs::exists(out + "/" + d["file"].get<std::string>()));
    }
    EXPECT_TRUE(found) << e["name"];
  }
}

TEST(Cli, TruncatedStreamNamesFileAndOffset) {
  if (!fs::exists(kVector)) GTEST_SKIP() << "shared conformance material not found";
  std::ifstream in(kVector + "/stream.nnc", std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string cut = ::testing::TempDir() + "/nnr_cli_cut.nnc";
  {
    std::ofstream o(cut, std::ios::binary);
    o.write(bytes.data(), 100);  // inside the first NDU (it starts at byte 18)
  }
  const Result r = run("decode " + cut + " -o " + ::testing::TempDir() + "/nnr_cli_cut_out");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find(cut), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("byte 18"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
}

TEST(Cli, MissingFileIsAnError) {
  const Result r = run("decode /nonexistent/x.nnc -o /tmp/nnr_never");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("/nonexistent/x.nnc"), std::string::npos) << r.out;
}

TEST(Cli, InspectListsUnitsWithOffsets) {
  if (!fs::exists(kVector)) GTEST_SKIP() << "shared conformance material not found";
  const Result r = run("inspect " + kVector + "/stream.nnc");
  ASSERT_EQ(r.code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  std::ifstream mf(kVector + "/manifest.json");
  const nlohmann::json m = nlohmann::json::parse(mf);
  const auto& units = m["stream_structure"]["units"];
  ASSERT_EQ(j["units"].size(), units.size());
  for (size_t i = 0; i < units.size(); ++i) {
    EXPECT_EQ(j["units"][i]["offset"], units[i]["offset"]);
    EXPECT_EQ(j["units"][i]["nnr_unit_size"], units[i]["nnr_unit_size"]);
    EXPECT_EQ(j["units"][i]["nnr_unit_type"], units[i]["nnr_unit_type"]);
  }
  // The first NDU's payload type element sits right after its 3 header bytes.
  const auto& el = j["units"][3]["elements"];
  bool seen = false;
  for (const auto& e : el) {
    if (e["name"] == "nnr_compressed_data_unit_payload_type") {
      seen = true;
      EXPECT_EQ(e["byte"], units[3]["offset"].get<int>() + 3);
      EXPECT_EQ(e["value"], 3);  // NNR_PT_BLOCK
    }
  }
  EXPECT_TRUE(seen);
}

TEST(Cli, ConformExitCodeCountsFailures) {
  if (!fs::exists(kVector)) GTEST_SKIP() << "shared conformance material not found";
  const Result ok = run("conform " + kVector);
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_NE(ok.out.find("1 passed, 0 failed"), std::string::npos) << ok.out;
  // A copy of the vector with one tensor hash changed must fail.
  const std::string bad = ::testing::TempDir() + "/nnr_cli_badvec";
  fs::remove_all(bad);
  fs::create_directories(bad);
  fs::copy_file(kVector + "/stream.nnc", bad + "/stream.nnc");
  std::ifstream mf(kVector + "/manifest.json");
  nlohmann::json m = nlohmann::json::parse(mf);
  std::string h = m["decoded"][0]["sha256"];
  h[0] = h[0] == '0' ? '1' : '0';
  m["decoded"][0]["sha256"] = h;
  std::ofstream(bad + "/manifest.json") << m.dump();
  const Result r = run("conform " + bad);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("FAIL"), std::string::npos) << r.out;
}

}  // namespace

namespace {

const std::string kSequence = NNR_SHARED_DIR "/conformance/nncodec2/q03_tca_diff_dq";

// Each step folder's index.json against that step's expected sha256.
void expect_step_folder(const std::string& dir, const nlohmann::json& step) {
  std::ifstream ix(dir + "/index.json");
  ASSERT_TRUE(ix.good()) << dir;
  const nlohmann::json idx = nlohmann::json::parse(ix);
  ASSERT_EQ(idx.size(), step["decoded"].size()) << dir;
  for (const auto& e : step["decoded"]) {
    bool found = false;
    for (const auto& d : idx) found |= d["name"] == e["name"] && d["sha256"] == e["sha256"];
    EXPECT_TRUE(found) << dir << ": " << e["name"];
  }
}

TEST(Cli, DecodesAnUpdateSequenceStepByStep) {
  if (!fs::exists(kSequence)) GTEST_SKIP() << "shared conformance material not found";
  std::ifstream mf(kSequence + "/manifest.json");
  const nlohmann::json m = nlohmann::json::parse(mf);
  std::string streams;
  for (const auto& st : m["steps"]) streams += " " + kSequence + "/" + st["dir"].get<std::string>() + "/stream.nnc";
  const std::string out = ::testing::TempDir() + "/nnr_cli_sequence";
  fs::remove_all(out);
  Result r = run("decode -q --every-step" + streams + " -o " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  for (size_t i = 0; i < m["steps"].size(); ++i) {
    char sub[32];
    std::snprintf(sub, sizeof sub, "/step-%02zu", i);
    expect_step_folder(out + sub, m["steps"][i]);
  }
  // Without --every-step: the last step only.
  fs::remove_all(out);
  r = run("decode -q" + streams + " -o " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  expect_step_folder(out, m["steps"].back());
  EXPECT_FALSE(fs::exists(out + "/step-00"));
  // A step on its own is refused with the reason, exit 2 (the sequence is missing).
  r = run("decode -q " + kSequence + "/step-01/stream.nnc -o " + out + "-alone");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("temporal_context_modeling_flag"), std::string::npos) << r.out;
}

TEST(Cli, ConformRunsSequenceVectorsThroughAnExternalDecoder) {
  if (!fs::exists(kSequence)) GTEST_SKIP() << "shared conformance material not found";
  const std::string dec = std::string(NNR_CLI) + " decode -q --every-step {bitstream} -o {outdir}";
  Result r = run("conform " + kSequence + " " + NNR_SHARED_DIR "/conformance/nncodec2/s03_dq_rowskip --decoder '" +
                 dec + "'");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("2 passed, 0 failed"), std::string::npos) << r.out;
  // A decoder that writes only the last step cannot pass a sequence.
  const std::string last_only = std::string(NNR_CLI) + " decode -q {bitstream} -o {outdir}";
  r = run("conform " + kSequence + " --decoder '" + last_only + "'");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("step-00: no output folder"), std::string::npos) << r.out;
}

}  // namespace

namespace {

std::string file_sha256(const std::string& path) {
  std::vector<uint8_t> b;
  if (!nnr::read_file(path, &b).ok()) return "";
  return nnr::sha256_hex(b.data(), b.size());
}

// nnr encode of every step of a sequence vector, each with --parent naming
// the streams before it, gives NNCodec 2.0's streams byte for byte.
TEST(Cli, EncodesAnUpdateSequenceWithParents) {
  const std::string v = NNR_SHARED_DIR "/conformance/nncodec2/q03_tca_diff_dq";
  if (!fs::exists(v)) GTEST_SKIP() << "shared conformance material not found";
  std::ifstream mf(v + "/manifest.json");
  const nlohmann::json m = nlohmann::json::parse(mf);
  const std::string dir = ::testing::TempDir() + "/nnr_cli_encode_sequence";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string parents;
  for (const auto& st : m["steps"]) {
    const std::string step = st["dir"];
    std::vector<nnr::Tensor> inputs;
    for (const auto& in : st["inputs"]) {
      nnr::Tensor t;
      t.name = in["name"];
      for (const auto& d : in["shape"]) t.shape.push_back(d.get<int64_t>());
      std::vector<uint8_t> bytes;
      ASSERT_TRUE(nnr::read_file(v + "/" + step + "/" + in["file"].get<std::string>(), &bytes).ok());
      t.f32.resize(bytes.size() / 4);
      std::memcpy(t.f32.data(), bytes.data(), bytes.size());
      inputs.push_back(std::move(t));
    }
    ASSERT_TRUE(nnr::write_npz(dir + "/" + step + ".npz", inputs).ok());
    nlohmann::json settings = st["encoder_settings"];
    settings["general_profile_idc"] = 1;
    std::ofstream(dir + "/" + step + ".json") << settings.dump();
    const std::string out = dir + "/" + step + ".nnc";
    const Result r = run("encode -q " + dir + "/" + step + ".npz --settings " + dir + "/" + step + ".json -o " + out +
                         " --parent" + parents);
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(file_sha256(out), st["bitstream"]["sha256"].get<std::string>()) << step;
    parents += " " + out;
  }
  // A later step without its parents cannot be coded as the reference coded it.
  const Result r = run("encode -q " + dir + "/step-01.npz --settings " + dir + "/step-01.json -o " + dir +
                       "/alone.nnc");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(file_sha256(dir + "/alone.nnc"), m["steps"][1]["bitstream"]["sha256"].get<std::string>());
}

}  // namespace
