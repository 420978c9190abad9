#include "conformance/suite/generate.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "common/file_names.h"
#include "common/sha256.h"
#include "common/tensor_output.h"
#include "conformance/runner.h"
#include "conformance/suite/coverage.h"
#include "conformance/suite/vector_defs.h"
#include "nnr/decoder.h"
#include "nnr/io.h"

namespace nnr {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace {

// Full expected tensors are stored only up to this size; sha256 always.
constexpr size_t kStoreTensorBytes = 4096;

ojson settings_json(const EncoderSettings& s) {
  ojson j;
  j["qp"] = s.qp;
  j["qp_density"] = s.qp_density;
  j["nonweight_qp"] = s.nonweight_qp ? ojson(*s.nonweight_qp) : ojson(nullptr);
  j["qp_per_tensor"] = nullptr;
  j["use_dq"] = s.use_dq;
  j["codebook_mode"] = s.codebook_mode;
  j["scan_order"] = s.scan_order;
  j["lambda_scale"] = 0;
  j["param_opt"] = s.param_opt;
  j["cabac_unary_length_minus1"] = s.cabac_unary_length_minus1;
  j["opt_qp"] = s.opt_qp;
  j["bnf"] = s.bnf;
  if (s.general_profile_idc == 1) {
    j["general_profile_idc"] = 1;
    j["row_skipping"] = s.row_skipping;
    j["tca"] = s.tca;
    j["compress_differences"] = s.compress_differences;
    j["device_id"] = s.device_id;
  }
  if (s.parameter_type.empty()) {
    j["block_id_and_param_type"] = nullptr;
  } else {
    ojson b, t;
    for (const auto& [name, type] : s.parameter_type) t[name] = type;
    b["block_identifier"] = ojson::object();
    b["parameter_type"] = t;
    j["block_id_and_param_type"] = b;
  }
  return j;
}

ojson unit_summary(const NnrUnit& u) {
  ojson j;
  j["offset"] = u.offset;
  j["nnr_unit_size"] = u.nnr_unit_size;
  j["long_size_field"] = u.nnr_unit_size_flag == 1;
  j["nnr_unit_type"] = nnr_unit_type_name(u.nnr_unit_type);
  if (u.partial_data_counter_present_flag) j["partial_data_counter"] = u.partial_data_counter;
  if (u.nnr_unit_type == NNR_NDU) {
    j["payload_type"] = payload_type_name(u.ndu.nnr_compressed_data_unit_payload_type);
    if (u.ndu.compressed_parameter_types) j["compressed_parameter_types"] = u.ndu.compressed_parameter_types;
    j["topology_elem_ids"] = u.ndu.topology_elem_ids;
    if (!u.ndu.topology_elem_id_indices.empty()) j["topology_elem_id_indices"] = u.ndu.topology_elem_id_indices;
    j["dq_flag"] = u.ndu.dq_flag;
    j["scan_order"] = u.ndu.scan_order;
    j["entry_points"] = u.ndu.entry_points.size();
  }
  if (u.nnr_unit_type == NNR_AGG) {
    ojson c = ojson::array();
    for (const NnrUnit& ch : u.children) c.push_back(unit_summary(ch));
    j["units"] = c;
  }
  return j;
}

Status write_bytes(const std::string& path, const std::vector<uint8_t>& b) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  return write_file_atomic(path, b.data(), b.size());
}

Status write_text(const std::string& path, const std::string& t) {
  return write_bytes(path, std::vector<uint8_t>(t.begin(), t.end()));
}

// Every output of the project's decoder, in every mode, must equal the
// expected output (which came from the encoder or the spec model).
// Warnings are refused too, but for those the vector expects.
Status cross_check(const std::string& name, const std::vector<uint8_t>& stream, const std::vector<Tensor>& expected,
                   const std::vector<std::string>& expected_warnings) {
  ConformanceVector v;
  v.name = name;
  for (const Tensor& t : expected)
    v.expected.push_back({t.name, dtype_name(t.dtype), t.shape, tensor_sha256(t), ""});
  for (int threads : {1, 2}) {
    for (bool eps : {true, false}) {
      DecodeOptions o;
      o.threads = threads;
      o.use_entry_points = eps;
      DecodedModel m;
      const Status s = decode(stream.data(), stream.size(), o, &m);
      if (!s.ok()) return Status(ErrorCode::kInternal, kNoOffset, name + ": the project's decoder fails: " + s.describe());
      const VectorResult r = compare_outputs(v, m.tensors);
      if (!r.pass)
        return Status(ErrorCode::kInternal, kNoOffset,
                      name + ": the project's decoder (" + std::to_string(threads) + " threads, entry points " +
                          (eps ? "on" : "off") + ") disagrees with the expected output: " + r.reason);
      for (const std::string& w : m.warnings) {
        bool expected_one = false;
        for (const std::string& e : expected_warnings) expected_one |= w.find(e) != std::string::npos;
        if (!expected_one) return Status(ErrorCode::kInternal, kNoOffset, name + ": decoder warning: " + w);
      }
      if (m.warnings.size() != expected_warnings.size())
        return Status(ErrorCode::kInternal, kNoOffset, name + ": " + std::to_string(m.warnings.size()) +
                                                           " decoder warnings, expected " +
                                                           std::to_string(expected_warnings.size()));
    }
  }
  return Status();
}

struct Built {
  suite::VectorDef def;
  std::vector<uint8_t> stream;
  std::vector<Tensor> expected;
};

Status build_vector(const std::string& name, const suite::VectorMaker& make, Built* out) {
  try {
    out->def = make();
    if (out->def.use_encoder) {
      EncodeResult r;
      const Status s = encode(out->def.inputs, out->def.settings, &r);
      if (!s.ok()) return Status(s.code(), kNoOffset, name + ": encoder: " + s.describe());
      out->stream = std::move(r.stream);
      out->expected = std::move(r.reconstruction);
    } else {
      out->stream = suite::build_stream(out->def.units);
      out->expected = suite::expected_output(out->def.units);
    }
  } catch (const std::exception& e) {
    return Status(ErrorCode::kInternal, kNoOffset, name + ": " + e.what());
  }
  return cross_check(name, out->stream, out->expected, out->def.expected_warnings);
}

Status write_vector(const std::string& dir, const Built& b) {
  const suite::VectorDef& d = b.def;
  ojson m;
  m["format"] = "nnr-conformance-vector/1";
  m["name"] = d.name;
  m["set"] = "nnr";
  m["description"] = d.description;
  m["exercises"] = d.exercises;
  ojson p;
  p["software"] = "nnr (this project)";
  p["command"] = "nnr conform generate datasets/conformance --only " + d.name;
  p["seed"] = d.seed;
  if (d.use_encoder) {
    p["method"] = "nnr::encode on seeded inputs";
    p["expected_output"] = "the encoder's reconstruction, checked against the project's decoder";
  } else {
    p["method"] = "stream builder (harness/conformance/suite): every coded value chosen explicitly";
    p["expected_output"] =
        "the specification's reconstruction of the coded values (harness/conformance/suite/spec_model.cc), checked "
        "against the project's decoder";
  }
  m["producer"] = p;
  if (d.use_encoder) m["encoder_settings"] = settings_json(d.settings);
  ojson bs;
  bs["file"] = "stream.nnc";
  bs["size_bytes"] = b.stream.size();
  bs["sha256"] = sha256_hex(b.stream.data(), b.stream.size());
  m["bitstream"] = bs;
  std::vector<NnrUnit> units;
  if (parse_units(b.stream.data(), b.stream.size(), &units).ok()) {
    ojson us = ojson::array();
    for (const NnrUnit& u : units) us.push_back(unit_summary(u));
    m["stream_structure"] = {{"units", us}};
  }
  ojson dec = ojson::array();
  std::set<std::string> files;
  for (const Tensor& t : b.expected) {
    ojson e;
    e["name"] = t.name;
    e["dtype"] = dtype_name(t.dtype);
    e["shape"] = t.shape;
    const std::vector<uint8_t> bytes = t.bytes();
    e["size_bytes"] = bytes.size();
    e["sha256"] = sha256_hex(bytes.data(), bytes.size());
    if (bytes.size() <= kStoreTensorBytes) {
      const std::string file = "decoded/" + sanitize_tensor_name(t.name) + ".npy";
      if (!files.insert(file).second)
        return Status(ErrorCode::kInternal, kNoOffset, d.name + ": two tensors sanitize to " + file);
      Status s = write_bytes(dir + "/" + file, npy_bytes(t));
      if (!s.ok()) return s;
      e["file"] = file;
    }
    dec.push_back(std::move(e));
  }
  m["decoded"] = dec;
  Status s = write_bytes(dir + "/stream.nnc", b.stream);
  if (!s.ok()) return s;
  return write_text(dir + "/manifest.json", m.dump(1) + "\n");
}

std::string default_results(const GenerateOptions& o) {
  return o.nncodec_results.empty() ? o.out_dir + "/nncodec_results.json" : o.nncodec_results;
}

}  // namespace

