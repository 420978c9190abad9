// The anchor codec: uniform quantisation + bzip2 (see README.md).
#include <bzlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "common/thread_pool.h"
#include "enc/blocks.h"
#include "enc/input_checks.h"
#include "nnr/anchor.h"
#include "quant/step_size.h"
#include "quant/urq.h"

namespace nnr {

namespace {

constexpr uint8_t kMagic[4] = {'N', 'N', 'R', 'A'};
constexpr uint64_t kVersion = 2;
// Ten of bzip2's blocks at level 9 (900 k bytes before its run-length
// stage): enough chunks for the threads of a large model, few enough that
// the blocks a chunk boundary splits cost little. With chunks of one block,
// highly compressible values (coarse qp) grew by up to 0.3 %: there one
// bzip2 block holds several times 900 k bytes of values.
constexpr size_t kChunkBytes = 9000000;

// fn(0) .. fn(n - 1) on up to `threads` threads (0: one per core).
template <typename Fn>
void run_parallel(size_t n, int threads, Fn fn) {
  const int t = std::min<int>(resolve_threads(threads), static_cast<int>(std::min<size_t>(n, 256)));
  if (t <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  ThreadPool pool(t);
  pool.run(n, [&](size_t i) { fn(i); }, /*leaf=*/false);
}

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

// Decompresses one bzip2 stream of `size` bytes that must give exactly
// `want` bytes into *out, which grows as the output arrives. Returns 0, or
// BZ_OUTBUFF_FULL when the stream holds more or fewer bytes, or bzip2's
// error.
static int inflate_chunk(const uint8_t* in, uint64_t size, uint64_t want, std::vector<uint8_t>* out) {
  bz_stream z{};
  if (BZ2_bzDecompressInit(&z, 0, 0) != BZ_OK) return BZ_MEM_ERROR;
  uint64_t fed = 0, got = 0;
  int rc = BZ_OK;
  while (rc == BZ_OK) {
    if (z.avail_in == 0 && fed < size) {
      const uint64_t n = std::min<uint64_t>(size - fed, uint64_t{1} << 30);
      z.next_in = const_cast<char*>(reinterpret_cast<const char*>(in + fed));
      z.avail_in = static_cast<unsigned int>(n);
      fed += n;
    }
    if (got == out->size()) {
      if (got > want) break;  // one byte past the chunk: it holds more
      const uint64_t grow = std::max<uint64_t>(got, uint64_t{1} << 20);
      out->resize(static_cast<size_t>(std::min<uint64_t>(got + grow, want + 1)));
    }
    const uint64_t room = std::min<uint64_t>(out->size() - got, uint64_t{1} << 30);
    z.next_out = reinterpret_cast<char*>(out->data() + got);
    z.avail_out = static_cast<unsigned int>(room);
    const unsigned int in_before = z.avail_in;
    rc = BZ2_bzDecompress(&z);
    got += room - z.avail_out;
    if (rc == BZ_OK && fed == size && z.avail_in == in_before && room == z.avail_out)
      rc = BZ_UNEXPECTED_EOF;  // every byte given, no end of stream, and no progress
  }
  BZ2_bzDecompressEnd(&z);
  out->resize(static_cast<size_t>(std::min(got, static_cast<uint64_t>(out->size()))));
  if (rc != BZ_STREAM_END && rc != BZ_OK) return rc;
  return rc == BZ_STREAM_END && got == want && z.avail_in == 0 && fed == size ? 0 : BZ_OUTBUFF_FULL;
}

bool is_anchor_stream(const uint8_t* data, size_t size) {
  return size >= 4 && std::memcmp(data, kMagic, 4) == 0;
}

Status anchor_encode(const std::vector<Tensor>& tensors, const EncoderSettings& s, EncodeResult* out) {
  return anchor_encode(tensors, s, EncodeOptions{}, out);
}

Status anchor_encode(const std::vector<Tensor>& tensors, const EncoderSettings& s, const EncodeOptions& options,
                     EncodeResult* out) {
  if (!out) return Status(ErrorCode::kInvalidArgument, kNoOffset, "null argument");
  *out = EncodeResult{};
  if (s.qp_density < 0 || s.qp_density > 7)
    return Status(ErrorCode::kInvalidArgument, kNoOffset, "qp_density must be in 0..7");
  try {
    check_finite(tensors);
    check_named_tensors(tensors, s);
  } catch (const Error& e) {
    return Status::from(e);
  }
  std::vector<uint8_t> head(kMagic, kMagic + 4);
  put(head, kVersion, 1);
  put(head, static_cast<uint64_t>(s.qp_density), 1);
  put(head, 0, 2);
  put(head, tensors.size(), 4);
  size_t total = 0;
  for (const Tensor& t : tensors) total += static_cast<size_t>(t.numel());
  std::vector<uint8_t> values;
  values.reserve(4 * total);
  std::vector<int32_t> levels;
  for (const Tensor& t : tensors) {
    const std::vector<int64_t> dims = t.shape.empty() ? std::vector<int64_t>{1} : t.shape;
    if (t.name.size() > 65535 || dims.size() > 32)
      return Status(ErrorCode::kInvalidArgument, kNoOffset, "tensor '" + t.name + "': name or rank too large");
    const size_t n = static_cast<size_t>(t.numel());
    if ((t.dtype == DType::kInt32 ? t.i32.size() : t.f32.size()) != n)
      return Status(ErrorCode::kInvalidArgument, kNoOffset, "tensor '" + t.name + "': value count does not match its shape");
    Tensor rec;
    rec.name = t.name;
    rec.shape = dims;
    int qp = 0;
    if (t.dtype == DType::kInt32) {
      levels.assign(t.i32.begin(), t.i32.end());
      rec.dtype = DType::kInt32;
      if (options.keep_reconstruction) rec.i32 = t.i32;
    } else {
      levels.resize(n);
      qp = qp_of(t, s);
      if (!quantize_urq(t.f32.data(), n, qp, s.qp_density, levels.data()))
        return Status(ErrorCode::kInvalidArgument, kNoOffset,
                      "tensor '" + t.name + "': levels do not fit int32 at qp " + std::to_string(qp));
      if (options.keep_reconstruction) {
        const float step = step_size(qp, s.qp_density);
        rec.f32.resize(n);
        for (size_t i = 0; i < n; ++i) rec.f32[i] = static_cast<float>(levels[i]) * step;
      }
    }
    put(head, t.name.size(), 2);
    head.insert(head.end(), t.name.begin(), t.name.end());
    put(head, t.dtype == DType::kInt32 ? 1 : 0, 1);
    put(head, dims.size(), 1);
    for (int64_t d : dims) put(head, static_cast<uint64_t>(d), 8);
    put(head, static_cast<uint32_t>(qp), 4);
    // Little-endian int32 (the host's order; see Tensor::data_bytes).
    const uint8_t* lb = reinterpret_cast<const uint8_t*>(levels.data());
    values.insert(values.end(), lb, lb + 4 * n);
    if (options.keep_reconstruction) out->reconstruction.push_back(std::move(rec));
  }
  // The values in chunks of kChunkBytes, each its own bzip2 stream, so that
  // chunks are compressed (and decompressed) in parallel and the container
  // is the same for any number of threads.
  const size_t chunks = (values.size() + kChunkBytes - 1) / kChunkBytes;
  std::vector<std::vector<uint8_t>> packed(chunks);
  std::vector<int> rc(chunks, BZ_OK);
  auto compress = [&](size_t i) {
    const size_t begin = i * kChunkBytes, len = std::min(kChunkBytes, values.size() - begin);
    // bzip2 output is at most 1% + 600 bytes larger than its input.
    unsigned int cap = static_cast<unsigned int>(len + len / 100 + 600);
    packed[i].resize(cap);
    rc[i] = BZ2_bzBuffToBuffCompress(reinterpret_cast<char*>(packed[i].data()), &cap,
                                     reinterpret_cast<char*>(values.data() + begin), static_cast<unsigned int>(len),
                                     9, 0, 30);
    packed[i].resize(cap);
  };
  try {
    run_parallel(chunks, options.threads, compress);
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kLimitExceeded, kNoOffset, "out of memory");
  }
  for (int r : rc)
    if (r != BZ_OK) return Status(ErrorCode::kInternal, kNoOffset, "bzip2 compression failed");
  uint64_t payload = 8 + 8 * static_cast<uint64_t>(chunks);
  for (const auto& p : packed) payload += p.size();
  put(head, payload, 8);
  put(head, kChunkBytes, 4);
  put(head, chunks, 4);
  for (const auto& p : packed) put(head, p.size(), 8);
  head.reserve(head.size() + payload);
  for (auto& p : packed) {
    head.insert(head.end(), p.begin(), p.end());
    std::vector<uint8_t>().swap(p);
  }
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
    if (version != 1 && version != 2)
      throw Error(ErrorCode::kUnsupported, 4, "anchor container version " + std::to_string(version));
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
    const size_t payload_at = r.pos();
    const uint64_t packed = r.get(8, "payload size");
    if (packed != r.left())
      throw Error(ErrorCode::kInvalidBitstream, static_cast<int64_t>(payload_at),
                  "payload size " + std::to_string(packed) + " but " + std::to_string(r.left()) + " bytes follow");
    // The chunks: version 1 has one bzip2 stream of everything, version 2 a
    // table of chunks of chunk_bytes values' bytes each.
    uint64_t chunk_bytes = total * 4, chunks = 1;
    std::vector<uint64_t> sizes{packed};
    if (version == 2) {
      const size_t at = r.pos();
      chunk_bytes = r.get(4, "chunk size");
      chunks = r.get(4, "chunk count");
      if (chunk_bytes == 0 || chunk_bytes % 4 != 0)
        throw Error(ErrorCode::kInvalidBitstream, static_cast<int64_t>(at), "chunk size " + std::to_string(chunk_bytes) + " is not a positive multiple of 4");
      if (chunks != (total * 4 + chunk_bytes - 1) / chunk_bytes)
        throw Error(ErrorCode::kInvalidBitstream, static_cast<int64_t>(at + 4),
                    std::to_string(chunks) + " chunks do not hold the tensors' " + std::to_string(total * 4) + " bytes");
      if (chunks > r.left() / 8) throw Error(ErrorCode::kTruncated, static_cast<int64_t>(at + 4), "chunk table exceeds the container");
      sizes.resize(static_cast<size_t>(chunks));
      uint64_t sum = 0;
      for (uint64_t& z : sizes) {
        z = r.get(8, "chunk table");
        sum += std::min<uint64_t>(z, r.left());
      }
      if (sum != r.left())
        throw Error(ErrorCode::kInvalidBitstream, static_cast<int64_t>(at + 8),
                    "chunk sizes do not add up to the " + std::to_string(r.left()) + " bytes that follow");
    }
    std::vector<size_t> starts(sizes.size());
    for (size_t i = 0, at = r.pos(); i < sizes.size(); at += static_cast<size_t>(sizes[i]), ++i) starts[i] = at;
    // Each chunk into a buffer of its own that grows with what bzip2 gives:
    // the directory can claim any size, and nothing is allocated for it
    // before the streams deliver the bytes.
    std::vector<std::vector<uint8_t>> chunk(sizes.size());
    std::vector<int> bad(sizes.size(), 0);
    auto decompress = [&](size_t i) {
      const uint64_t begin = i * chunk_bytes, want = std::min<uint64_t>(chunk_bytes, total * 4 - begin);
      bad[i] = inflate_chunk(data + starts[i], sizes[i], want, &chunk[i]);
    };
    run_parallel(sizes.size(), options.threads, decompress);
    for (size_t i = 0; i < sizes.size(); ++i)
      if (bad[i])
        throw Error(ErrorCode::kInvalidBitstream, static_cast<int64_t>(starts[i]),
                    bad[i] == BZ_OUTBUFF_FULL ? "bzip2 chunk " + std::to_string(i) + " does not hold exactly its values"
                                              : "bzip2 chunk " + std::to_string(i) + " is corrupt");
    // The values, chunk after chunk.
    size_t ci = 0, co = 0;
    auto next_value = [&]() -> uint32_t {
      uint32_t v = 0;
      for (int b = 0; b < 4; ++b) {
        while (co == chunk[ci].size()) {
          std::vector<uint8_t>().swap(chunk[ci]);
          ++ci;
          co = 0;
        }
        v |= uint32_t{chunk[ci][co++]} << (8 * b);
      }
      return v;
    };
    for (size_t i = 0; i < out->tensors.size(); ++i) {
      DecodedTensor& t = out->tensors[i];
      const size_t n = static_cast<size_t>(t.numel());
      ValueVector<int32_t> l(n);
      for (size_t k = 0; k < n; ++k) l[k] = static_cast<int32_t>(next_value());
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
