#include "conformance/suite/coverage.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "nnr/decoder.h"
#include "nnr/io.h"

namespace nnr::suite {

namespace {

// The catalogue: every feature the suite is meant to cover, in the order of
// the specification. A feature no vector shows is reported as not covered.
const std::vector<std::pair<std::string, std::string>>& catalogue() {
  static const std::vector<std::pair<std::string, std::string>> k = {
      {"unit NNR_STR", "2.3"}, {"unit NNR_MPS", "2.4"}, {"unit NNR_LPS", "2.5"}, {"unit NNR_TPL", "2.6"},
      {"unit NNR_QNT", "2.7"}, {"unit NNR_NDU", "2.8"}, {"unit NNR_AGG", "2.10"},
      {"nnr_unit_size_flag 0 (15-bit size)", "2.1"}, {"nnr_unit_size_flag 1 (31-bit size)", "2.1"},
      {"unit longer than 32767 bytes", "2.1"}, {"independently_decodable_flag 0", "2.2"},
      {"partial_data_counter_present_flag 1", "2.2"}, {"general_profile_idc 1 (edition 2)", "2.3"},
      {"mps_parent_signalling_enabled_flag 1 (edition 2)", "ed2 2.2"},
      {"row_skip_enabled_flag 1 with skipped rows (edition 2)", "ed2 3"},
      {"row skipping with DQ and a block scan (edition 2)", "ed2 7.3"},
      {"codebook-bounded levels (edition 2)", "ed2 6"},
      {"MPS sparsification performance map", "2.4.1"}, {"MPS pruning performance map", "2.4.1"},
      {"MPS unification performance map", "2.4.1"}, {"MPS decomposition performance map", "2.4.1"},
      {"mps_quantization_method_flags 0", "2.4"}, {"mps_quantization_method_flags 1 (NNR_QSU)", "2.4"},
      {"mps_quantization_method_flags 3 (NNR_QSU|NNR_QCB)", "2.4"},
      {"mps_topology_indexed_reference_flag 1", "2.4"}, {"LPS sparsification performance map", "2.5"},
      {"LPS pruning performance map", "2.5"}, {"LPS unification performance map", "2.5"},
      {"lps_self_contained_flag 0", "2.5"}, {"lps_self_contained_flag 1", "2.5"},
      {"LPS without quantization fields", "2.5"}, {"base QP != 0 (LPS)", "2.9"},
      {"topology_storage_format NNR_TPL_UNREC", "2.6"}, {"topology_storage_format NNR_TPL_NNEF", "2.6"},
      {"topology_storage_format NNR_TPL_ONNX", "2.6"}, {"topology_storage_format NNR_TPL_PYT", "2.6"},
      {"topology_storage_format NNR_TPL_TEF", "2.6"}, {"topology_storage_format NNR_TPL_REFLIST", "2.6, 2.8.2"},
      {"topology_data non-empty", "2.6"}, {"AGG entry_points_present_flag 0", "2.10"},
      {"AGG entry_points_present_flag 1", "2.10"}, {"NNR_LPS inside NNR_AGG", "2.10"},
      {"payload NNR_PT_INT", "2.8.3"}, {"payload NNR_PT_FLOAT", "2.8.3"}, {"payload NNR_PT_RAW_FLOAT", "2.8.3"},
      {"payload NNR_PT_BLOCK", "2.8.3"}, {"BLOCK cpt 1 (DC)", "3.3"}, {"BLOCK cpt 2 (LS)", "3.3"},
      {"BLOCK cpt 4 (BN)", "3.3"}, {"BLOCK cpt 5 (DC+BN)", "3.3"}, {"BLOCK cpt 6 (LS+BN)", "3.3"},
      {"BLOCK cpt 8 (BI)", "3.3"}, {"BLOCK cpt 9 (DC+BI)", "3.3"}, {"BLOCK cpt 10 (LS+BI)", "3.3"},
      {"BLOCK cpt 12 (BN+BI)", "3.3"}, {"BLOCK cpt 13 (DC+BN+BI)", "3.3"}, {"BLOCK cpt 14 (LS+BN+BI)", "3.3"},
      {"NNR_CPT_DC outside NNR_PT_BLOCK", "2.8.3"}, {"topology_elem_id_index", "2.8.1"},
      {"nnr_decompressed_data_format_present_flag 1", "2.8.1"}, {"codebook_present_flag 1", "1.6, 4.5"},
      {"second codebook (H of a decomposed weight)", "2.8.1"}, {"codebook of size 1", "1.6"},
      {"codebook entry beyond 2^24", "4.5"}, {"codebook with DQ", "4.5"}, {"dq_flag 0", "4.3"},
      {"dq_flag 1", "4.4"}, {"scan_order 0", "5.1"}, {"block scan, scan_order 1", "5.2"},
      {"block scan, scan_order 2", "5.2"}, {"block scan, scan_order 3", "5.2"}, {"block scan, scan_order 4", "5.2"},
      {"entry points", "1.7, 5.4"}, {"entry point with ep_dq_state != 0", "1.7"},
      {"entry points of G and H in one list", "1.7"}, {"entry points before a degenerate 2-D view (unused)", "5.6"},
      {"block scan on a shape not a multiple of the block size", "5.2"},
      {"cabac_unary_length_minus1 0", "6"}, {"cabac_unary_length_minus1 10", "6"},
      {"cabac_unary_length_minus1 255", "6, 7.1"}, {"context init set 0", "7.3"}, {"context init set 1", "7.3"},
      {"context init set 2", "7.3"}, {"context init set 3", "7.3"}, {"context init set 4", "7.3"},
      {"context init set 5", "7.3"}, {"context init set 6", "7.3"}, {"context init set 7", "7.3"},
      {"context init set 8", "7.3"}, {"qp_density 0", "4.1"}, {"qp_density 1", "4.1"}, {"qp_density 2", "4.1"},
      {"qp_density 3", "4.1"}, {"qp_density 4", "4.1"}, {"qp_density 5", "4.1"}, {"qp_density 6", "4.1"},
      {"qp_density 7", "4.1"}, {"qp offset at the low end of its field", "2.9"},
      {"qp offset at the high end of its field", "2.9"}, {"step size below 2^-100", "4.1"},
      {"step size above 2^100", "4.1"}, {"|level| > 2^24 (float conversion rounds)", "4.3"},
      {"|level| = 2^31-1", "4.3, 6"}, {"int32 tensor value +-(2^31-1)", "4.6"},
      {"EG remainder prefix of 20 or more bins", "6"}, {"0-D tensor (count_tensor_dimensions 0)", "2.8.1, 3.5"},
      {"tensor of one element", "5.1"}, {"1-D tensor", "5.1"}, {"[1,N] tensor", "5.1"}, {"[N,1] tensor", "5.1"},
      {"tensor of 4 or more dimensions", "5.1"}, {"all-zero tensor", "6"},
      {"name longer than 100 bytes", "2.8.1"}, {"name with characters outside [A-Za-z0-9._-]", "2.8.1"},
      {"name with UTF-8 beyond ASCII", "1.1"}, {"stream without tensors", "3.1"}, {"stream without NNR_TPL", "3.1"},
  };
  return k;
}

// Not covered on purpose, with the reason.
const std::vector<std::pair<std::string, std::string>>& not_covered() {
  static const std::vector<std::pair<std::string, std::string>> k = {
      {"BLOCK cpt 3, 7, 11, 15 (LS together with DC)",
       "the decoder output is not defined for local scaling of a decomposed weight (spec 3.5)"},
      {"local scaling outside NNR_PT_BLOCK", "output not defined (spec 3.5)"},
      {"NNR_PT_INT with dq_flag 1", "semantics uncertain (spec 2.8.3); a decoder should reject it"},
      {"input_parameters_present_flag 0, tensor_dimensions_flag 0, cabac_unary_length_flag 0",
       "the parameters would come out of band; a vector cannot carry them"},
      {"nnr_multiple_topology_elements_present_flag 1 outside NNR_PT_BLOCK (topology_tensor_dimension_mapping)",
       "its syntax is not specified (spec 2.8.1 row 19)"},
      {"NNR_TPL_PRUN (pruning topology container)", "its syntax is not specified (spec 2.6)"},
      {"topology_compression_format 1 (deflate)",
       "compressed topology bytes may contain 0x00, which st(v) cannot carry; the topology never affects the output"},
      {"NNR_AGG inside NNR_AGG", "nesting is not specified"},
      {"edition-2 update sequences: temporal context adaptation, HDSP, skipped NDUs",
       "a sequence is several streams; the shared NNCodec 2.0 vectors q01-q05 cover them (nnr conform runs them)"},
      {"a dimension of size 0", "no defined output beyond an empty tensor; not a sensible stream"},
      {"coded level k = -2^31", "|k| must stay below 2^31 (spec 6)"},
      {"step sizes whose binary32 value is subnormal", "RNE32 of such a step loses its value; spec 4.1 keeps steps "
                                                      "within the binary32 normal range for sensible streams"},
      {"two tensor names that sanitize to the same file name",
       "kept out so a decoder under test needs no index.json to name its files"},
      {"reserved values (nnr_unit_type 7-63, payload type 4-31, scan_order > 4, ...)",
       "a conformance vector is a valid stream; the codec's robustness tests cover rejection"},
  };
  return k;
}

bool has_other_chars(const std::string& s) {
  for (unsigned char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      return true;
  return false;
}

bool has_utf8(const std::string& s) {
  for (unsigned char c : s)
    if (c >= 0x80) return true;
  return false;
}

void unit_features(const NnrUnit& u, std::set<std::string>& f, bool in_agg) {
  f.insert(std::string("unit ") + nnr_unit_type_name(u.nnr_unit_type));
  f.insert(u.nnr_unit_size_flag ? "nnr_unit_size_flag 1 (31-bit size)" : "nnr_unit_size_flag 0 (15-bit size)");
  if (u.nnr_unit_size > 32767) f.insert("unit longer than 32767 bytes");
  if (!u.independently_decodable_flag) f.insert("independently_decodable_flag 0");
  if (u.partial_data_counter_present_flag) f.insert("partial_data_counter_present_flag 1");
  switch (u.nnr_unit_type) {
    case NNR_STR:
      if (u.general_profile_idc == 1) f.insert("general_profile_idc 1 (edition 2)");
      break;
    case NNR_MPS: {
      const ModelParameterSet& m = u.mps;
      for (const PerformanceMap& p : m.maps) f.insert("MPS " + p.kind + " performance map");
      if (m.mps_parent_signalling_enabled_flag) f.insert("mps_parent_signalling_enabled_flag 1 (edition 2)");
      const int q = m.mps_quantization_method_flags;
      f.insert(q == 0 ? "mps_quantization_method_flags 0"
                      : q == 1 ? "mps_quantization_method_flags 1 (NNR_QSU)"
                               : q == 3 ? "mps_quantization_method_flags 3 (NNR_QSU|NNR_QCB)"
                                        : "mps_quantization_method_flags " + std::to_string(q));
      if (m.mps_topology_indexed_reference_flag) f.insert("mps_topology_indexed_reference_flag 1");
      break;
    }
    case NNR_LPS: {
      const LayerParameterSet& l = u.lps;
      for (const PerformanceMap& p : l.maps) f.insert("LPS " + p.kind + " performance map");
      f.insert("lps_self_contained_flag " + std::to_string(l.lps_self_contained_flag));
      if (!l.has_qp) f.insert("LPS without quantization fields");
      if (l.has_qp && l.lps_quantization_parameter) f.insert("base QP != 0 (LPS)");
      if (in_agg) f.insert("NNR_LPS inside NNR_AGG");
      break;
    }
    case NNR_TPL:
      f.insert(std::string("topology_storage_format ") + topology_storage_format_name(u.tpl.topology_storage_format));
      if (!u.tpl.topology_data.empty()) f.insert("topology_data non-empty");
      break;
    case NNR_AGG:
      f.insert("AGG entry_points_present_flag " + std::to_string(u.agg.entry_points_present_flag));
      for (const NnrUnit& c : u.children) unit_features(c, f, true);
      break;
    case NNR_NDU: {
      const NduHeader& h = u.ndu;
      const int pt = h.nnr_compressed_data_unit_payload_type;
      f.insert(std::string("payload ") + payload_type_name(pt));
      const int cpt = h.compressed_parameter_types;
      if (pt == NNR_PT_BLOCK) {
        std::string t;
        for (auto [bit, name] : {std::pair{NNR_CPT_DC, "DC"}, {NNR_CPT_LS, "LS"}, {NNR_CPT_BN, "BN"}, {NNR_CPT_BI, "BI"}})
          if (cpt & bit) t += (t.empty() ? "" : "+") + std::string(name);
        f.insert("BLOCK cpt " + std::to_string(cpt) + " (" + t + ")");
      } else if (cpt & NNR_CPT_DC) {
        f.insert("NNR_CPT_DC outside NNR_PT_BLOCK");
      }
      if (!h.topology_elem_id_indices.empty()) f.insert("topology_elem_id_index");
      if (h.nnr_decompressed_data_format_present_flag) f.insert("nnr_decompressed_data_format_present_flag 1");
      if (h.codebook_present_flag) {
        f.insert("codebook_present_flag 1");
        if (pt == NNR_PT_BLOCK && (cpt & NNR_CPT_DC)) f.insert("second codebook (H of a decomposed weight)");
        for (const IntegerCodebook* cb : {&h.codebook, &h.codebook_h}) {
          if (cb->values.size() == 1) f.insert("codebook of size 1");
          for (int64_t v : cb->values)
            if (v > (1 << 24) || v < -(1 << 24)) f.insert("codebook entry beyond 2^24");
        }
        if (h.dq_flag) f.insert("codebook with DQ");
      }
      if (pt != NNR_PT_RAW_FLOAT) {
        f.insert("dq_flag " + std::to_string(h.dq_flag));
        f.insert("cabac_unary_length_minus1 " + std::to_string(h.cabac_unary_length_minus1));
      }
      if (!h.entry_points.empty()) f.insert("entry points");
      for (const EntryPoint& e : h.entry_points)
        if (e.ep_dq_state) f.insert("entry point with ep_dq_state != 0");
      if (pt == NNR_PT_BLOCK && (cpt & NNR_CPT_DC) && !h.entry_points.empty()) {
        const int64_t b = int64_t{4} << h.scan_order;
        if ((h.g_number_of_rows + b - 1) / b > 1 && (h.decomposition_rank + b - 1) / b > 1)
          f.insert("entry points of G and H in one list");
      }
      const std::vector<int64_t>& d = h.tensor_dimensions;
      if (d.empty()) f.insert("0-D tensor (count_tensor_dimensions 0)");
      for (const std::string& n : h.topology_elem_ids) {
        if (n.size() > 100) f.insert("name longer than 100 bytes");
        if (has_other_chars(n)) f.insert("name with characters outside [A-Za-z0-9._-]");
        if (has_utf8(n)) f.insert("name with UTF-8 beyond ASCII");
      }
      break;
    }
    default:
      break;
  }
}

void tensor_features(const DecodedTensor& t, int qp_density, std::set<std::string>& f) {
  const TensorCodingInfo& i = t.info;
  if (i.general_profile_idc == 1) {
    if (i.row_skip_enabled_flag && i.skipped_rows > 0) {
      f.insert("row_skip_enabled_flag 1 with skipped rows (edition 2)");
      if (i.dq_flag && i.scan_order > 0) f.insert("row skipping with DQ and a block scan (edition 2)");
    }
    if (i.codebook) f.insert("codebook-bounded levels (edition 2)");
  }
  int64_t n = 1;
  for (int64_t d : t.shape) n *= d;
  if (n == 1) f.insert("tensor of one element");
  if (t.shape.size() == 1 && n > 1) f.insert("1-D tensor");
  if (t.shape.size() >= 4) f.insert("tensor of 4 or more dimensions");
  if (t.shape.size() == 2 && t.shape[0] == 1 && t.shape[1] > 1) f.insert("[1,N] tensor");
  if (t.shape.size() >= 2 && t.shape[0] > 1 && n == t.shape[0]) {
    f.insert("[N,1] tensor");
    if (i.scan_order > 0) f.insert("entry points before a degenerate 2-D view (unused)");
  }
  bool all_zero = n > 1;
  for (float v : t.f32) all_zero &= v == 0.0f;
  for (int32_t v : t.i32) all_zero &= v == 0;
  if (all_zero) f.insert("all-zero tensor");
  if (i.payload_type == NNR_PT_RAW_FLOAT) return;
  if (i.payload_type != NNR_PT_INT) {
    const int w = 6 + qp_density;
    (void)w;
    if (i.step_size > 0 && i.step_size < std::ldexp(1.0, -100)) f.insert("step size below 2^-100");
    if (i.step_size > std::ldexp(1.0, 100)) f.insert("step size above 2^100");
  }
  const int64_t h = t.shape.empty() ? 1 : t.shape[0], wdt = h ? n / h : 0;
  if (i.scan_order > 0 && t.shape.size() > 1 && h > 1 && wdt > 1) {
    f.insert("block scan, scan_order " + std::to_string(i.scan_order));
    const int64_t b = int64_t{4} << i.scan_order;
    if (h % b || wdt % b) f.insert("block scan on a shape not a multiple of the block size");
  } else if (t.shape.size() > 1 || i.scan_order == 0) {
    f.insert("scan_order 0");
  }
  for (size_t c = 0; c < i.init_sets.size(); ++c) f.insert("context init set " + std::to_string(i.init_sets[c]));
  const int nflags = i.cabac_unary_length_minus1 + 1;
  for (int32_t l : t.levels) {
    const int64_t a = l < 0 ? -int64_t{l} : int64_t{l};
    if (a > (1 << 24)) f.insert("|level| > 2^24 (float conversion rounds)");
    if (a == INT32_MAX) f.insert(i.payload_type == NNR_PT_INT ? "int32 tensor value +-(2^31-1)" : "|level| = 2^31-1");
    // With DQ the coded level is about half the reconstruction level.
    const int64_t k = i.dq_flag ? a / 2 : a;
    if (k > nflags && std::log2(static_cast<double>(k - nflags)) >= 20) f.insert("EG remainder prefix of 20 or more bins");
  }
}

std::set<std::string> features_set(const std::vector<uint8_t>& stream) {
  std::set<std::string> f;
  std::vector<NnrUnit> units;
  if (!parse_units(stream.data(), stream.size(), &units).ok()) return f;
  bool tpl = false;
  for (const NnrUnit& u : units) {
    unit_features(u, f, false);
    tpl |= u.nnr_unit_type == NNR_TPL;
  }
  if (!tpl) f.insert("stream without NNR_TPL");
  DecodeOptions o;
  o.threads = 1;
  o.keep_levels = true;
  o.apply_local_scaling = false;
  DecodedModel m;
  if (!decode(stream.data(), stream.size(), o, &m).ok()) return f;
  if (m.tensors.empty()) f.insert("stream without tensors");
  // qp_density and the qp offset field in force at each NDU.
  struct Q {
    int d = 0, base = 0;
  };
  std::map<size_t, Q> at;  // by top-level unit index
  Q q;
  for (size_t k = 0; k < units.size(); ++k) {
    auto visit = [&](const NnrUnit& u) {
      if (u.nnr_unit_type == NNR_MPS && u.mps.has_qp) q = {u.mps.mps_qp_density, u.mps.mps_quantization_parameter};
      if (u.nnr_unit_type == NNR_LPS && u.lps.has_qp) q = {u.lps.lps_qp_density, u.lps.lps_quantization_parameter};
    };
    visit(units[k]);
    for (const NnrUnit& c : units[k].children) visit(c);
    at[k] = q;
  }
  for (const DecodedTensor& t : m.tensors) {
    const Q& qq = at[t.info.unit_index];
    if (t.info.payload_type == NNR_PT_FLOAT || t.info.payload_type == NNR_PT_BLOCK) {
      f.insert("qp_density " + std::to_string(qq.d));
      const int off = t.info.qp - qq.base, half = 1 << (5 + qq.d);
      if (off == -half) f.insert("qp offset at the low end of its field");
      if (off == half - 1) f.insert("qp offset at the high end of its field");
    }
    tensor_features(t, qq.d, f);
  }
  return f;
}

std::string md_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '|') o += "\\|";
    else o += c;
  }
  return o;
}

}  // namespace

