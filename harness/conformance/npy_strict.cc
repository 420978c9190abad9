#include "conformance/npy_strict.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace nnr {

namespace {

Status bad(const std::string& name, int64_t offset, const std::string& what) {
  return Status(ErrorCode::kInvalidArgument, offset, name + ": " + what);
}

void skip_space(const std::string& h, size_t& i) {
  while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) ++i;
}

// Finds the value text after 'key': in the header dictionary.
bool find_key(const std::string& h, const char* key, size_t* pos) {
  for (const char q : {'\'', '"'}) {
    const std::string k = std::string(1, q) + key + q;
    const size_t at = h.find(k);
    if (at == std::string::npos) continue;
    size_t i = at + k.size();
    skip_space(h, i);
    if (i >= h.size() || h[i] != ':') return false;
    ++i;
    skip_space(h, i);
    *pos = i;
    return true;
  }
  return false;
}

const char* dtype_of_descr(const std::string& d) {
  static const struct {
    const char* descr;
    const char* name;
  } kNames[] = {{"<f4", "float32"}, {"<i4", "int32"},  {"<f8", "float64"}, {"<i8", "int64"},
                {"<f2", "float16"}, {"<u4", "uint32"}, {"<i2", "int16"},   {"<u2", "uint16"},
                {"|i1", "int8"},    {"|u1", "uint8"},  {"<u8", "uint64"},  {"|b1", "bool"}};
  for (const auto& n : kNames)
    if (d == n.descr) return n.name;
  return nullptr;
}

int item_size(const std::string& d) {
  if (d.size() < 3) return 0;
  int n = 0;
  for (size_t i = 2; i < d.size(); ++i) {
    if (d[i] < '0' || d[i] > '9' || n > 64) return 0;
    n = n * 10 + (d[i] - '0');
  }
  return n;
}

// Header length and where the dictionary starts.
Status header_extent(const uint8_t* data, size_t size, const std::string& name, size_t* dict_begin,
                     size_t* data_begin) {
  if (size < 10 || std::memcmp(data, "\x93NUMPY", 6) != 0) return bad(name, 0, "not an .npy file (no \\x93NUMPY magic)");
  const int major = data[6];
  if (major == 1) {
    *dict_begin = 10;
    *data_begin = 10 + (size_t(data[8]) | size_t(data[9]) << 8);
  } else if (major == 2 || major == 3) {
    if (size < 12) return bad(name, 8, "truncated header length");
    *dict_begin = 12;
    *data_begin = 12 + (size_t(data[8]) | size_t(data[9]) << 8 | size_t(data[10]) << 16 | size_t(data[11]) << 24);
  } else {
    return bad(name, 6, "unknown .npy version " + std::to_string(major));
  }
  if (*data_begin > size) return bad(name, 8, "header length runs past the end of the file");
  return Status();
}

}  // namespace

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Status parse_npy_strict(const uint8_t* data, size_t size, const std::string& name, NpyArray* out) {
  size_t dict_begin = 0, data_begin = 0;
  Status s = header_extent(data, size, name, &dict_begin, &data_begin);
  if (!s.ok()) return s;
  const std::string h(reinterpret_cast<const char*>(data) + dict_begin, data_begin - dict_begin);
  NpyArray a;
  size_t i = 0;
  if (!find_key(h, "descr", &i) || i >= h.size() || (h[i] != '\'' && h[i] != '"'))
    return bad(name, static_cast<int64_t>(dict_begin), "header has no 'descr' string");
  const size_t end = h.find(h[i], i + 1);
  if (end == std::string::npos) return bad(name, static_cast<int64_t>(dict_begin + i), "unterminated 'descr'");
  a.descr = h.substr(i + 1, end - i - 1);
  const char* dn = dtype_of_descr(a.descr);
  a.dtype = dn ? dn : a.descr;
  if (!find_key(h, "fortran_order", &i))
    return bad(name, static_cast<int64_t>(dict_begin), "header has no 'fortran_order'");
  a.fortran_order = h.compare(i, 4, "True") == 0;
  if (!find_key(h, "shape", &i) || i >= h.size() || h[i] != '(')
    return bad(name, static_cast<int64_t>(dict_begin), "header has no 'shape' tuple");
  for (++i;;) {
    skip_space(h, i);
    if (i >= h.size()) return bad(name, static_cast<int64_t>(dict_begin + i), "unterminated 'shape'");
    if (h[i] == ')') break;
    if (h[i] == ',') {
      ++i;
      continue;
    }
    if (h[i] < '0' || h[i] > '9') return bad(name, static_cast<int64_t>(dict_begin + i), "bad character in 'shape'");
    int64_t v = 0;
    while (i < h.size() && h[i] >= '0' && h[i] <= '9') {
      if (v > (int64_t{1} << 40)) return bad(name, static_cast<int64_t>(dict_begin + i), "dimension too large");
      v = v * 10 + (h[i++] - '0');
    }
    a.shape.push_back(v);
  }
  const int isz = item_size(a.descr);
  if (isz == 0) return bad(name, static_cast<int64_t>(dict_begin), "unsupported descr '" + a.descr + "'");
  uint64_t numel = 1;
  for (int64_t d : a.shape) {
    if (d != 0 && numel > (uint64_t{1} << 40) / static_cast<uint64_t>(d))
      return bad(name, static_cast<int64_t>(dict_begin), "shape too large");
    numel *= static_cast<uint64_t>(d);
  }
  const uint64_t want = numel * static_cast<uint64_t>(isz);
  if (size - data_begin != want)
    return bad(name, static_cast<int64_t>(data_begin),
               "array data has " + std::to_string(size - data_begin) + " bytes, shape " +
                   shape_string(a.shape) + " of " + a.descr + " needs " + std::to_string(want));
  a.data.assign(data + data_begin, data + size);
  *out = std::move(a);
  return Status();
}

Status read_npy_strict(const std::string& path, uint64_t max_data_bytes, NpyArray* out) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return Status(ErrorCode::kIo, kNoOffset, path + ": " + ec.message());
  // The header of a valid file is well under 64 KiB.
  if (size > max_data_bytes + 65536)
    return Status(ErrorCode::kInvalidArgument, kNoOffset,
                  path + ": " + std::to_string(size) + " bytes, more than the expected tensor can take");
  std::ifstream f(path, std::ios::binary);
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (!f.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size)))
    return Status(ErrorCode::kIo, kNoOffset, path + ": cannot read");
  return parse_npy_strict(bytes.data(), bytes.size(), path, out);
}

}  // namespace nnr
