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
    std::string stream, out;
    int threads = 0;
    bool no_entry_points = false, raw = false, quiet = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("STREAM", o->stream, "NNR bitstream")->required();
  app.add_option("-o,--output", o->out, "output folder (one .npy per tensor + index.json)")->required();
  app.add_option("--threads", o->threads, "worker threads (0 = one per core)");
  app.add_flag("--no-entry-points", o->no_entry_points, "decode block rows sequentially");
  app.add_flag("--no-local-scaling", o->raw, "output every coded tensor as decoded (LS not applied)");
  app.add_flag("-q,--quiet", o->quiet, "print nothing on success");
  return [o]() {
    std::vector<uint8_t> bytes;
    Status s = read_file(o->stream, &bytes);
    if (!s.ok()) return report_error("", s);
    DecodeOptions opt;
    opt.threads = o->threads;
    opt.use_entry_points = !o->no_entry_points;
    opt.apply_local_scaling = !o->raw;
    DecodedModel model;
    const auto t0 = std::chrono::steady_clock::now();
    s = is_anchor_stream(bytes.data(), bytes.size()) ? anchor_decode(bytes.data(), bytes.size(), opt, &model)
                                                     : decode(bytes.data(), bytes.size(), opt, &model);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!s.ok()) return report_error(o->stream, s);
    for (const std::string& w : model.warnings) std::fprintf(stderr, "nnr: %s: warning: %s\n", o->stream.c_str(), w.c_str());
    s = write_tensor_folder(o->out, model.tensors);
    if (!s.ok()) return report_error("", s);
    if (!o->quiet) {
      uint64_t params = 0;
      for (const auto& t : model.tensors) params += static_cast<uint64_t>(t.numel());
      std::printf("%s: %zu tensors, %llu parameters, %zu bytes, decoded in %.3f s (%.1f M params/s)\n",
                  o->stream.c_str(), model.tensors.size(), static_cast<unsigned long long>(params),
                  bytes.size(), secs, secs > 0 ? params / secs / 1e6 : 0.0);
    }
    return 0;
  };
}

}  // namespace nnr::cli
