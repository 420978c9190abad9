// The edition-2 decoder against NNCodec 2.0's vectors: every stream and every
// step of every update sequence bit-exact, the header fields as NNCodec's own
// parser read them (the manifests' stream_structure), and controls showing
// that TCA, HDSP and the decoder state really decide the output.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "conformance/runner.h"
#include "conformance/vector.h"
#include "nnr/decoder.h"
#include "nnr/io.h"
#include "common/sha256.h"

namespace nnr {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::string kSuite = NNR_SHARED_DIR "/conformance/nncodec2";

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::vector<uint8_t> b;
  const Status s = read_file(path, &b);
  EXPECT_TRUE(s.ok()) << s.describe();
  return b;
}

json read_json(const std::string& path) {
  std::ifstream f(path);
  return json::parse(f);
}

TEST(Edition2Vectors, EveryVectorAndStepDecodesBitExactly) {
  if (!fs::exists(kSuite)) GTEST_SKIP() << "shared conformance material not found at " << kSuite;
  const std::vector<std::string> dirs = find_vector_dirs(kSuite);
  ASSERT_EQ(dirs.size(), 21u);
  size_t sequences = 0, steps = 0;
  for (const std::string& dir : dirs) {
    ConformanceVector v;
    const Status s = load_vector(dir, &v);
    ASSERT_TRUE(s.ok()) << s.describe();
    if (v.is_sequence()) {
      ++sequences;
      steps += v.steps.size();
    }
    const VectorResult r = run_vector_in_process_all_modes(v, 2);
    EXPECT_TRUE(r.pass) << v.name << ": " << r.reason;
  }
  EXPECT_EQ(sequences, 5u);
  EXPECT_EQ(steps, 19u);
}

// Every header field NNCodec's parser reported, read back by ours.
void expect_fields(const json& want, const NnrUnit& u, const std::string& where) {
  auto check = [&](const char* key, int64_t got) {
    if (!want.contains(key)) return;
    EXPECT_EQ(want[key].get<int64_t>(), got) << where << ": " << key;
  };
  check("offset", static_cast<int64_t>(u.offset));
  check("nnr_unit_size", static_cast<int64_t>(u.nnr_unit_size));
  if (u.nnr_unit_type == NNR_STR) check("general_profile_idc", u.general_profile_idc);
  if (u.nnr_unit_type == NNR_MPS) {
    const ModelParameterSet& m = u.mps;
    check("topology_carriage_flag", m.topology_carriage_flag);
    check("mps_quantization_method_flags", m.mps_quantization_method_flags);
    check("base_model_id_present_flag", m.base_model_id_present_flag);
    check("validation_set_performance_present_flag", m.validation_set_performance_present_flag);
    check("metric_type_performance_map_valid_flag", m.metric_type_performance_map_valid_flag);
    check("mps_parent_signalling_enabled_flag", m.mps_parent_signalling_enabled_flag);
    check("nnr_pre_flag", m.nnr_pre_flag);
    check("mps_qp_density", m.mps_qp_density);
    check("mps_quantization_parameter", m.mps_quantization_parameter);
  }
  if (u.nnr_unit_type == NNR_NDU) {
    const NduHeader& h = u.ndu;
    check("node_id_present_flag", h.node_id_present_flag);
    check("device_id", h.device_id);
    check("parameter_id", h.parameter_id);
    check("put_node_depth", h.put_node_depth);
    check("parent_node_id_present_flag", h.parent_node_id_present_flag);
    check("parent_node_id_type", h.parent_node_id_type);
    check("temporal_context_modeling_flag", h.temporal_context_modeling_flag);
    check("parent_device_id", h.parent_device_id);
    check("first_tensor_dimension_shift", h.first_tensor_dimension_shift);
    check("dq_flag", h.dq_flag);
    check("codebook_present_flag", h.codebook_present_flag);
    check("compressed_parameter_types", h.compressed_parameter_types);
    check("scan_order", h.scan_order);
    check("cabac_unary_length_minus1", h.cabac_unary_length_minus1);
    if (want.contains("tensor_dimensions")) {
      EXPECT_EQ(want["tensor_dimensions"].get<std::vector<int64_t>>(), h.tensor_dimensions) << where;
    }
    if (want.contains("topology_elem_id")) {
      ASSERT_FALSE(h.topology_elem_ids.empty()) << where;
      EXPECT_EQ(want["topology_elem_id"].get<std::string>(), h.topology_elem_ids[0]) << where;
    }
  }
}

