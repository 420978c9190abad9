// Our NNR encoder and the anchor (uniform quantization + bzip2), in process.
#include <algorithm>
#include <chrono>
#include <cstring>

#include "codecs/codec_adapter.h"
#include "common/settings_json.h"
#include "common/sha256.h"
#include "nnr/anchor.h"
#include "nnr/decoder.h"
#include "nnr/encoder.h"

namespace nnr {
namespace {

using clock_type = std::chrono::steady_clock;
double since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

// A step's time: a step shorter than `min_total` runs again until its runs
// add up to that (at most kMaxRuns), and the fastest counts, so that a
// slower short step is seen in a comparison, not lost in the noise of one
// run. `step` runs once more each time; its last run's result is kept.
constexpr int kMaxRuns = 50;
template <typename Step>
double time_step(Step step, double min_total, int* runs) {
  double best = 0, total = 0;
  int n = 0;
  do {
    const auto t0 = clock_type::now();
    if (!step()) return since(t0);  // a failure: no repetition
    const double t = since(t0);
    best = n == 0 ? t : std::min(best, t);
    total += t;
    ++n;
  } while (total < min_total && n < kMaxRuns);
  *runs = n;
  return best;
}

class InProcessCodec final : public CodecAdapter {
 public:
  explicit InProcessCodec(bool anchor) : anchor_(anchor) {}

  Status run(const std::vector<Tensor>& params, const nlohmann::json& settings, const CodecContext& ctx,
             CodecRun* out) override {
    EncoderSettings s;
    s.model_kind = ModelKind::kPyTorch;  // use cases give state-dict names
    Status st = settings_from_json(settings, "/settings", &s);
    if (!st.ok()) return st;
    EncodeResult enc;
    out->encode_seconds = time_step(
        [&] {
          st = anchor_ ? anchor_encode(params, s, &enc) : encode(params, s, &enc);
          return st.ok();
        },
        ctx.timing_min_seconds, &out->encode_runs);
    if (!st.ok()) return Status(st.code(), st.byte_offset(), "encoding: " + st.message());
    out->notices = enc.messages;
    out->stream_bytes = enc.stream.size();
    out->stream_sha256 = sha256_hex(enc.stream.data(), enc.stream.size());

    DecodeOptions opt;
    opt.threads = ctx.threads;
    DecodedModel dec;
    out->decode_seconds = time_step(
        [&] {
          st = anchor_ ? anchor_decode(enc.stream.data(), enc.stream.size(), opt, &dec)
                       : decode(enc.stream.data(), enc.stream.size(), opt, &dec);
          return st.ok();
        },
        ctx.timing_min_seconds, &out->decode_runs);
    if (!st.ok()) return Status(st.code(), st.byte_offset(), "decoding: " + st.message());
    out->decoded.clear();
    for (const NnrUnit& u : dec.units)
      if (u.nnr_unit_type == NNR_MPS)
        for (const PerformanceMap& m : u.mps.maps) out->performance_maps.push_back(m.kind);
    for (auto& t : dec.tensors) out->decoded.push_back(std::move(static_cast<Tensor&>(t)));
    out->verify_detail = first_difference(out->decoded, enc.reconstruction);
    out->verified = out->verify_detail.empty();
    return Status();
  }

 private:
  bool anchor_;
};

}  // namespace

std::unique_ptr<CodecAdapter> make_external_codec(const CodecEntry& entry);

std::unique_ptr<CodecAdapter> make_codec_adapter(const CodecEntry& entry) {
  switch (entry.type) {
    case CodecType::kNnr: return std::make_unique<InProcessCodec>(false);
    case CodecType::kAnchor: return std::make_unique<InProcessCodec>(true);
    case CodecType::kExternal: return make_external_codec(entry);
    case CodecType::kOriginal: return nullptr;
  }
  return nullptr;
}

std::string first_difference(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size())
    return std::to_string(a.size()) + " tensors decoded, " + std::to_string(b.size()) + " expected";
  for (size_t i = 0; i < a.size(); ++i) {
    const Tensor& x = a[i];
    const Tensor& y = b[i];
    if (x.name != y.name) return "tensor " + std::to_string(i) + " is '" + x.name + "', expected '" + y.name + "'";
    if (x.shape != y.shape || x.dtype != y.dtype) return "'" + x.name + "': shape or dtype differs";
    const bool f = x.dtype == DType::kFloat32;
    const void* px = f ? static_cast<const void*>(x.f32.data()) : static_cast<const void*>(x.i32.data());
    const void* py = f ? static_cast<const void*>(y.f32.data()) : static_cast<const void*>(y.i32.data());
    const size_t n = f ? x.f32.size() : x.i32.size();
    if ((f ? y.f32.size() : y.i32.size()) != n) return "'" + x.name + "': value count differs";
    if (n && std::memcmp(px, py, n * 4) != 0) {
      for (size_t k = 0; k < n; ++k)
        if (std::memcmp(static_cast<const char*>(px) + 4 * k, static_cast<const char*>(py) + 4 * k, 4) != 0)
          return "'" + x.name + "': value " + std::to_string(k) + " differs";
    }
  }
  return "";
}

}  // namespace nnr
