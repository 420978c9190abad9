// PyTorch state dicts as torch.save writes them (the zip format of PyTorch
// >= 1.6): archive/data.pkl, a pickle (protocol 2) of an OrderedDict of
// tensors rebuilt by torch._utils._rebuild_tensor_v2 from persistent
// storages; archive/data/<i>, each tensor's values (little-endian); and
// archive/version. torch.load reads it; so does load_torch_state_dict.
#include <unistd.h>
#include <zip.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "nnr/io.h"

namespace nnr {

namespace {

class Pickle {
 public:
  void op(char c) { b_.push_back(static_cast<uint8_t>(c)); }
  void global(const char* module, const char* name) {
    op('c');
    text(module);
    op('\n');
    text(name);
    op('\n');
  }
  void str(const std::string& s) {  // BINUNICODE
    op('X');
    le(s.size(), 4);
    text(s);
  }
  void integer(int64_t v) {
    if (v >= 0 && v < 256) {
      op('K');
      le(static_cast<uint64_t>(v), 1);
    } else if (v >= 0 && v < 65536) {
      op('M');
      le(static_cast<uint64_t>(v), 2);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      op('J');
      le(static_cast<uint64_t>(static_cast<uint32_t>(v)), 4);
    } else {
      op('\x8a');  // LONG1, 8 bytes two's complement
      le(8, 1);
      le(static_cast<uint64_t>(v), 8);
    }
  }
  void int_tuple(const std::vector<int64_t>& v) {
    op('(');
    for (int64_t x : v) integer(x);
    op('t');
  }
  std::vector<uint8_t>& bytes() { return b_; }

 private:
  void text(const std::string& s) { b_.insert(b_.end(), s.begin(), s.end()); }
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> b_;
};

std::vector<uint8_t> state_dict_pickle(const std::vector<Tensor>& tensors) {
  Pickle p;
  p.op('\x80');
  p.op('\x02');
  p.global("collections", "OrderedDict");
  p.op(')');
  p.op('R');
  p.op('(');
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    p.str(t.name);
    p.global("torch._utils", "_rebuild_tensor_v2");
    p.op('(');
    // The persistent id: ('storage', type, key, location, numel).
    p.op('(');
    p.str("storage");
    p.global("torch", t.dtype == DType::kInt32 ? "IntStorage" : "FloatStorage");
    p.str(std::to_string(i));
    p.str("cpu");
    p.integer(t.numel());
    p.op('t');
    p.op('Q');
    p.integer(0);  // storage offset
    p.int_tuple(t.shape);
    std::vector<int64_t> stride(t.shape.size(), 1);
    for (size_t d = t.shape.size(); d-- > 1;) stride[d - 1] = stride[d] * t.shape[d];
    p.int_tuple(stride);
    p.op('\x89');  // requires_grad False
    p.global("collections", "OrderedDict");  // backward hooks
    p.op(')');
    p.op('R');
    p.op('t');
    p.op('R');
  }
  p.op('u');
  p.op('.');
  return std::move(p.bytes());
}

}  // namespace

Status write_torch_state_dict(const std::string& path, const std::vector<Tensor>& tensors) {
  static std::atomic<uint64_t> serial{0};
  const std::string tmp = path + "." + std::to_string(getpid()) + "." + std::to_string(serial.fetch_add(1)) + ".tmp";
  int err = 0;
  zip_t* z = zip_open(tmp.c_str(), ZIP_CREATE | ZIP_EXCL, &err);
  if (!z) return Status(ErrorCode::kIo, kNoOffset, path + ": cannot create the archive");
  std::vector<std::vector<uint8_t>> keep;  // libzip reads the buffers at close
  keep.reserve(tensors.size() + 2);
  auto add = [&](const std::string& name, const uint8_t* data, size_t size) {
    zip_source_t* src = zip_source_buffer(z, data, size, 0);
    const zip_int64_t idx = src ? zip_file_add(z, name.c_str(), src, ZIP_FL_ENC_UTF_8) : -1;
    if (idx < 0) {
      if (src) zip_source_free(src);
      return false;
    }
    zip_set_file_compression(z, static_cast<zip_uint64_t>(idx), ZIP_CM_STORE, 0);
    return true;
  };
  keep.push_back(state_dict_pickle(tensors));
  bool ok = add("archive/data.pkl", keep.back().data(), keep.back().size());
  for (size_t i = 0; ok && i < tensors.size(); ++i)
    ok = add("archive/data/" + std::to_string(i), tensors[i].data_bytes(), tensors[i].byte_size());
  static const char kVersion[] = "3\n";
  ok = ok && add("archive/version", reinterpret_cast<const uint8_t*>(kVersion), 2);
  if (!ok || zip_close(z) != 0) {
    zip_discard(z);
    std::remove(tmp.c_str());
    return Status(ErrorCode::kIo, kNoOffset, path + ": cannot write the archive");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status(ErrorCode::kIo, kNoOffset, path + ": cannot rename the archive into place");
  }
  return Status();
}

}  // namespace nnr
