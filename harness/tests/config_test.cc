// Every error path of run-file validation names the JSON path and what was
// expected there.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/run_config.h"
#include "pipeline/working_points.h"

namespace nnr {
namespace {

using json = nlohmann::json;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("nnr_config_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "model.npz") << "x";  // exists; contents are not read by validation
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  json valid() const {
    return json::parse(R"({
      "name": "t",
      "usecases": [{"id": "generic", "model": "model.npz"}],
      "codecs": [{"type": "original"},
                 {"type": "nnr", "label": "dq", "settings": {"use_dq": true}, "sweep": {"qp": [-40, -36]}},
                 {"type": "anchor", "sweep": {"qp": [-40, -36]}},
                 {"type": "external", "label": "ext", "encode": "enc {input} {bitstream}", "decode": "dec {bitstream} {outdir}"}]
    })");
  }
  // Parses and returns the error message ("" when valid).
  std::string error_of(const json& doc) {
    RunConfig c;
    const Status st = parse_run_config(doc, dir_.string(), &c);
    return st.ok() ? "" : st.message();
  }
  void expect_error(const json& doc, const std::string& path, const std::string& what) {
    const std::string m = error_of(doc);
    EXPECT_EQ(m.rfind(path + ": ", 0), 0u) << "message: " << m;
    EXPECT_NE(m.find(what), std::string::npos) << "message: " << m;
  }
  std::filesystem::path dir_;
};

TEST_F(ConfigTest, ValidConfigParses) {
  RunConfig c;
  ASSERT_TRUE(parse_run_config(valid(), dir_.string(), &c).ok());
  EXPECT_EQ(c.usecases.size(), 1u);
  EXPECT_EQ(c.codecs.size(), 4u);
  EXPECT_EQ(c.codecs[1].sweep[0].second.size(), 2u);
  EXPECT_EQ(c.usecases[0].options.model, (dir_ / "model.npz").string());
  EXPECT_EQ(c.hash.size(), 64u);
}

TEST_F(ConfigTest, TopLevel) {
  json d = valid();
  d.erase("name");
  expect_error(d, "/name", "missing");
  d = valid();
  d["name"] = 3;
  expect_error(d, "/name", "expected a string");
  d = valid();
  d["name"] = "a/b";
  expect_error(d, "/name", "folder name");
  d = valid();
  d["colour"] = "blue";
  expect_error(d, "/colour", "unknown key");
  d = valid();
  d["threads"] = 0;
  expect_error(d, "/threads", "out of range");
  d = valid();
  d["jobs"] = "two";
  expect_error(d, "/jobs", "expected an integer");
  d = valid();
  d["timing_min_seconds"] = -1;
  expect_error(d, "/timing_min_seconds", "[0, 60]");
  expect_error(json::array(), "/", "expected an object");
}

TEST_F(ConfigTest, UseCases) {
  json d = valid();
  d["usecases"] = json::object();
  expect_error(d, "/usecases", "expected an array");
  d["usecases"] = json::array();
  expect_error(d, "/usecases", "at least one");
  d = valid();
  d["usecases"][0]["id"] = "alexnet";
  expect_error(d, "/usecases/0/id", "unknown use case 'alexnet'");
  d = valid();
  d["usecases"][0]["model"] = "missing.pt";
  expect_error(d, "/usecases/0/model", "file not found");
  d = valid();
  d["usecases"][0].erase("model");
  expect_error(d, "/usecases/0", "needs \"model\"");
  d = valid();
  d["usecases"][0]["limit"] = -1;
  expect_error(d, "/usecases/0/limit", "out of range");
  d = valid();
  d["usecases"][0]["variant"] = "tiny";
  expect_error(d, "/usecases/0/variant", "\"embedded\" or \"full\"");
  d = valid();
  d["usecases"][0]["data"] = "nowhere";
  expect_error(d, "/usecases/0/data", "not found");
  d = valid();
  d["usecases"][0]["arch"] = {{"width_mult", "wide"}};
  expect_error(d, "/usecases/0/arch/width_mult", "expected a number");
  d = valid();
  d["usecases"][0]["modle"] = "x";
  expect_error(d, "/usecases/0/modle", "unknown key");
  d = valid();
  d["usecases"].push_back(d["usecases"][0]);
  expect_error(d, "/usecases/1", "duplicate use case label");
  d = valid();
  d["usecases"][0]["fine_tune"] = {{"epochs", 2}, {"lr", 1e-4}};
  EXPECT_EQ(error_of(d), "");
  d["usecases"][0]["fine_tune"]["lr"] = -1;
  expect_error(d, "/usecases/0/fine_tune/lr", "learning rate");
  d["usecases"][0]["fine_tune"] = {{"epochs", 2}, {"samples", 10}};
  expect_error(d, "/usecases/0/fine_tune", "one of");
  d["usecases"][0]["fine_tune"] = {{"mode", "scales"}};
  expect_error(d, "/usecases/0/fine_tune/mode", "unknown key");
  // Options per stage type: known types, and valid on every codec's stages.
  d = valid();
  d["codecs"].push_back({{"type", "nnr"}, {"label", "sparse"}, {"stages", {{{"type", "sparsify"}, {"threshold", 0.1}}}}});
  const std::string sparse = "/codecs/" + std::to_string(d["codecs"].size() - 1) + "/stages/0";
  d["usecases"][0]["stage_options"] = {{"sparsify", {{"ratio", 0.7}, {"scope", "global"}}}};
  EXPECT_EQ(error_of(d), "");
  d["usecases"][0]["stage_options"] = {{"sparsify", {{"ratio", 1.5}}}};
  expect_error(d, "/usecases/0/stage_options", "on " + sparse + "/ratio");
  d["usecases"][0]["stage_options"] = {{"sparsify", {{"scope", "global"}}}};  // with the codec's threshold
  expect_error(d, "/usecases/0/stage_options", sparse + "/scope");
  d["usecases"][0]["stage_options"] = {{"sparsfy", {{"ratio", 0.5}}}};
  expect_error(d, "/usecases/0/stage_options/sparsfy", "unknown key");
  d["usecases"][0]["stage_options"] = {{"sparsify", 0.5}};
  expect_error(d, "/usecases/0/stage_options/sparsify", "expected an object");
  d["usecases"][0]["stage_options"] = {{"sparsify", {{"type", "prune"}}}};
  expect_error(d, "/usecases/0/stage_options/sparsify/type", "stage type");
}

TEST_F(ConfigTest, Codecs) {
  json d = valid();
  d["codecs"][1]["type"] = "jpeg";
  expect_error(d, "/codecs/1/type", "unknown codec type");
  d = valid();
  d["codecs"][1].erase("type");
  expect_error(d, "/codecs/1/type", "missing");
  d = valid();
  d["codecs"][1]["settings"]["use_dq"] = 1;
  expect_error(d, "/codecs/1/settings/use_dq", "expected true or false");
  d = valid();
  d["codecs"][1]["settings"]["quality"] = 1;
  expect_error(d, "/codecs/1/settings/quality", "unknown key");
  d = valid();
  d["codecs"][1]["sweep"] = json::array();
  expect_error(d, "/codecs/1/sweep", "expected an object");
  d = valid();
  d["codecs"][1]["sweep"]["qp"] = json::array();
  expect_error(d, "/codecs/1/sweep/qp", "at least one value");
  d = valid();
  d["codecs"][1]["sweep"]["qp"][1] = "high";
  expect_error(d, "/codecs/1/sweep/qp/1", "expected an integer");
  d = valid();
  d["codecs"][2]["sweep"]["qp"][0] = -200;  // qp_density 2: [-128, 127]
  expect_error(d, "/codecs/2/sweep", "qp -200 out of range [-128, 127]");
  d = valid();
  d["codecs"][1]["settings"]["qp_density"] = 0;  // [-32, 31]: -40 no longer fits
  expect_error(d, "/codecs/1/sweep", "qp -40 out of range [-32, 31]");
  d = valid();
  d["codecs"][1]["settings"]["qp_density"] = 9;
  expect_error(d, "/codecs/1/sweep", "qp_density 9 out of range");
  d = valid();
  d["codecs"][0]["sweep"] = {{"qp", {1}}};
  expect_error(d, "/codecs/0/sweep", "unknown key");
  d = valid();
  d["codecs"][3]["encode"] = "enc {input}";
  expect_error(d, "/codecs/3/encode", "{bitstream}");
  d = valid();
  d["codecs"][3]["decode"] = "dec {bitstream}";
  expect_error(d, "/codecs/3/decode", "{outdir}");
  d = valid();
  d["codecs"][3].erase("decode");
  expect_error(d, "/codecs/3/decode", "missing");
  d = valid();
  d["codecs"][3]["timeout"] = -1;
  expect_error(d, "/codecs/3/timeout", "positive");
  d = valid();
  d["codecs"][2]["label"] = "dq";
  expect_error(d, "/codecs/2", "duplicate codec label 'dq'");
  d = valid();
  d["codecs"][1]["label"] = "a/b";
  expect_error(d, "/codecs/1/label", "without '/'");
}

TEST_F(ConfigTest, Search) {
  json d = valid();
  d["codecs"][1]["search"] = {{"metric", "top1"}, {"tolerance", 0.5}, {"qp_min", -50}, {"qp_max", -20}};
  RunConfig c;
  ASSERT_TRUE(parse_run_config(d, dir_.string(), &c).ok());
  ASSERT_TRUE(c.codecs[1].search);
  EXPECT_EQ(c.codecs[1].search->qp_min, -50);
  EXPECT_EQ(c.codecs[1].search->patience, 2);
  d["codecs"][1]["search"]["patience"] = -1;
  expect_error(d, "/codecs/1/search/patience", "out of range");
  d["codecs"][1]["search"]["patience"] = 0;
  ASSERT_TRUE(parse_run_config(d, dir_.string(), &c).ok());
  EXPECT_EQ(c.codecs[1].search->patience, 0);
  d["codecs"][1]["search"]["min"] = 70;
  expect_error(d, "/codecs/1/search", "one of \"tolerance\"");
  d["codecs"][1]["search"].erase("min");
  d["codecs"][1]["search"]["qp_max"] = -60;
  expect_error(d, "/codecs/1/search", "qp_min < qp_max");
  d["codecs"][1]["search"]["qp_max"] = -38;
  expect_error(d, "/codecs/1/sweep/qp", "[qp_min, qp_max]");  // the grid's -36 lies outside
  d["codecs"][1]["search"]["qp_max"] = -20;
  d["codecs"].erase(0);  // no original to count the tolerance from
  expect_error(d, "/codecs/0/search/tolerance", "add {\"type\": \"original\"}");
}

// An entry's "usecases" names the use cases it runs on: labels of the run;
// its working points exist on those only.
TEST_F(ConfigTest, CodecOnSomeUseCases) {
  json d = valid();
  d["usecases"].push_back({{"id", "generic"}, {"model", "model.npz"}, {"label", "second"}});
  d["codecs"][1]["usecases"] = {"second"};
  RunConfig c;
  ASSERT_TRUE(parse_run_config(d, dir_.string(), &c).ok());
  EXPECT_TRUE(c.codecs[1].runs_on("second"));
  EXPECT_FALSE(c.codecs[1].runs_on("generic"));
  EXPECT_TRUE(c.codecs[2].runs_on("generic"));
  size_t dq_points = 0, anchor_points = 0;
  for (const WorkingPoint& w : expand_working_points(c)) {
    if (c.codecs[w.codec].label == "dq") {
      ++dq_points;
      EXPECT_EQ(c.usecases[w.usecase].label, "second") << w.key;
    }
    anchor_points += c.codecs[w.codec].label == "anchor";
  }
  EXPECT_EQ(dq_points, 2u);
  EXPECT_EQ(anchor_points, 4u);
  d["codecs"][1]["usecases"] = {"second", "third"};
  expect_error(d, "/codecs/1/usecases/1", "no use case labelled 'third'");
  d["codecs"][1]["usecases"] = json::array();
  expect_error(d, "/codecs/1/usecases", "at least one");
  d["codecs"][1]["usecases"] = "second";
  expect_error(d, "/codecs/1/usecases", "array");
  d["codecs"][1]["usecases"] = {"second"};
  d["codecs"][0]["usecases"] = {"second"};
  expect_error(d, "/codecs/0/usecases", "unknown key");
}

TEST_F(ConfigTest, Report) {
  json d = valid();
  d["report"] = {{"bd_reference", "vtm"}};
  expect_error(d, "/report/bd_reference", "no codec is labelled 'vtm'");
  d["report"] = {{"transparent_tolerance", {{"top1", -1}}}};
  expect_error(d, "/report/transparent_tolerance/top1", "non-negative");
  d["report"] = {{"colour", 1}};
  expect_error(d, "/report/colour", "unknown key");
}

TEST_F(ConfigTest, FileErrorsNameTheByteOffset) {
  const auto f = dir_ / "broken.json";
  const std::string text = "{\n  \"name\": \"x\",\n  \"usecases\": [,]\n}";
  std::ofstream(f) << text;
  RunConfig c;
  const Status st = load_run_config(f.string(), &c);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.byte_offset(), static_cast<int64_t>(text.find("[,") + 1));  // the stray comma
  EXPECT_NE(st.message().find("not valid JSON"), std::string::npos);
  const Status missing = load_run_config((dir_ / "none.json").string(), &c);
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(missing.code(), ErrorCode::kIo);
}

}  // namespace
}  // namespace nnr