Status generate_suite(const GenerateOptions& o, std::string* report) {
  const auto makers = suite::all_vector_makers();
  std::set<std::string> wanted(o.only.begin(), o.only.end());
  std::set<std::string> names;
  for (const auto& [name, make] : makers) names.insert(name);
  for (const std::string& n : wanted)
    if (!names.count(n)) return Status(ErrorCode::kInvalidArgument, kNoOffset, "no vector named '" + n + "'");
  std::vector<suite::CoverageInput> coverage;
  for (const auto& [name, make] : makers) {
    if (!wanted.empty() && !wanted.count(name)) continue;
    Built b;
    Status s = build_vector(name, make, &b);
    if (!s.ok()) return s;
    const std::string dir = o.out_dir + "/" + name;
    std::error_code ec;
    fs::remove_all(dir, ec);
    s = write_vector(dir, b);
    if (!s.ok()) return s;
    if (report) *report += name + ": " + std::to_string(b.stream.size()) + " bytes, " + std::to_string(b.expected.size()) + " tensors\n";
    coverage.push_back({name, b.def.description, b.def.exercises, b.stream});
  }
  if (!wanted.empty()) return Status();
  // Vector folders that are no longer in the suite go.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(o.out_dir, ec)) {
    if (e.is_directory() && fs::exists(e.path() / "manifest.json") && !names.count(e.path().filename().string()))
      fs::remove_all(e.path(), ec);
  }
  std::string md;
  const Status s = suite::coverage_markdown(coverage, default_results(o), &md);
  if (!s.ok()) return s;
  return write_text(o.out_dir + "/COVERAGE.md", md);
}

