#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "io/array_convert.h"
#include "nnr/io.h"

namespace nnr {

std::vector<uint8_t> npy_bytes(const Tensor& t) {
  std::string shape = "(";
  for (size_t i = 0; i < t.shape.size(); ++i) {
    shape += std::to_string(t.shape[i]);
    if (t.shape.size() == 1 || i + 1 < t.shape.size()) shape += ",";
    if (i + 1 < t.shape.size()) shape += " ";
  }
  shape += ")";
  std::string header = std::string("{'descr': '") + (t.dtype == DType::kInt32 ? "<i4" : "<f4") +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so that magic + lengths + header + '\n' is a multiple of 64.
  const size_t base = 10 + header.size() + 1;
  header.append((64 - base % 64) % 64, ' ');
  header += '\n';
  std::vector<uint8_t> out;
  const std::vector<uint8_t> body = t.bytes();
  out.reserve(10 + header.size() + body.size());
  const uint8_t magic[] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  out.insert(out.end(), magic, magic + 8);
  out.push_back(static_cast<uint8_t>(header.size() & 0xff));
  out.push_back(static_cast<uint8_t>(header.size() >> 8));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Status write_npy(const std::string& path, const Tensor& t) {
  const std::vector<uint8_t> b = npy_bytes(t);
  return write_file_atomic(path, b.data(), b.size());
}

Status read_file(const std::string& path, std::vector<uint8_t>* out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status(ErrorCode::kIo, kNoOffset, path + ": " + std::strerror(errno));
  out->clear();
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out->insert(out->end(), buf, buf + n);
  const bool bad = std::ferror(f);
  std::fclose(f);
  if (bad) return Status(ErrorCode::kIo, kNoOffset, path + ": read error");
  return Status();
}

Status write_file_atomic(const std::string& path, const uint8_t* data, size_t size) {
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return Status(ErrorCode::kIo, kNoOffset, tmp + ": " + std::strerror(errno));
  const bool ok = std::fwrite(data, 1, size, f) == size;
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) {
    std::remove(tmp.c_str());
    return Status(ErrorCode::kIo, kNoOffset, path + ": write error");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status(ErrorCode::kIo, kNoOffset, path + ": " + std::strerror(errno));
  }
  return Status();
}

}  // namespace nnr

namespace nnr {

namespace {

// Value of `key` in the header dict, as the raw text up to the next top-level ','/'}'.
bool header_value(const std::string& h, const std::string& key, std::string* out) {
  const size_t k = h.find("'" + key + "'");
  if (k == std::string::npos) return false;
  size_t p = h.find(':', k);
  if (p == std::string::npos) return false;
  ++p;
  while (p < h.size() && h[p] == ' ') ++p;
  size_t e = p;
  if (p < h.size() && h[p] == '(') {
    e = h.find(')', p);
    if (e == std::string::npos) return false;
    ++e;
  } else {
    while (e < h.size() && h[e] != ',' && h[e] != '}') ++e;
  }
  *out = h.substr(p, e - p);
  while (!out->empty() && out->back() == ' ') out->pop_back();
  return true;
}

}  // namespace

Status parse_npy(const uint8_t* data, size_t size, Tensor* out, std::vector<std::string>* notices) {
  auto bad = [](int64_t off, const std::string& m) {
    return Status(ErrorCode::kInvalidBitstream, off, "npy: " + m);
  };
  if (size < 10 || std::memcmp(data, "\x93NUMPY", 6) != 0) return bad(0, "not an .npy file");
  const int major = data[6];
  size_t hlen, hstart;
  if (major == 1) {
    hlen = data[8] | (size_t(data[9]) << 8);
    hstart = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) return bad(0, "truncated header");
    hlen = data[8] | (size_t(data[9]) << 8) | (size_t(data[10]) << 16) | (size_t(data[11]) << 24);
    hstart = 12;
  } else {
    return bad(6, "unknown format version " + std::to_string(major));
  }
  if (hlen > size - hstart) return bad(8, "header longer than the file");
  const std::string h(reinterpret_cast<const char*>(data + hstart), hlen);
  std::string descr, fortran, shape;
  if (!header_value(h, "descr", &descr) || !header_value(h, "fortran_order", &fortran) ||
      !header_value(h, "shape", &shape))
    return bad(static_cast<int64_t>(hstart), "header lacks descr, fortran_order or shape");
  Tensor t;
  static const struct {
    const char* descr;
    StoredType type;
  } kTypes[] = {{"'<f4'", StoredType::kF32}, {"'<f2'", StoredType::kF16}, {"'<f8'", StoredType::kF64},
                {"'|i1'", StoredType::kI8},  {"'|u1'", StoredType::kU8},  {"'<i2'", StoredType::kI16},
                {"'<u2'", StoredType::kU16}, {"'<i4'", StoredType::kI32}, {"'<u4'", StoredType::kU32},
                {"'<i8'", StoredType::kI64}, {"'|b1'", StoredType::kBool}};
  bool known = false;
  StoredType type = StoredType::kF32;
  for (const auto& k : kTypes) {
    if (descr == k.descr) {
      known = true;
      type = k.type;
    }
  }
  if (!known)
    return bad(static_cast<int64_t>(hstart), "dtype " + descr + " is not supported (float16/32/64, "
                                                 "int8/16/32/64, uint8/16/32 or bool expected)");
  if (fortran != "False") return bad(static_cast<int64_t>(hstart), "Fortran order is not supported");
  int64_t numel = 1;
  for (size_t p = 1; p < shape.size();) {
    while (p < shape.size() && (shape[p] == ' ' || shape[p] == ',')) ++p;
    if (p >= shape.size() || shape[p] == ')') break;
    int64_t v = 0;
    if (!std::isdigit(static_cast<unsigned char>(shape[p])))
      return bad(static_cast<int64_t>(hstart), "bad shape " + shape);
    while (p < shape.size() && std::isdigit(static_cast<unsigned char>(shape[p]))) {
      if (v > (int64_t{1} << 40)) return bad(static_cast<int64_t>(hstart), "dimension too large");
      v = v * 10 + (shape[p++] - '0');
    }
    if (v != 0 && numel > (int64_t{1} << 40) / v)
      return bad(static_cast<int64_t>(hstart), "shape too large");
    numel *= v;
    t.shape.push_back(v);
  }
  const size_t body = hstart + hlen;
  const size_t es = stored_type_size(type);
  if (uint64_t(numel) * es != size - body)
    return bad(static_cast<int64_t>(body), "data has " + std::to_string(size - body) +
                                               " bytes, the shape needs " +
                                               std::to_string(uint64_t(numel) * es));
  Status cs = convert_array(type, data + body, static_cast<size_t>(numel), "npy", &t, notices);
  if (!cs.ok()) return cs;
  *out = std::move(t);
  return Status();
}

}  // namespace nnr
