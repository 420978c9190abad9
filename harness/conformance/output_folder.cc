#include "conformance/output_folder.h"

#include "config/json_text.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "common/file_names.h"
#include "common/sha256.h"
#include "conformance/npy_strict.h"
#include "nnr/io.h"

namespace nnr {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

uint64_t expected_bytes(const ExpectedTensor& e) {
  uint64_t n = 4;
  for (int64_t d : e.shape) n *= static_cast<uint64_t>(d < 0 ? 0 : d);
  return n;
}

// name -> file from DIR/index.json, if the decoder wrote one.
Status read_index(const std::string& dir, std::map<std::string, std::string>* files, bool* present) {
  const std::string path = dir + "/index.json";
  std::error_code ec;
  *present = fs::exists(path, ec);
  if (!*present) return Status();
  if (fs::file_size(path, ec) > (64u << 20))
    return Status(ErrorCode::kInvalidArgument, kNoOffset, path + ": larger than 64 MiB");
  std::vector<uint8_t> bytes;
  Status s = read_file(path, &bytes);
  if (!s.ok()) return s;
  json j;
  s = parse_json_text(std::string(bytes.begin(), bytes.end()), &j);
  if (!s.ok()) return Status(s.code(), s.byte_offset(), path + ": " + s.message());
  if (!j.is_array()) return Status(ErrorCode::kInvalidArgument, kNoOffset, path + ": expected a list");
  for (size_t i = 0; i < j.size(); ++i) {
    const json& t = j[i];
    const std::string p = "/" + std::to_string(i);
    if (!t.is_object() || !t.contains("name") || !t["name"].is_string())
      return Status(ErrorCode::kInvalidArgument, kNoOffset, path + ": " + p + "/name: missing");
    if (!t.contains("file") || !t["file"].is_string())
      return Status(ErrorCode::kInvalidArgument, kNoOffset, path + ": " + p + "/file: missing");
    const std::string file = t["file"].get<std::string>();
    if (file.find('/') != std::string::npos || file == ".." || file == ".")
      return Status(ErrorCode::kInvalidArgument, kNoOffset, path + ": " + p + "/file: not a file name in the folder");
    if (!files->emplace(t["name"].get<std::string>(), file).second)
      return Status(ErrorCode::kInvalidArgument, kNoOffset,
                    path + ": " + p + "/name: tensor '" + t["name"].get<std::string>() + "' listed twice");
  }
  return Status();
}

std::string hex32(const uint8_t* p) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%02x%02x%02x%02x", p[3], p[2], p[1], p[0]);
  return buf;
}

}  // namespace

std::string first_difference(const ExpectedTensor& e, const std::vector<uint8_t>& got) {
  if (e.file.empty()) return "";
  std::vector<uint8_t> want;
  if (!read_file(e.file, &want).ok()) return "";
  if (e.file.size() > 4 && e.file.compare(e.file.size() - 4, 4, ".npy") == 0) {
    NpyArray a;
    if (!parse_npy_strict(want.data(), want.size(), e.file, &a).ok()) return "";
    want = std::move(a.data);
  }
  if (want.size() != got.size() || want.size() % 4) return "";
  // A value as a number and its bits.
  auto value = [&e](const uint8_t* p) {
    uint32_t bits;
    std::memcpy(&bits, p, 4);
    char b[48];
    if (e.dtype == "int32") {
      std::snprintf(b, sizeof b, "%d", static_cast<int32_t>(bits));
    } else {
      float f;
      std::memcpy(&f, &bits, 4);
      std::snprintf(b, sizeof b, "%.9g", static_cast<double>(f));
    }
    return std::string(b) + " (" + hex32(p) + ")";
  };
  for (size_t i = 0; i < want.size(); i += 4) {
    if (std::memcmp(&want[i], &got[i], 4) == 0) continue;
    // Its index in the tensor's shape, outermost first.
    std::string at;
    uint64_t rest = i / 4;
    for (size_t d = e.shape.size(); d-- > 0;) {
      const uint64_t n = e.shape[d] > 0 ? static_cast<uint64_t>(e.shape[d]) : 1;
      at = std::to_string(rest % n) + (at.empty() ? "" : ", ") + at;
      rest /= n;
    }
    return "first difference at element " + std::to_string(i / 4) + " [" + at + "] of " +
           std::to_string(want.size() / 4) + ": got " + value(&got[i]) + ", expected " + value(&want[i]);
  }
  return "";
}

VectorResult compare_output_folder(const ConformanceVector& v, const std::string& dir) {
  VectorResult r;
  r.name = v.name;
  r.tensors = v.expected.size();
  std::map<std::string, std::string> index;
  bool have_index = false;
  Status s = read_index(dir, &index, &have_index);
  if (!s.ok()) {
    r.reason = "decoder output: " + s.describe();
    return r;
  }
  std::set<std::string> claimed;
  // Without index.json the files are named as `nnr decode` names them.
  std::vector<std::string> names;
  for (const ExpectedTensor& e : v.expected) names.push_back(e.name);
  const std::vector<std::string> files = tensor_file_names(names);
  for (size_t ei = 0; ei < v.expected.size(); ++ei) {
    const ExpectedTensor& e = v.expected[ei];
    std::string file = files[ei];
    if (have_index) {
      auto it = index.find(e.name);
      if (it == index.end()) {
        r.reason = "missing tensor '" + e.name + "' (not in index.json)";
        return r;
      }
      file = it->second;
      index.erase(it);
    }
    claimed.insert(file);
    const std::string path = dir + "/" + file;
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      r.reason = "missing tensor '" + e.name + "' (" + file + " not written)";
      return r;
    }
    NpyArray a;
    s = read_npy_strict(path, expected_bytes(e), &a);
    if (!s.ok()) {
      r.reason = "tensor '" + e.name + "': " + s.describe();
      return r;
    }
    if (a.dtype != e.dtype) {
      r.reason = "tensor '" + e.name + "': dtype " + a.dtype + ", expected " + e.dtype;
      return r;
    }
    if (a.shape != e.shape) {
      r.reason = "tensor '" + e.name + "': shape " + shape_string(a.shape) + ", expected " + shape_string(e.shape);
      return r;
    }
    if (a.fortran_order && a.shape.size() > 1) {
      r.reason = "tensor '" + e.name + "': written in Fortran order, expected C (row-major) order";
      return r;
    }
    if (sha256_hex(a.data.data(), a.data.size()) != e.sha256) {
      const std::string where = first_difference(e, a.data);
      r.reason = "tensor '" + e.name + "': values differ (sha256 mismatch" + (where.empty() ? "" : "; " + where) + ")";
      return r;
    }
  }
  if (have_index && !index.empty()) {
    r.reason = "extra tensor '" + index.begin()->first + "'";
    return r;
  }
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(dir, ec)) {
    const std::string n = f.path().filename().string();
    if (f.path().extension() == ".npy" && !claimed.count(n)) {
      r.reason = "extra tensor file '" + n + "'";
      return r;
    }
  }
  r.pass = true;
  return r;
}

}  // namespace nnr