namespace {

std::map<std::string, std::vector<uint8_t>> tree(const std::string& root) {
  std::map<std::string, std::vector<uint8_t>> files;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(root, ec)) {
    if (!e.is_regular_file()) continue;
    std::vector<uint8_t> b;
    if (read_file(e.path().string(), &b).ok()) files[fs::relative(e.path(), root).string()] = std::move(b);
  }
  return files;
}

}  // namespace

Status check_suite(const GenerateOptions& o, std::string* report) {
  const char* tmp = getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/nnr-suite-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) return Status(ErrorCode::kIo, kNoOffset, "cannot create a temporary folder");
  const std::string dir = buf.data();
  GenerateOptions g = o;
  g.out_dir = dir;
  g.nncodec_results = default_results(o);
  std::string ignored;
  Status s = generate_suite(g, &ignored);
  if (s.ok()) {
    auto want = tree(dir), have = tree(o.out_dir);
    // Files that are inputs, not outputs, of the generator.
    have.erase("nncodec_results.json");
    std::string diff;
    for (const auto& [f, bytes] : want) {
      auto it = have.find(f);
      if (it == have.end()) diff = f + " is missing from " + o.out_dir;
      else if (it->second != bytes) diff = f + " differs from what the generator writes";
      if (!diff.empty()) break;
    }
    if (diff.empty() && o.only.empty()) {
      for (const auto& [f, bytes] : have)
        if (!want.count(f)) {
          diff = f + " is not written by the generator";
          break;
        }
    }
    if (!diff.empty()) {
      s = Status(ErrorCode::kInvalidArgument, kNoOffset,
                 diff + " (regenerate with `nnr conform generate " + o.out_dir + "`)");
    } else if (report) {
      *report += std::to_string(want.size()) + " files identical to " + o.out_dir + "\n";
    }
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return s;
}

}  // namespace nnr
