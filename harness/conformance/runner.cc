#include "conformance/runner.h"

#include <chrono>
#include <map>

#include "common/tensor_output.h"
#include "nnr/io.h"

namespace nnr {

VectorResult compare_outputs(const ConformanceVector& v, const std::vector<DecodedTensor>& got) {
  VectorResult r;
  r.name = v.name;
  r.tensors = v.expected.size();
  std::map<std::string, const DecodedTensor*> by_name;
  for (const DecodedTensor& t : got) {
    if (!by_name.emplace(t.name, &t).second) {
      r.reason = "tensor '" + t.name + "' output twice";
      return r;
    }
  }
  for (const ExpectedTensor& e : v.expected) {
    auto it = by_name.find(e.name);
    if (it == by_name.end()) {
      r.reason = "missing tensor '" + e.name + "'";
      return r;
    }
    const DecodedTensor& t = *it->second;
    if (e.dtype != dtype_name(t.dtype)) {
      r.reason = "tensor '" + e.name + "': dtype " + dtype_name(t.dtype) + ", expected " + e.dtype;
      return r;
    }
    if (e.shape != t.shape) {
      r.reason = "tensor '" + e.name + "': shape differs";
      return r;
    }
    if (tensor_sha256(t) != e.sha256) {
      r.reason = "tensor '" + e.name + "': values differ (sha256 mismatch)";
      return r;
    }
    by_name.erase(it);
  }
  if (!by_name.empty()) {
    r.reason = "extra tensor '" + by_name.begin()->first + "'";
    return r;
  }
  r.pass = true;
  return r;
}

VectorResult run_vector_in_process(const ConformanceVector& v, const DecodeOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  VectorResult r;
  r.name = v.name;
  std::vector<uint8_t> bytes;
  Status s = read_file(v.stream_path, &bytes);
  if (s.ok()) {
    DecodedModel model;
    s = decode(bytes.data(), bytes.size(), options, &model);
    if (s.ok()) r = compare_outputs(v, model.tensors);
  }
  if (!s.ok()) {
    r.pass = false;
    r.reason = "decoder error: " + s.describe(v.stream_path);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace nnr
