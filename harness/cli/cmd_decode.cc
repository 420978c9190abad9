#include <chrono>
#include <cstdio>

#include "cli/commands.h"
#include "common/tensor_output.h"
#include "nnr/anchor.h"
#include "nnr/decoder.h"
#include "nnr/io.h"

namespace nnr::cli {

namespace {

struct DecodeOpts {
  std::vector<std::string> streams;
  std::string out, state_dict;
  int threads = 0;
  bool no_entry_points = false, raw = false, quiet = false, every_step = false;
};

using Clock = std::chrono::steady_clock;

void print_warnings(const std::string& stream, const DecodedModel& model) {
  for (const std::string& w : model.warnings) std::fprintf(stderr, "nnr: %s: warning: %s\n", stream.c_str(), w.c_str());
}

// Decodes one stream into `dir` tensor by tensor as they are decoded (NNR),
// or once decoded (anchor). `state` is the update sequence's, or null.
int decode_to_folder(const DecodeOpts& o, const std::string& stream, const std::vector<uint8_t>& bytes,
                     const DecodeOptions& opt, DecoderState* state, const std::string& dir) {
  TensorFolderWriter writer(dir);
  DecodedModel model;
  const bool anchor = is_anchor_stream(bytes.data(), bytes.size());
  const auto t0 = Clock::now();
  Status s = anchor ? anchor_decode(bytes.data(), bytes.size(), opt, &model)
                    : decode(bytes.data(), bytes.size(), opt, state, &model, &writer);
  if (s.ok() && anchor) {
    s = writer.begin(1);
    for (size_t i = 0; s.ok() && i < model.tensors.size(); ++i) s = writer.write(0, i, model.tensors[i]);
  }
  const auto t1 = Clock::now();
  if (!s.ok()) return report_error(stream, s);
  print_warnings(stream, model);
  s = writer.finish();
  if (!s.ok()) return report_error("", s);
  if (!o.quiet) {
    const double secs = std::chrono::duration<double>(t1 - t0).count();
    const uint64_t params = writer.parameters();
    std::printf("%s: %zu tensors, %llu parameters, %zu bytes, decoded and written in %.3f s (%.1f M params/s)\n",
                stream.c_str(), writer.tensors(), static_cast<unsigned long long>(params), bytes.size(), secs,
                secs > 0 ? params / secs / 1e6 : 0.0);
  }
  return 0;
}

// The whole model in memory, then the folder and/or the state dict.
int decode_to_state_dict(const DecodeOpts& o, const std::string& stream, const std::vector<uint8_t>& bytes,
                         const DecodeOptions& opt, DecoderState* state, const std::string& dir) {
  DecodedModel model;
  const auto t0 = Clock::now();
  Status s = is_anchor_stream(bytes.data(), bytes.size()) ? anchor_decode(bytes.data(), bytes.size(), opt, &model)
                                                          : decode(bytes.data(), bytes.size(), opt, state, &model, nullptr);
  if (!s.ok()) return report_error(stream, s);
  print_warnings(stream, model);
  if (!dir.empty()) {
    s = write_tensor_folder(dir, model.tensors, o.threads);
    if (!s.ok()) return report_error("", s);
  }
  std::vector<Tensor> tensors;
  for (DecodedTensor& t : model.tensors) tensors.push_back(std::move(static_cast<Tensor&>(t)));
  s = write_torch_state_dict(o.state_dict, tensors);
  if (!s.ok()) return report_error("", s);
  if (!o.quiet)
    std::printf("%s: %zu tensors written to %s in %.3f s\n", stream.c_str(), tensors.size(), o.state_dict.c_str(),
                std::chrono::duration<double>(Clock::now() - t0).count());
  return 0;
}

std::string step_folder(const std::string& out, size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "/step-%02zu", i);
  return out + buf;
}

}  // namespace

Runner add_decode(CLI::App& app) {
  auto o = std::make_shared<DecodeOpts>();
  app.add_option("STREAM", o->streams,
                 "NNR bitstream; several: an edition-2 update sequence, decoded in order, each stream an update "
                 "of the model decoded so far (the last one is written unless --every-step)")
      ->required();
  app.add_option("-o,--output", o->out, "output folder (one .npy per tensor + index.json)");
  app.add_option("--state-dict", o->state_dict,
                 "also (or instead) write the tensors as a PyTorch state dict that torch.load reads");
  app.add_option("--threads", o->threads, "worker threads (0 = one per core)")->check(threads_check());
  app.add_flag("--no-entry-points", o->no_entry_points, "decode block rows sequentially");
  app.add_flag("--no-local-scaling", o->raw, "output every coded tensor as decoded (LS not applied)");
  app.add_flag("--every-step", o->every_step,
               "a sequence: write each stream's output to DIR/step-00, DIR/step-01, ...");
  app.add_flag("-q,--quiet", o->quiet, "print nothing on success");
  return [o]() {
    DecodeOptions opt;
    opt.threads = o->threads;
    opt.use_entry_points = !o->no_entry_points;
    opt.apply_local_scaling = !o->raw;
    if (o->out.empty() && o->state_dict.empty())
      return report_error("", Status(ErrorCode::kInvalidArgument, kNoOffset, "give -o DIR, --state-dict FILE or both"));
    if (o->every_step && o->out.empty())
      return report_error("", Status(ErrorCode::kInvalidArgument, kNoOffset, "--every-step needs -o DIR"));
    if (o->every_step && !o->state_dict.empty())
      return report_error("", Status(ErrorCode::kInvalidArgument, kNoOffset,
                                     "--state-dict writes the last step only; not with --every-step"));
    const size_t n = o->streams.size();
    // One stream without --every-step keeps no state: an edition-1 model
    // needs no copy of its levels.
    const bool sequence = n > 1 || o->every_step;
    DecoderState state;
    for (size_t i = 0; i < n; ++i) {
      const std::string& stream = o->streams[i];
      std::vector<uint8_t> bytes;
      Status s = read_file(stream, &bytes);
      if (!s.ok()) return report_error("", s);
      if (sequence && is_anchor_stream(bytes.data(), bytes.size()))
        return report_error(stream, Status(ErrorCode::kInvalidArgument, kNoOffset,
                                           "an anchor stream cannot be part of an update sequence"));
      DecoderState* st = sequence ? &state : nullptr;
      const bool last = i + 1 == n;
      int rc = 0;
      if (o->every_step) {
        rc = decode_to_folder(*o, stream, bytes, opt, st, step_folder(o->out, i));
      } else if (!last) {
        DecodedModel model;  // only the state matters here
        s = decode(bytes.data(), bytes.size(), opt, st, &model, nullptr);
        if (!s.ok()) return report_error(stream, s);
        print_warnings(stream, model);
      } else if (!o->state_dict.empty()) {
        rc = decode_to_state_dict(*o, stream, bytes, opt, st, o->out);
      } else {
        rc = decode_to_folder(*o, stream, bytes, opt, st, o->out);
      }
      if (rc != 0) return rc;
    }
    return 0;
  };
}

}  // namespace nnr::cli
