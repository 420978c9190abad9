#include "common/file_names.h"

#include <set>

#include "common/sha256.h"

namespace nnr {

namespace {
constexpr size_t kMaxBase = 200;
constexpr size_t kKeep = kMaxBase - 17;  // room for '-' and 16 hex digits
}  // namespace

std::string sanitize_tensor_name(const std::string& name) {
  std::string s = name;
  for (char& c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  // "." and ".." would name directories.
  if (s == "." || s == "..") s = std::string(s.size(), '_');
  return s;
}

std::string tensor_file_base(const std::string& name) {
  std::string s = sanitize_tensor_name(name);
  if (s.size() <= kMaxBase) return s;
  const std::string h = sha256_hex(reinterpret_cast<const uint8_t*>(name.data()), name.size());
  return s.substr(0, kKeep) + "-" + h.substr(0, 16);
}

std::string numbered_tensor_file(const std::string& base, int k) {
  return k == 0 ? base + ".npy" : base + "-" + std::to_string(k) + ".npy";
}

std::vector<std::string> tensor_file_names(const std::vector<std::string>& names) {
  std::vector<std::string> files;
  std::set<std::string> used;
  for (const std::string& n : names) {
    const std::string base = tensor_file_base(n);
    std::string f;
    for (int k = 0;; ++k)
      if (used.insert(f = numbered_tensor_file(base, k)).second) break;
    files.push_back(std::move(f));
  }
  return files;
}

}  // namespace nnr