std::vector<std::string> stream_features(const std::vector<uint8_t>& stream) {
  const std::set<std::string> f = features_set(stream);
  return {f.begin(), f.end()};
}

Status coverage_markdown(const std::vector<CoverageInput>& vectors, const std::string& nncodec_results,
                         std::string* md) {
  std::map<std::string, std::vector<std::string>> by_feature;
  size_t total = 0;
  for (const CoverageInput& v : vectors) {
    total += v.stream.size();
    for (const std::string& f : features_set(v.stream)) by_feature[f].push_back(v.name);
  }
  // The reference decoder's recorded verdicts.
  std::map<std::string, std::pair<std::string, std::string>> ref;
  std::string ref_decoder;
  std::error_code ec;
  if (std::filesystem::exists(nncodec_results, ec)) {
    std::vector<uint8_t> b;
    Status s = read_file(nncodec_results, &b);
    if (!s.ok()) return s;
    try {
      const nlohmann::json j = nlohmann::json::parse(b.begin(), b.end());
      ref_decoder = j.value("decoder", "");
      for (const auto& v : j.at("vectors"))
        ref[v.at("vector").get<std::string>()] = {v.at("verdict").get<std::string>(), v.value("reason", "")};
    } catch (const std::exception& e) {
      return Status(ErrorCode::kInvalidArgument, kNoOffset, nncodec_results + ": " + e.what());
    }
  }

  std::string o;
  o += "# Coverage of the project's conformance suite\n\n";
  o += "Generated by `nnr conform generate datasets/conformance` from the streams themselves (each vector is "
       "parsed and decoded; a feature is listed for a vector only if its stream shows it). Do not edit by hand.\n\n";
  o += std::to_string(vectors.size()) + " vectors, " + std::to_string(total) + " bytes of bitstreams. Section "
       "numbers refer to `../shared/spec/nnr-bitstream.md`.\n\n";
  o += "## Features and the vectors that exercise them\n\n| feature | spec | vectors |\n|---|---|---|\n";
  std::set<std::string> listed;
  for (const auto& [feature, section] : catalogue()) {
    listed.insert(feature);
    auto it = by_feature.find(feature);
    std::string vs = "**not covered**";
    if (it != by_feature.end()) {
      vs.clear();
      for (const std::string& n : it->second) vs += (vs.empty() ? "" : ", ") + n;
    }
    o += "| " + md_escape(feature) + " | " + section + " | " + vs + " |\n";
  }
  for (const auto& [feature, names] : by_feature) {
    if (listed.count(feature)) continue;
    std::string vs;
    for (const std::string& n : names) vs += (vs.empty() ? "" : ", ") + n;
    o += "| " + md_escape(feature) + " | | " + vs + " |\n";
  }
  o += "\n## Not covered, and why\n\n| what | why |\n|---|---|\n";
  for (const auto& [what, why] : not_covered()) o += "| " + md_escape(what) + " | " + md_escape(why) + " |\n";
  o += "\n## The vectors, and the reference decoder (NNCodec 0.3.1)\n\n";
  if (ref.empty()) {
    o += "No reference decoder results recorded (nncodec_results.json is absent).\n\n";
  } else {
    o += "Recorded by running `nnr conform datasets/conformance --decoder '" + md_escape(ref_decoder) +
         "' --json datasets/conformance/nncodec_results.json` (see `scripts/decoders/nncodec.py`). \"fails\" "
         "means NNCodec does not decode the vector to the expected output; the reason is its own message. NNCodec "
         "0.3.1 (commit 0e3dcd2) ran from source with its deepCABAC extension built locally; the modules it imports "
         "only for training and model handling (tensorflow, torchvision, pandas, sklearn, cv2, h5py) were empty "
         "stand-ins. Where NNCodec fails, the specification (section 11) lists the tool as unsupported by it, "
         "or the reason shows an NNCodec limitation (an int32 overflow of DQ levels near 2^31, for instance).\n\n";
    size_t pass = 0;
    for (const auto& [name, r] : ref) pass += r.first == "pass";
    o += "NNCodec decodes " + std::to_string(pass) + " of " + std::to_string(ref.size()) + " vectors.\n\n";
  }
  o += "| vector | bytes | exercises | NNCodec | NNCodec's reason |\n|---|---|---|---|---|\n";
  for (const CoverageInput& v : vectors) {
    std::string ex;
    for (const std::string& e : v.exercises) ex += (ex.empty() ? "" : ", ") + e;
    std::string verdict = "not run", reason;
    auto it = ref.find(v.name);
    if (it != ref.end()) {
      verdict = it->second.first == "pass" ? "decodes" : "fails";
      reason = it->second.second;
      if (reason.size() > 160) reason = reason.substr(0, 157) + "...";
    }
    o += "| " + v.name + " | " + std::to_string(v.stream.size()) + " | " + md_escape(ex) + " | " + verdict + " | " +
         md_escape(reason) + " |\n";
  }
  *md = o;
  return Status();
}

}  // namespace nnr::suite