namespace nnr {
namespace {

// The run files the project ships are valid (the core-experiment template once
// its placeholder paths point at files).
TEST(ShippedConfigs, Validate) {
  const std::string dir = std::string(NNR_SOURCE_DIR) + "/configs/";
  for (const char* name : {"default.json", "scale.json", "nightly.json", "paper.json"}) {
    if (std::string(name) == "nightly.json" && !std::filesystem::exists(std::string(NNR_SHARED_DIR) + "/models")) {
      std::printf("skipping nightly.json: %s/models absent\n", NNR_SHARED_DIR);
      continue;
    }
    RunConfig c;
    const Status st = load_run_config(dir + name, &c);
    EXPECT_TRUE(st.ok()) << name << ": " << st.message();
  }
  std::ifstream f(dir + "ce-template.json");
  nlohmann::json doc = nlohmann::json::parse(f);
  const auto tmp = std::filesystem::temp_directory_path() / ("nnr_ce_" + std::to_string(::getpid()));
  std::filesystem::create_directories(tmp / "val");
  std::ofstream(tmp / "m.pt") << "x";
  for (auto& u : doc["usecases"]) {
    u["model"] = (tmp / "m.pt").string();
    u["data"] = (tmp / "val").string();
    u["train_data"] = (tmp / "val").string();
  }
  RunConfig c;
  const Status st = parse_run_config(doc, dir, &c);
  EXPECT_TRUE(st.ok()) << st.message();
  std::filesystem::remove_all(tmp);
}

// A per-metric tolerance and "primary" are accepted; a bad tolerance names
// its path; lsa only with an nnr codec.
TEST(ShippedConfigs, SearchToleranceByMetricAndLsaCodec) {
  nlohmann::json doc = nlohmann::json::parse(R"({"name": "t", "usecases": [{"id": "vgg16"}], "codecs": [
    {"type": "original"},
    {"type": "nnr", "search": {"metric": "primary", "tolerance": {"top1": 0.5, "psnr": 0.2}}}]})");
  RunConfig c;
  EXPECT_TRUE(parse_run_config(doc, "", &c).ok());
  EXPECT_EQ(c.codecs[1].search->tolerances.at("psnr"), 0.2);
  doc["codecs"][1]["search"]["tolerance"]["psnr"] = -1;
  Status st = parse_run_config(doc, "", &c);
  EXPECT_NE(st.message().find("/codecs/1/search/tolerance/psnr"), std::string::npos) << st.message();
  doc["codecs"][1] = nlohmann::json::parse(R"({"type": "anchor", "stages": [{"type": "lsa"}], "sweep": {"qp": [-30]}})");
  st = parse_run_config(doc, "", &c);
  EXPECT_NE(st.message().find("/codecs/1/stages"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace nnr
