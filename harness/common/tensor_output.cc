#include "common/tensor_output.h"

#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "common/file_names.h"
#include "common/sha256.h"
#include "nnr/io.h"

namespace nnr {

std::string tensor_sha256(const Tensor& t) {
  const std::vector<uint8_t> b = t.bytes();
  return sha256_hex(b.data(), b.size());
}

Status write_tensor_folder(const std::string& dir, const std::vector<DecodedTensor>& tensors) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status(ErrorCode::kIo, kNoOffset, dir + ": " + ec.message());
  nlohmann::ordered_json index = nlohmann::ordered_json::array();
  std::set<std::string> used;
  for (const DecodedTensor& t : tensors) {
    std::string base = sanitize_tensor_name(t.name);
    std::string file = base + ".npy";
    for (int k = 1; used.count(file); ++k) file = base + "-" + std::to_string(k) + ".npy";
    used.insert(file);
    Status s = write_npy(dir + "/" + file, t);
    if (!s.ok()) return s;
    nlohmann::ordered_json e;
    e["name"] = t.name;
    e["file"] = file;
    e["dtype"] = dtype_name(t.dtype);
    e["shape"] = t.shape;
    e["sha256"] = tensor_sha256(t);
    index.push_back(std::move(e));
  }
  const std::string text = index.dump(1) + "\n";
  return write_file_atomic(dir + "/index.json", reinterpret_cast<const uint8_t*>(text.data()),
                           text.size());
}

}  // namespace nnr
