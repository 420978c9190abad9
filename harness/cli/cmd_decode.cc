#include <chrono>
#include <cstdio>

#include "cli/commands.h"
#include "common/tensor_output.h"
#include "nnr/anchor.h"
#include "nnr/decoder.h"
#include "nnr/io.h"

namespace nnr::cli {

Runner add_decode(CLI::App& app) {
  struct Opts {
    std::string stream, out, state_dict;
    int threads = 0;
    bool no_entry_points = false, raw = false, quiet = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("STREAM", o->stream, "NNR bitstream")->required();
  app.add_option("-o,--output", o->out, "output folder (one .npy per tensor + index.json)");
  app.add_option("--state-dict", o->state_dict,
                 "also (or instead) write the tensors as a PyTorch state dict that torch.load reads");
  app.add_option("--threads", o->threads, "worker threads (0 = one per core)")->check(threads_check());
  app.add_flag("--no-entry-points", o->no_entry_points, "decode block rows sequentially");
  app.add_flag("--no-local-scaling", o->raw, "output every coded tensor as decoded (LS not applied)");
  app.add_flag("-q,--quiet", o->quiet, "print nothing on success");
  return [o]() {
    using Clock = std::chrono::steady_clock;
    std::vector<uint8_t> bytes;
    Status s = read_file(o->stream, &bytes);
    if (!s.ok()) return report_error("", s);
    DecodeOptions opt;
    opt.threads = o->threads;
    opt.use_entry_points = !o->no_entry_points;
    opt.apply_local_scaling = !o->raw;
    if (o->out.empty() && o->state_dict.empty())
      return report_error("", Status(ErrorCode::kInvalidArgument, kNoOffset, "give -o DIR, --state-dict FILE or both"));
    DecodedModel model;
    if (!o->state_dict.empty()) {
      // The whole model in memory, then the file(s).
      const auto t0 = Clock::now();
      s = is_anchor_stream(bytes.data(), bytes.size()) ? anchor_decode(bytes.data(), bytes.size(), opt, &model)
                                                       : decode(bytes.data(), bytes.size(), opt, &model);
      if (!s.ok()) return report_error(o->stream, s);
      for (const std::string& w : model.warnings)
        std::fprintf(stderr, "nnr: %s: warning: %s\n", o->stream.c_str(), w.c_str());
      if (!o->out.empty()) {
        s = write_tensor_folder(o->out, model.tensors, o->threads);
        if (!s.ok()) return report_error("", s);
      }
      std::vector<Tensor> tensors;
      for (DecodedTensor& t : model.tensors) tensors.push_back(std::move(static_cast<Tensor&>(t)));
      s = write_torch_state_dict(o->state_dict, tensors);
      if (!s.ok()) return report_error("", s);
      if (!o->quiet)
        std::printf("%s: %zu tensors written to %s in %.3f s\n", o->stream.c_str(), tensors.size(),
                    o->state_dict.c_str(), std::chrono::duration<double>(Clock::now() - t0).count());
      return 0;
    }
    // NNR streams go to the folder tensor by tensor as they are decoded;
    // anchor streams are written once decoded.
    TensorFolderWriter writer(o->out);
    const bool anchor = is_anchor_stream(bytes.data(), bytes.size());
    const auto t0 = Clock::now();
    s = anchor ? anchor_decode(bytes.data(), bytes.size(), opt, &model)
               : decode(bytes.data(), bytes.size(), opt, &model, &writer);
    if (s.ok() && anchor) {
      s = writer.begin(1);
      for (size_t i = 0; s.ok() && i < model.tensors.size(); ++i) s = writer.write(0, i, model.tensors[i]);
    }
    const auto t1 = Clock::now();
    if (!s.ok()) return report_error(o->stream, s);
    for (const std::string& w : model.warnings) std::fprintf(stderr, "nnr: %s: warning: %s\n", o->stream.c_str(), w.c_str());
    s = writer.finish();
    if (!s.ok()) return report_error("", s);
    if (!o->quiet) {
      const double secs = std::chrono::duration<double>(t1 - t0).count();
      const uint64_t params = writer.parameters();
      std::printf("%s: %zu tensors, %llu parameters, %zu bytes, decoded and written in %.3f s (%.1f M params/s)\n",
                  o->stream.c_str(), writer.tensors(), static_cast<unsigned long long>(params), bytes.size(), secs,
                  secs > 0 ? params / secs / 1e6 : 0.0);
    }
    return 0;
  };
}

}  // namespace nnr::cli
