#include "pipeline/updates.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "common/settings_json.h"
#include "common/sha256.h"
#include "pipeline/stages.h"
#include "nnr/decoder.h"
#include "nnr/encoder.h"

namespace nnr {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

FineTuneOptions step_options(const json& ft, int step) {
  FineTuneOptions o;
  o.samples = ft.value("samples", int64_t{2000});
  o.epochs = ft.value("epochs", 0.0);
  o.lr = ft.value("lr", 1e-4);
  o.batch_size = ft.value("batch_size", 64);
  o.seed = ft.value("seed", uint64_t{1}) + static_cast<uint64_t>(step);  // other samples each step
  return o;
}

// a - b (or a + b), tensor by tensor of `a` (float32 only).
std::vector<Tensor> combine(const std::vector<Tensor>& a, const std::vector<Tensor>& b, float sign) {
  std::map<std::string, const Tensor*> by_name;
  for (const Tensor& t : b) by_name[t.name] = &t;
  std::vector<Tensor> out;
  for (const Tensor& t : a) {
    if (t.dtype != DType::kFloat32)
      throw Error(ErrorCode::kUnsupported, kNoOffset, "updates: tensor '" + t.name + "' is not float32");
    Tensor d = t;
    auto it = by_name.find(t.name);
    if (it != by_name.end()) {
      if (it->second->f32.size() != t.f32.size())
        throw Error(ErrorCode::kInvalidData, kNoOffset, "updates: tensor '" + t.name + "' changed its shape");
      for (size_t i = 0; i < d.f32.size(); ++i) d.f32[i] = t.f32[i] + sign * it->second->f32[i];
    }
    out.push_back(std::move(d));
  }
  return out;
}

// The model after a stream: decoded tensors replace (full) or add to (diff)
// the model so far; a tensor the stream leaves out is all zero (full) or
// unchanged (diff).
std::vector<Tensor> apply_stream(const std::vector<Tensor>& model, const std::vector<Tensor>& decoded, bool diff) {
  if (diff) return combine(model, decoded, 1.0f);
  std::map<std::string, const Tensor*> by_name;
  for (const Tensor& t : decoded) by_name[t.name] = &t;
  std::vector<Tensor> out;
  for (const Tensor& t : model) {
    auto it = by_name.find(t.name);
    if (it != by_name.end()) {
      out.push_back(*it->second);
    } else {
      Tensor z = t;
      for (float& v : z.f32) v = 0.0f;
      out.push_back(std::move(z));
    }
  }
  return out;
}

}  // namespace

void check_updates(const JsonNode& n, CodecType type, const json& settings) {
  n.expect_object();
  n.allow_keys({"steps", "mode", "fine_tune"});
  n.at("steps").as_int(1, 64);
  const std::string mode = n.get_string("mode", "full");
  if (mode != "scratch" && mode != "full" && mode != "diff")
    n.at("mode").fail("expected \"scratch\", \"full\" or \"diff\"");
  if (type != CodecType::kNnr && type != CodecType::kAnchor)
    n.fail("model updates are coded by the nnr or the anchor codec");
  if (type == CodecType::kAnchor && mode == "full")
    n.at("mode").fail("the anchor codes no updates: \"scratch\" or \"diff\"");
  if (type == CodecType::kNnr && mode != "scratch" && settings.value("general_profile_idc", 0) != 1)
    n.fail("updates coded as a sequence need \"general_profile_idc\": 1 in the settings (edition 2)");
  if (n.has("fine_tune")) {
    const JsonNode ft = n.at("fine_tune");
    ft.expect_object();
    ft.allow_keys({"samples", "epochs", "lr", "batch_size", "seed"});
    check_fine_tune_options(ft);
  }
}

