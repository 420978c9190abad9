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
  return t;
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
    if (m.is_object() && m.contains("bitstream")) {
      const json& b = need(m, "bitstream", json::value_t::object, "");
      v.stream_path = dir + "/" + need(b, "file", json::value_t::string, "/bitstream").get<std::string>();
      if (b.contains("sha256") && b["sha256"].is_string()) v.stream_sha256 = b["sha256"];
    } else {
      v.stream_path = dir + "/" + need(m, "stream", json::value_t::string, "").get<std::string>();
      if (m.contains("sha256") && m["sha256"].is_string()) v.stream_sha256 = m["sha256"];
    }
    if (m.contains("exercises") && m["exercises"].is_array()) {
      for (const json& e : m["exercises"])
        if (e.is_string()) v.tools.push_back(e.get<std::string>());
    } else if (m.contains("encoder_settings") && m["encoder_settings"].is_object()) {
      v.tools = tools_from_settings(m["encoder_settings"]);
    }
    const json& dec = need(m, "decoded", json::value_t::array, "");
    for (size_t i = 0; i < dec.size(); ++i) {
      const std::string p = "/decoded/" + std::to_string(i);
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
      v.expected.push_back(std::move(t));
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
