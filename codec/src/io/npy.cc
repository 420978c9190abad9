#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "io/array_convert.h"
#include "nnr/io.h"

namespace nnr {

std::string npy_header(const Tensor& t) {
  std::string shape = "(";
  for (size_t i = 0; i < t.shape.size(); ++i) {
    shape += std::to_string(t.shape[i]);
    if (t.shape.size() == 1 || i + 1 < t.shape.size()) shape += ",";
    if (i + 1 < t.shape.size()) shape += " ";
  }
  shape += ")";
  std::string dict = std::string("{'descr': '") + (t.dtype == DType::kInt32 ? "<i4" : "<f4") +
                     "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so that magic + lengths + header + '\n' is a multiple of 64.
  const size_t base = 10 + dict.size() + 1;
  dict.append((64 - base % 64) % 64, ' ');
  dict += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>(dict.size() >> 8);
  return out + dict;
}

std::vector<uint8_t> npy_bytes(const Tensor& t) {
  const std::string header = npy_header(t);
  std::vector<uint8_t> out(header.begin(), header.end());
  out.insert(out.end(), t.data_bytes(), t.data_bytes() + t.byte_size());
  return out;
}

Status write_npy(const std::string& path, const Tensor& t, bool atomic) {
  const std::string header = npy_header(t);
  const ByteSpan parts[2] = {{reinterpret_cast<const uint8_t*>(header.data()), header.size()},
                             {t.data_bytes(), t.byte_size()}};
  return atomic ? write_file_atomic(path, parts, 2) : write_file(path, parts, 2);
}

Status read_file(const std::string& path, std::vector<uint8_t>* out) {
  out->clear();
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status(ErrorCode::kIo, kNoOffset, path + ": " + std::strerror(errno));
  // One read into a buffer of the file's size where it has one (a regular
  // file); else, and if the file grows meanwhile, in growing steps.
  struct stat st;
  size_t want = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 ? static_cast<size_t>(st.st_size) + 1
                                                                              : size_t{1} << 16;
  size_t have = 0;
  for (;;) {
    if (out->size() < have + 1) out->resize(std::max(want, 2 * out->size()));
    const ssize_t n = read(fd, out->data() + have, out->size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      close(fd);
      out->clear();
      return Status(ErrorCode::kIo, kNoOffset, path + ": " + std::strerror(e));
    }
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  close(fd);
  out->resize(have);
  return Status();
}

namespace {
// Writes all of `parts` to fd; false with errno on failure.
bool write_all(int fd, const ByteSpan* parts, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* p = parts[i].data;
    size_t left = parts[i].size;
    while (left > 0) {
      const ssize_t n = write(fd, p, std::min(left, size_t{1} << 30));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  return true;
}
}  // namespace

Status write_file(const std::string& path, const ByteSpan* parts, size_t count) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) return Status(ErrorCode::kIo, kNoOffset, path + ": " + std::strerror(errno));
  bool ok = write_all(fd, parts, count);
  const int e = errno;
  ok = close(fd) == 0 && ok;
  if (!ok) return Status(ErrorCode::kIo, kNoOffset, path + ": write error: " + std::strerror(e));
  return Status();
}

Status write_file_atomic(const std::string& path, const ByteSpan* parts, size_t count) {
  // As cp and zstd -o do: a symbolic link is written through, a FIFO or a
  // device is written into; only a regular file (or none) is replaced, by
  // a rename of a temporary file of our own beside it.
  struct stat st;
  if (lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode)) return Status(ErrorCode::kIo, kNoOffset, path + ": is a directory");
    return write_file(path, parts, count);
  }
  static std::atomic<uint64_t> serial{0};
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < 100; ++attempt) {
    char suffix[48];
    std::snprintf(suffix, sizeof suffix, ".%d.%llu.tmp", static_cast<int>(getpid()),
                  static_cast<unsigned long long>(serial.fetch_add(1)));
    tmp = path + suffix;
    fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) return Status(ErrorCode::kIo, kNoOffset, tmp + ": " + std::strerror(errno));
  // The file replaced keeps its permissions.
  if (lstat(path.c_str(), &st) == 0) (void)fchmod(fd, st.st_mode & 07777);
  bool ok = write_all(fd, parts, count);
  const int e = errno;
  ok = close(fd) == 0 && ok;
  if (!ok) {
    std::remove(tmp.c_str());
    return Status(ErrorCode::kIo, kNoOffset, path + ": write error: " + std::strerror(e));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int re = errno;
    std::remove(tmp.c_str());
    return Status(ErrorCode::kIo, kNoOffset, path + ": " + std::strerror(re));
  }
  return Status();
}

Status write_file_atomic(const std::string& path, const uint8_t* data, size_t size) {
  const ByteSpan part{data, size};
  return write_file_atomic(path, &part, 1);
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
