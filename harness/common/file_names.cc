#include "common/file_names.h"

namespace nnr {

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

}  // namespace nnr