UpdateSnapshots make_update_snapshots(const json& updates, const std::vector<Tensor>& original, UseCase* uc) {
  UpdateSnapshots s;
  s.models.push_back(original);
  try {
    if (!uc) throw Error(ErrorCode::kInvalidArgument, kNoOffset, "updates need a use case with a network");
    const int steps = updates.value("steps", 1);
    const json ft = updates.value("fine_tune", json::object());
    Status st = uc->load_parameters(original);
    if (!st.ok()) throw Error(st.code(), kNoOffset, "updates: " + st.message());
    for (int k = 1; k <= steps; ++k) {
      FineTuneReport rep;
      st = uc->fine_tune(step_options(ft, k), &rep);
      if (!st.ok()) throw Error(st.code(), kNoOffset, "updates: fine-tuning step " + std::to_string(k) + ": " + st.message());
      // The snapshot in the model's own order and names.
      std::map<std::string, Tensor> trained;
      for (Tensor& t : uc->parameters()) trained[t.name] = std::move(t);
      std::vector<Tensor> snap;
      for (const Tensor& t : original) {
        auto it = trained.find(t.name);
        snap.push_back(it != trained.end() && it->second.shape == t.shape ? it->second : t);
      }
      s.models.push_back(std::move(snap));
      s.log.push_back({{"step", k}, {"samples", rep.samples}, {"first_loss", rep.first_loss},
                       {"last_loss", rep.last_loss}, {"seconds", rep.seconds}});
    }
    if (uc->has_task()) {
      UseCaseMetrics m;
      st = uc->evaluate(&m);
      if (!st.ok()) throw Error(st.code(), kNoOffset, "updates: evaluating the last snapshot: " + st.message());
      for (const auto& [k, v] : m.values) s.last_metrics[k] = v;
    }
  } catch (const std::exception& e) {
    s.error = e.what();
  }
  return s;
}

UpdateRun code_updates(const CodecEntry& codec, const json& settings, const UpdateSnapshots& snaps,
                       const CodecContext& ctx) {
  const json& u = codec.updates;
  const std::string mode = u.value("mode", "full");
  const bool diff = mode == "diff", chained = mode != "scratch";
  UpdateRun run;
  DecoderState dec_state;  // the decoder's, and so the encoder's, state of the sequence
  std::vector<Tensor> model;  // the decoder's model so far
  std::unique_ptr<CodecAdapter> anchor;
  if (codec.type == CodecType::kAnchor) anchor = make_codec_adapter(codec);
  for (size_t k = 0; k < snaps.models.size(); ++k) {
    const bool as_update = diff && k > 0;
    const std::vector<Tensor> input = as_update ? combine(snaps.models[k], model, -1.0f) : snaps.models[k];
    json step = {{"step", k}};
    std::vector<Tensor> decoded;
    if (anchor) {
      CodecRun r;
      const Status st = anchor->run(input, settings, ctx, &r);
      if (!st.ok()) throw Error(st.code(), st.byte_offset(), "step " + std::to_string(k) + ": " + st.message());
      step["stream_bytes"] = r.stream_bytes;
      step["stream_sha256"] = r.stream_sha256;
      run.total_bytes += r.stream_bytes;
      run.encode_seconds += r.encode_seconds;
      run.decode_seconds += r.decode_seconds;
      if (r.verified && !*r.verified && run.verified) {
        run.verified = false;
        run.verify_detail = "step " + std::to_string(k) + ": " + r.verify_detail;
      }
      decoded = std::move(r.decoded);
    } else {
      json sj = settings;
      if (chained) sj["compress_differences"] = diff;
      EncoderSettings s;
      Status st = settings_from_json(sj, "/settings", &s);
      if (!st.ok()) throw Error(st.code(), kNoOffset, st.message());
      if (chained) s.parent = &dec_state;
      EncodeOptions eo;
      eo.threads = ctx.threads;
      EncodeResult enc;
      auto t0 = Clock::now();
      st = encode(input, s, eo, &enc);
      run.encode_seconds += since(t0);
      if (!st.ok()) throw Error(st.code(), st.byte_offset(), "step " + std::to_string(k) + ": " + st.message());
      DecodeOptions dopt;
      dopt.threads = ctx.threads;
      DecodedModel dm;
      t0 = Clock::now();
      st = decode(enc.stream.data(), enc.stream.size(), dopt, chained ? &dec_state : nullptr, &dm, nullptr);
      run.decode_seconds += since(t0);
      if (!st.ok()) throw Error(st.code(), st.byte_offset(), "step " + std::to_string(k) + ": decoding: " + st.message());
      for (DecodedTensor& t : dm.tensors) decoded.push_back(std::move(static_cast<Tensor&>(t)));
      const std::string d = first_difference(decoded, enc.reconstruction);
      if (!d.empty() && run.verified) {
        run.verified = false;
        run.verify_detail = "step " + std::to_string(k) + ": " + d;
      }
      step["stream_bytes"] = enc.stream.size();
      step["stream_sha256"] = sha256_hex(enc.stream.data(), enc.stream.size());
      run.total_bytes += enc.stream.size();
    }
    step["tensors_coded"] = decoded.size();
    step["tensors_left_out"] = input.size() - std::min(input.size(), decoded.size());
    run.steps.push_back(step);
    model = k == 0 ? apply_stream(snaps.models[0], decoded, false) : apply_stream(model, decoded, as_update);
  }
  run.last_model = std::move(model);
  return run;
}

}  // namespace nnr
