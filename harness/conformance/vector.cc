#include "conformance/vector.h"

#include "config/json_text.h"

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "nnr/io.h"

namespace nnr {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

struct ManifestError {
  std::string path;
  std::string what;
};

const json& need(const json& j, const char* key, json::value_t type, const std::string& path) {
  if (!j.is_object() || !j.contains(key))
    throw ManifestError{path + "/" + key, "missing"};
  const json& v = j.at(key);
  const bool ok = v.type() == type ||
                  (type == json::value_t::number_integer && v.is_number_unsigned());
  if (!ok) throw ManifestError{path + "/" + key, std::string("expected ") + json(type).type_name()};
  return v;
}

// A short summary of an NNCodec-style encoder_settings object.
std::vector<std::string> tools_from_settings(const json& s) {
  std::vector<std::string> t;
  auto num = [&](const char* k, int64_t def) {
    return s.contains(k) && s[k].is_number_integer() ? s[k].get<int64_t>() : def;
  };
  auto flag = [&](const char* k) { return s.contains(k) && s[k].is_boolean() && s[k].get<bool>(); };
  const int64_t cb = num("codebook_mode", 0);
  if (cb) t.push_back("codebook" + std::to_string(cb));
  t.push_back(flag("use_dq") ? "DQ" : "URQ");
  if (const int64_t so = num("scan_order", 0)) t.push_back("scan" + std::to_string(so));
  if (const int64_t d = num("qp_density", 2); d != 2) t.push_back("qpd" + std::to_string(d));
  if (const int64_t u = num("cabac_unary_length_minus1", 10); u != 10) t.push_back("unary" + std::to_string(u));
  if (s.contains("block_id_and_param_type") && !s["block_id_and_param_type"].is_null()) t.push_back("blocks");
  if (flag("bnf")) t.push_back("bnf");
  if (!flag("param_opt") && s.contains("param_opt")) t.push_back("no-param_opt");
  if (flag("row_skipping")) t.push_back("row-skip");
  if (flag("tca")) t.push_back("TCA");
  if (flag("compress_differences")) t.push_back("diff");
  return t;
}

// The bitstream of a vector or step: "bitstream": {"file", "sha256"}, or "stream".
void load_stream(const json& m, const std::string& dir, const std::string& path, std::string* stream,
                 std::string* sha) {
  if (m.is_object() && m.contains("bitstream")) {
    const json& b = need(m, "bitstream", json::value_t::object, path);
    *stream = dir + "/" + need(b, "file", json::value_t::string, path + "/bitstream").get<std::string>();
    if (b.contains("sha256") && b["sha256"].is_string()) *sha = b["sha256"];
  } else {
    *stream = dir + "/" + need(m, "stream", json::value_t::string, path).get<std::string>();
    if (m.contains("sha256") && m["sha256"].is_string()) *sha = m["sha256"];
  }
}

std::vector<ExpectedTensor> load_expected(const json& m, const std::string& dir, const std::string& path) {
  std::vector<ExpectedTensor> out;
  const json& dec = need(m, "decoded", json::value_t::array, path);
  for (size_t i = 0; i < dec.size(); ++i) {
    const std::string p = path + "/decoded/" + std::to_string(i);
    ExpectedTensor t;
    t.name = need(dec[i], "name", json::value_t::string, p).get<std::string>();
    t.dtype = need(dec[i], "dtype", json::value_t::string, p).get<std::string>();
    const json& shape = need(dec[i], "shape", json::value_t::array, p);
    for (size_t k = 0; k < shape.size(); ++k) {
      if (!shape[k].is_number_integer())
        throw ManifestError{p + "/shape/" + std::to_string(k), "expected an integer"};
      t.shape.push_back(shape[k].get<int64_t>());
    }
    t.sha256 = need(dec[i], "sha256", json::value_t::string, p).get<std::string>();
    if (dec[i].contains("file") && dec[i]["file"].is_string()) t.file = dir + "/" + dec[i]["file"].get<std::string>();
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

Status load_vector(const std::string& dir, ConformanceVector* out) {
  const std::string file = dir + "/manifest.json";
  std::vector<uint8_t> bytes;
  Status s = read_file(file, &bytes);
  if (!s.ok()) return s;
  json m;
  s = parse_json_text(std::string(bytes.begin(), bytes.end()), &m);
  if (!s.ok()) return Status(s.code(), s.byte_offset(), file + ": " + s.message());
  ConformanceVector v;
  v.dir = dir;
  try {
    v.name = m.is_object() && m.contains("name") && m["name"].is_string()
                 ? m["name"].get<std::string>()
                 : fs::path(dir).filename().string();
    if (m.is_object() && m.contains("description") && m["description"].is_string())
      v.description = m["description"].get<std::string>();
    if (m.contains("exercises") && m["exercises"].is_array()) {
      for (const json& e : m["exercises"])
        if (e.is_string()) v.tools.push_back(e.get<std::string>());
    } else if (m.contains("encoder_settings") && m["encoder_settings"].is_object()) {
      v.tools = tools_from_settings(m["encoder_settings"]);
    }
    if (m.contains("kind") && m["kind"] == "sequence") {
      const json& steps = need(m, "steps", json::value_t::array, "");
      if (steps.empty()) throw ManifestError{"/steps", "empty"};
      for (size_t i = 0; i < steps.size(); ++i) {
        const std::string p = "/steps/" + std::to_string(i);
        ConformanceVector::Step st;
        st.name = need(steps[i], "dir", json::value_t::string, p).get<std::string>();
        if (st.name.empty() || st.name.find("..") != std::string::npos || st.name[0] == '/')
          throw ManifestError{p + "/dir", "not a folder of the vector"};
        const std::string step_dir = dir + "/" + st.name;
        load_stream(steps[i], step_dir, p, &st.stream_path, &st.stream_sha256);
        st.expected = load_expected(steps[i], step_dir, p);
        if (i == 0 && steps[i].contains("encoder_settings") && steps[i]["encoder_settings"].is_object() &&
            v.tools.empty())
          v.tools = tools_from_settings(steps[i]["encoder_settings"]);
        v.steps.push_back(std::move(st));
      }
      if (m.contains("producer") && m["producer"].is_object() && m["producer"].contains("hdsp_injection") &&
          m["producer"]["hdsp_injection"].is_string())
        v.tools.push_back("HDSP");
      v.tools.insert(v.tools.begin(), std::to_string(v.steps.size()) + " steps");
    } else {
      load_stream(m, dir, "", &v.stream_path, &v.stream_sha256);
      v.expected = load_expected(m, dir, "");
    }
  } catch (const ManifestError& e) {
    return Status(ErrorCode::kInvalidArgument, kNoOffset, file + ": " + e.path + ": " + e.what);
  }
  *out = std::move(v);
  return Status();
}

std::vector<std::string> find_vector_dirs(const std::string& path) {
  std::vector<std::string> dirs;
  std::error_code ec;
  if (fs::exists(fs::path(path) / "manifest.json", ec)) {
    dirs.push_back(path);
    return dirs;
  }
  for (const auto& e : fs::directory_iterator(path, ec)) {
    if (e.is_directory(ec) && fs::exists(e.path() / "manifest.json", ec)) dirs.push_back(e.path().string());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

}  // namespace nnr
