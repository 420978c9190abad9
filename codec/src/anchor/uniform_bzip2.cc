// The anchor codec: uniform quantisation + bzip2 (see README.md).
#include <bzlib.h>

#include <cmath>
#include <cstring>
#include <string>

#include "enc/blocks.h"
#include "nnr/anchor.h"
#include "quant/step_size.h"
#include "quant/urq.h"

namespace nnr {

namespace {

constexpr uint8_t kMagic[4] = {'N', 'N', 'R', 'A'};

void put(std::vector<uint8_t>& b, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

class Reader {
 public:
  Reader(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  uint64_t get(int bytes, const char* what) {
    need(static_cast<size_t>(bytes), what);
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint64_t{d_[p_ + i]} << (8 * i);
    p_ += static_cast<size_t>(bytes);
    return v;
  }
  std::string str(size_t len) {
    need(len, "tensor name");
    std::string s(reinterpret_cast<const char*>(d_ + p_), len);
    p_ += len;
    return s;
  }
  void need(size_t k, const char* what) const {
    if (k > n_ - p_)
      throw Error(ErrorCode::kTruncated, static_cast<int64_t>(p_),
                  std::string("anchor container ends inside ") + what);
  }
  size_t pos() const { return p_; }
  size_t left() const { return n_ - p_; }

 private:
  const uint8_t* d_;
  size_t n_;
  size_t p_ = 0;
};

int qp_of(const Tensor& t, const EncoderSettings& s) {
  auto it = s.qp_per_tensor.find(t.name);
  if (it != s.qp_per_tensor.end()) return it->second;
  if (parameter_type_of(t.name, t.shape.size(), s) == "weight") return s.qp;
  if (!s.nonweight_qp || *s.nonweight_qp == 0) return s.qp - 2 * (1 << s.qp_density);
  return *s.nonweight_qp;
}

}  // namespace

bool is_anchor_stream(const uint8_t* data, size_t size) {
  return size >= 4 && std::memcmp(data, kMagic, 4) == 0;
}

Status anchor_encode(const std::vector<Tensor>& tensors, const EncoderSettings& s, EncodeResult* out) {
  if (!out) return Status(ErrorCode::kInvalidArgument, kNoOffset, "null argument");
  *out = EncodeResult{};
  if (s.qp_density < 0 || s.qp_density > 7)
    return Status(ErrorCode::kInvalidArgument, kNoOffset, "qp_density must be in 0..7");
  std::vector<uint8_t> head(kMagic, kMagic + 4);
  put(head, 1, 1);
  put(head, static_cast<uint64_t>(s.qp_density), 1);
  put(head, 0, 2);
  put(head, tensors.size(), 4);
  std::vector<uint8_t> values;
  for (const Tensor& t : tensors) {
    const std::vector<int64_t> dims = t.shape.empty() ? std::vector<int64_t>{1} : t.shape;
    if (t.name.size() > 65535 || dims.size() > 32)
      return Status(ErrorCode::kInvalidArgument, kNoOffset, "tensor '" + t.name + "': name or rank too large");
    const size_t n = static_cast<size_t>(t.numel());
    Tensor rec;
    rec.name = t.name;
    rec.shape = dims;
    std::vector<int32_t> levels(n);
    int qp = 0;
    if (t.dtype == DType::kInt32) {
      levels.assign(t.i32.begin(), t.i32.end());
      rec.dtype = DType::kInt32;
      rec.i32 = t.i32;
    } else {
      qp = qp_of(t, s);
      if (!quantize_urq(t.f32.data(), n, qp, s.qp_density, levels.data()))
        return Status(ErrorCode::kInvalidArgument, kNoOffset,
                      "tensor '" + t.name + "': levels do not fit int32 at qp " + std::to_string(qp));
      const float step = step_size(qp, s.qp_density);
      rec.f32.resize(n);
      for (size_t i = 0; i < n; ++i) rec.f32[i] = static_cast<float>(levels[i]) * step;
    }
    put(head, t.name.size(), 2);
    head.insert(head.end(), t.name.begin(), t.name.end());
    put(head, t.dtype == DType::kInt32 ? 1 : 0, 1);
    put(head, dims.size(), 1);
    for (int64_t d : dims) put(head, static_cast<uint64_t>(d), 8);
    put(head, static_cast<uint32_t>(qp), 4);
    for (int32_t l : levels) put(values, static_cast<uint32_t>(l), 4);
    out->reconstruction.push_back(std::move(rec));
  }
  // bzip2 output is at most 1% + 600 bytes larger than its input.
  unsigned int cap = static_cast<unsigned int>(values.size() + values.size() / 100 + 600);
  if (values.size() > 0xffffffffu / 2)
    return Status(ErrorCode::kLimitExceeded, kNoOffset, "model too large for one bzip2 buffer");
  std::vector<uint8_t> packed(cap);
  const int rc = BZ2_bzBuffToBuffCompress(reinterpret_cast<char*>(packed.data()), &cap,
                                          reinterpret_cast<char*>(values.data()),
                                          static_cast<unsigned int>(values.size()), 9, 0, 30);
  if (rc != BZ_OK) return Status(ErrorCode::kInternal, kNoOffset, "bzip2 compression failed");
  packed.resize(cap);
  put(head, packed.size(), 8);
  head.insert(head.end(), packed.begin(), packed.end());
  out->stream = std::move(head);
  return Status();
}

Status anchor_decode(const uint8_t* data, size_t size, const DecodeOptions& options, DecodedModel* out) {
  if (!out || (!data && size)) return Status(ErrorCode::kInvalidArgument, kNoOffset, "null argument");
  *out = DecodedModel{};
  try {
    Reader r(data, size);
    r.need(4, "magic");
    if (!is_anchor_stream(data, size)) throw Error(ErrorCode::kInvalidBitstream, 0, "not an anchor container");
    r.get(4, "magic");
    const uint64_t version = r.get(1, "version");
    if (version != 1) throw Error(ErrorCode::kUnsupported, 4, "anchor container version " + std::to_string(version));
    const int qp_density = static_cast<int>(r.get(1, "qp_density"));
    if (qp_density > 7) throw Error(ErrorCode::kInvalidBitstream, 5, "qp_density above 7");
    out->qp_density = qp_density;
    r.get(2, "reserved");
    const uint64_t count = r.get(4, "tensor count");
    // Every directory entry takes at least 2+1+1+8+4 bytes.
    if (count > r.left() / 16) throw Error(ErrorCode::kTruncated, 8, "tensor count exceeds the container");
    uint64_t total = 0;
    std::vector<int> qps;
    for (uint64_t i = 0; i < count; ++i) {
      DecodedTensor t;
      const size_t at = r.pos();
      t.name = r.str(static_cast<size_t>(r.get(2, "name length")));
      const uint64_t dtype = r.get(1, "dtype");
      if (dtype > 1) throw Error(ErrorCode::kInvalidBitstream, static_cast<int64_t>(r.pos() - 1), "unknown dtype");
      t.dtype = dtype ? DType::kInt32 : DType::kFloat32;
      const uint64_t rank = r.get(1, "rank");
      if (rank == 0 || rank > 32) throw Error(ErrorCode::kInvalidBitstream, static_cast<int64_t>(r.pos() - 1), "rank out of range");
      uint64_t numel = 1;
      for (uint64_t d = 0; d < rank; ++d) {
        const uint64_t v = r.get(8, "dims");
        if (v > (uint64_t{1} << 40) || (v && numel > (uint64_t{1} << 40) / v))
          throw Error(ErrorCode::kLimitExceeded, static_cast<int64_t>(r.pos() - 8), "tensor too large");
        numel *= v;
        t.shape.push_back(static_cast<int64_t>(v));
      }
      qps.push_back(static_cast<int32_t>(r.get(4, "qp")));
      total += numel;
      if (total * 4 > options.max_output_bytes)
        throw Error(ErrorCode::kLimitExceeded, static_cast<int64_t>(at), "decoded output exceeds the limit");
      out->tensors.push_back(std::move(t));
    }
    const uint64_t packed = r.get(8, "payload size");
    if (packed != r.left())
      throw Error(ErrorCode::kInvalidBitstream, static_cast<int64_t>(r.pos()),
                  "payload size " + std::to_string(packed) + " but " + std::to_string(r.left()) + " bytes follow");
    std::vector<uint8_t> values(static_cast<size_t>(total * 4) + 1);
    unsigned int got = static_cast<unsigned int>(values.size());
    const int rc = BZ2_bzBuffToBuffDecompress(reinterpret_cast<char*>(values.data()), &got,
                                              const_cast<char*>(reinterpret_cast<const char*>(data + r.pos())),
                                              static_cast<unsigned int>(packed), 0, 0);
    if (rc != BZ_OK || got != total * 4)
      throw Error(ErrorCode::kInvalidBitstream, static_cast<int64_t>(r.pos()),
                  rc == BZ_OUTBUFF_FULL || (rc == BZ_OK && got != total * 4)
                      ? "bzip2 payload does not hold exactly the tensors' values"
                      : "bzip2 payload is corrupt");
    size_t off = 0;
    for (size_t i = 0; i < out->tensors.size(); ++i) {
      DecodedTensor& t = out->tensors[i];
      const size_t n = static_cast<size_t>(t.numel());
      ValueVector<int32_t> l(n);
      for (size_t k = 0; k < n; ++k) {
        uint32_t v = 0;
        for (int b = 0; b < 4; ++b) v |= uint32_t{values[off + 4 * k + b]} << (8 * b);
        l[k] = static_cast<int32_t>(v);
      }
      off += 4 * n;
      if (t.dtype == DType::kInt32) {
        t.i32 = std::move(l);
      } else {
        const float step = step_size(qps[i], qp_density);
        t.info.qp = qps[i];
        t.info.step_size = step;
        t.f32.resize(n);
        for (size_t k = 0; k < n; ++k) t.f32[k] = static_cast<float>(l[k]) * step;
        if (options.keep_levels) t.levels = std::move(l);
      }
    }
    return Status();
  } catch (const Error& e) {
    return Status::from(e);
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kLimitExceeded, kNoOffset, "out of memory");
  }
}

}  // namespace nnr