void check_structure(const json& entry, const std::string& stream, const std::string& where) {
  const std::vector<uint8_t> bytes = read_bytes(stream);
  std::vector<NnrUnit> units;
  const Status s = parse_units(bytes.data(), bytes.size(), &units);
  ASSERT_TRUE(s.ok()) << where << ": " << s.describe();
  const json& want = entry["stream_structure"]["units"];
  ASSERT_EQ(want.size(), units.size()) << where;
  for (size_t i = 0; i < units.size(); ++i) expect_fields(want[i], units[i], where + " unit " + std::to_string(i));
}

TEST(Edition2Vectors, HeaderFieldsAsTheReferenceParserReadThem) {
  if (!fs::exists(kSuite)) GTEST_SKIP() << "shared conformance material not found at " << kSuite;
  size_t checked = 0;
  for (const std::string& dir : find_vector_dirs(kSuite)) {
    const json m = read_json(dir + "/manifest.json");
    if (m["kind"] == "sequence") {
      for (const json& st : m["steps"]) {
        check_structure(st, dir + "/" + st["dir"].get<std::string>() + "/stream.nnc",
                        dir + "/" + st["dir"].get<std::string>());
        ++checked;
      }
    } else {
      check_structure(m, dir + "/stream.nnc", dir);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 16u + 19u);
}

// The integer levels of every coded tensor, as NNCodec 2.0's entropy decoder
// gave them (coded_elements[].levels_sha256), for every stream and step.
TEST(Edition2Vectors, LevelsAsTheReferenceEntropyDecoderGaveThem) {
  if (!fs::exists(kSuite)) GTEST_SKIP();
  size_t checked = 0;
  for (const std::string& dir : find_vector_dirs(kSuite)) {
    const json m = read_json(dir + "/manifest.json");
    std::vector<std::pair<std::string, json>> steps;
    if (m["kind"] == "sequence") {
      for (const json& st : m["steps"]) steps.push_back({dir + "/" + st["dir"].get<std::string>(), st});
    } else {
      steps.push_back({dir, m});
    }
    DecoderState state;
    for (const auto& [sdir, entry] : steps) {
      const std::vector<uint8_t> b = read_bytes(sdir + "/stream.nnc");
      DecodeOptions o;
      o.keep_levels = true;
      DecodedModel dm;
      const Status st = decode(b.data(), b.size(), o, m["kind"] == "sequence" ? &state : nullptr, &dm, nullptr);
      ASSERT_TRUE(st.ok()) << sdir << ": " << st.describe();
      std::map<std::string, const DecodedTensor*> by_name;
      for (const DecodedTensor& t : dm.tensors) by_name[t.name] = &t;
      for (const json& ce : entry["coded_elements"]) {
        const std::string name = ce["name"];
        ASSERT_TRUE(by_name.count(name)) << sdir << ": " << name;
        const DecodedTensor& t = *by_name[name];
        const ValueVector<int32_t>& l = t.dtype == DType::kInt32 && t.levels.empty() ? t.i32 : t.levels;
        EXPECT_EQ(sha256_hex(reinterpret_cast<const uint8_t*>(l.data()), l.size() * 4), ce["levels_sha256"])
            << sdir << ": " << name;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 100u);
}

// Decodes a sequence's steps [0, steps) with `state`; the last step's output.
Status decode_steps(const ConformanceVector& v, const std::vector<size_t>& steps, DecoderState* state,
                    DecodedModel* last) {
  for (size_t i : steps) {
    const std::vector<uint8_t> b = read_bytes(v.steps[i].stream_path);
    const Status s = decode(b.data(), b.size(), DecodeOptions{}, state, last, nullptr);
    if (!s.ok()) return s;
  }
  return Status();
}

ConformanceVector load(const std::string& name) {
  ConformanceVector v;
  const Status s = load_vector(kSuite + "/" + name, &v);
  EXPECT_TRUE(s.ok()) << s.describe();
  return v;
}

TEST(Edition2Vectors, HdspHistoryDecidesTheOutput) {
  if (!fs::exists(kSuite)) GTEST_SKIP();
  const ConformanceVector v = load("q04_hdsp_diff_dq");
  ASSERT_EQ(v.steps.size(), 4u);
  // With the history: step 1 as expected. Without it the same bins are read
  // with other contexts, and the output (or the stream's end) no longer fits.
  for (bool history : {true, false}) {
    DecoderState state;
    state.keep_hdsp_history = history;
    DecodedModel m;
    const Status s = decode_steps(v, {0, 1}, &state, &m);
    bool hdsp_used = false;
    for (const DecodedTensor& t : m.tensors) hdsp_used |= t.info.hist_dep_sig_prob_enabled_flag == 1;
    ConformanceVector step = v;
    step.expected = v.steps[1].expected;
    const bool pass = s.ok() && compare_outputs(step, m.tensors).pass;
    if (history) {
      EXPECT_TRUE(pass) << s.describe();
      EXPECT_TRUE(hdsp_used);
    } else {
      EXPECT_FALSE(pass);
      if (s.ok()) {
        EXPECT_FALSE(m.warnings.empty());  // "no HDSP history" is said
      }
    }
  }
}

TEST(Edition2Vectors, TcaNeedsTheParentsFromTheState) {
  if (!fs::exists(kSuite)) GTEST_SKIP();
  const ConformanceVector v = load("q01_tca_full_dq");
  DecodedModel m;
  // A TCA step alone: refused, naming the flag.
  const std::vector<uint8_t> b = read_bytes(v.steps[1].stream_path);
  Status s = decode(b.data(), b.size(), DecodeOptions{}, &m);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("temporal_context_modeling_flag"), std::string::npos) << s.describe();
  // A step left out: the depth of the next NDU does not follow the state's.
  DecoderState state;
  s = decode_steps(v, {0, 2}, &state, &m);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("put_node_depth"), std::string::npos) << s.describe();
  EXPECT_EQ(state.streams, 1);  // the failed stream left the state as it was
  // The parents of another vector's tensors (same names, other levels): decodes to other values or fails.
  DecoderState other;
  const ConformanceVector q03 = load("q03_tca_diff_dq");
  s = decode_steps(q03, {0}, &other, &m);
  ASSERT_TRUE(s.ok()) << s.describe();
  s = decode_steps(v, {1}, &other, &m);
  if (s.ok()) {
    ConformanceVector step = v;
    step.expected = v.steps[1].expected;
    EXPECT_FALSE(compare_outputs(step, m.tensors).pass);
  }
}

TEST(Edition2Vectors, SkippedNduKeepsTheTensorsState) {
  if (!fs::exists(kSuite)) GTEST_SKIP();
  const ConformanceVector v = load("q02_diff_skip_urq");
  DecoderState state;
  DecodedModel m;
  ASSERT_TRUE(decode_steps(v, {0, 1, 2}, &state, &m).ok());
  // conv1.bias has no NDU in step 2: absent from the output, depth still 2.
  for (const DecodedTensor& t : m.tensors) EXPECT_NE(t.name, "conv1.bias");
  ASSERT_TRUE(state.tensors.count("conv1.bias"));
  EXPECT_EQ(state.tensors["conv1.bias"].put_node_depth, 2);
  EXPECT_EQ(state.tensors["conv1.weight"].put_node_depth, 3);
  ASSERT_TRUE(decode_steps(v, {3}, &state, &m).ok());
  EXPECT_EQ(state.tensors["conv1.bias"].put_node_depth, 3);
}

}  // namespace
}  // namespace nnr
