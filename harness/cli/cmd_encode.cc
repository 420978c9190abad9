#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "cli/commands.h"
#include "common/reconstruction_error.h"
#include "common/settings_json.h"
#include "config/json_text.h"
#include "nnr/anchor.h"
#include "nnr/encoder.h"
#include "nnr/io.h"

namespace nnr::cli {

Runner add_encode(CLI::App& app) {
  struct Opts {
    std::string input, out, settings_file, model_kind, codec = "nnr";
    std::optional<int> qp, qp_density, nonweight_qp, codebook_mode, scan_order, cabac_unary_length_minus1;
    std::optional<double> lambda_scale;
    std::optional<bool> use_dq, param_opt, opt_qp, bnf, row_skipping, tca, compress_differences;
    std::optional<int> general_profile_idc;
    std::vector<std::string> parent;
    bool quiet = false, mse = false;
    int threads = 0;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("INPUT", o->input, ".npz of named arrays, or a PyTorch state dict (torch.save)")->required();
  app.add_option("-o,--output", o->out, "output bitstream")->required();
  app.add_option("--settings", o->settings_file, "JSON object with encoder settings (the keys of a conformance manifest's encoder_settings, plus model_kind)");
  app.add_option("--qp", o->qp, "qp of weight tensors");
  app.add_option("--qp-density", o->qp_density, "qp_density (0..7)");
  app.add_option("--nonweight-qp", o->nonweight_qp, "qp of other float tensors");
  app.add_option("--use-dq", o->use_dq, "dependent quantization (true/false)");
  app.add_option("--codebook-mode", o->codebook_mode, "0 uniform, 1 codebook, 2 per-tensor choice");
  app.add_option("--scan-order", o->scan_order, "0 row-major, 1..4 block scan with entry points");
  app.add_option("--lambda-scale", o->lambda_scale, "rate-distortion weight (0: distortion only)");
  app.add_option("--param-opt", o->param_opt, "choose context init sets (true/false)");
  app.add_option("--cabac-unary-length-minus1", o->cabac_unary_length_minus1, "AbsGr flags - 1 (0..255)");
  app.add_option("--opt-qp", o->opt_qp, "per-tensor qp heuristic (true/false)");
  app.add_option("--bnf", o->bnf, "batch-norm folding (true/false; needs block information)");
  app.add_option("--general-profile-idc", o->general_profile_idc, "0: edition 1 (default); 1: edition 2");
  app.add_option("--row-skipping", o->row_skipping, "edition 2: all-zero rows not coded (true/false)");
  app.add_option("--tca", o->tca, "edition 2: temporal context adaptation from the parent (true/false)");
  app.add_option("--compress-differences", o->compress_differences,
                 "edition 2: the input is an update, the difference to the parent (true/false)");
  auto* parent = app.add_option("--parent", o->parent,
                                "edition 2: the stream updates the model that these streams decode to, in order "
                                "(the earlier streams of the sequence; none: its first stream)")
                     ->expected(0, -1);
  app.add_option("--model-kind", o->model_kind, "plain | pytorch | tensorflow (parameter-type rules)");
  app.add_option("--codec", o->codec, "nnr (default) or anchor (uniform quantization + bzip2)")
      ->check(CLI::IsMember({"nnr", "anchor"}));
  app.add_option("--threads", o->threads, "worker threads (0 = one per core); the stream is the same for any count")
      ->check(threads_check());
  app.add_flag("-q,--quiet", o->quiet, "print nothing on success");
  app.add_flag("--mse", o->mse,
               "decode the stream and print the reconstruction error against the input "
               "(mean squared error over all float values, and over weights only)");
  return [o, parent]() {
    // The stream must not replace its own input.
    struct stat in_st, out_st;
    if (stat(o->input.c_str(), &in_st) == 0 && stat(o->out.c_str(), &out_st) == 0 && in_st.st_dev == out_st.st_dev &&
        in_st.st_ino == out_st.st_ino)
      return report_error("", Status(ErrorCode::kInvalidArgument, kNoOffset,
                                     o->out + ": is the input " + o->input + "; choose another output"));
    LoadedModel model;
    Status s = load_model(o->input, &model);
    if (!s.ok()) return report_error(o->input, s);
    EncoderSettings settings;
    settings.model_kind = model.pytorch ? ModelKind::kPyTorch : ModelKind::kPlain;
    if (!o->settings_file.empty()) {
      nlohmann::json j;
      s = read_json_text(o->settings_file, &j);
      if (!s.ok()) return report_error(s.code() == ErrorCode::kIo ? "" : o->settings_file, s);
      s = settings_from_json(j, "", &settings);
      if (!s.ok()) return report_error(o->settings_file, s);
    }
    nlohmann::json flags = nlohmann::json::object();
    if (o->qp) flags["qp"] = *o->qp;
    if (o->qp_density) flags["qp_density"] = *o->qp_density;
    if (o->nonweight_qp) flags["nonweight_qp"] = *o->nonweight_qp;
    if (o->use_dq) flags["use_dq"] = *o->use_dq;
    if (o->codebook_mode) flags["codebook_mode"] = *o->codebook_mode;
    if (o->scan_order) flags["scan_order"] = *o->scan_order;
    if (o->lambda_scale) flags["lambda_scale"] = *o->lambda_scale;
    if (o->param_opt) flags["param_opt"] = *o->param_opt;
    if (o->cabac_unary_length_minus1) flags["cabac_unary_length_minus1"] = *o->cabac_unary_length_minus1;
    if (o->opt_qp) flags["opt_qp"] = *o->opt_qp;
    if (o->bnf) flags["bnf"] = *o->bnf;
    if (!o->model_kind.empty()) flags["model_kind"] = o->model_kind;
    if (o->general_profile_idc) flags["general_profile_idc"] = *o->general_profile_idc;
    if (o->row_skipping) flags["row_skipping"] = *o->row_skipping;
    if (o->tca) flags["tca"] = *o->tca;
    if (o->compress_differences) flags["compress_differences"] = *o->compress_differences;
    s = settings_from_json(flags, "(command line)", &settings);
    if (!s.ok()) return report_error("", s);
    // The update sequence so far: the decoder state its streams leave, as a
    // decoder will hold it when this stream arrives.
    DecoderState state;
    if (parent->count() > 0) {
      for (const std::string& p : o->parent) {
        if (p.empty()) continue;  // "--parent" alone: the first stream of a sequence
        std::vector<uint8_t> bytes;
        s = read_file(p, &bytes);
        if (!s.ok()) return report_error("", s);
        DecodedModel dm;
        s = decode(bytes.data(), bytes.size(), DecodeOptions{}, &state, &dm, nullptr);
        if (!s.ok()) return report_error(p, s);
      }
      settings.parent = &state;
    }
    const DecoderState parent_state = o->mse ? state : DecoderState{};  // for --mse

    EncodeResult r;
    const auto t0 = std::chrono::steady_clock::now();
    EncodeOptions eo;
    eo.threads = o->threads;
    eo.keep_reconstruction = false;  // --mse decodes the stream itself
    s = o->codec == "anchor" ? anchor_encode(model.tensors, settings, eo, &r) : encode(model.tensors, settings, eo, &r);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!s.ok()) return report_error(o->input, s);
    s = write_file_atomic(o->out, r.stream.data(), r.stream.size());
    if (!s.ok()) return report_error("", s);
    if (o->mse) {
      DecodedModel dm;
      DecodeOptions dopt;
      dopt.threads = o->threads;
      DecoderState after = parent_state;
      s = is_anchor_stream(r.stream.data(), r.stream.size())
              ? anchor_decode(r.stream.data(), r.stream.size(), dopt, &dm)
              : decode(r.stream.data(), r.stream.size(), dopt, parent->count() ? &after : nullptr, &dm, nullptr);
      if (!s.ok()) return report_error(o->out, s);
      const ReconstructionError e = reconstruction_error(model.tensors, dm);
      std::printf("reconstruction MSE: %.6e over %llu float values (max |error| %.6e); weights (>= 2-D) only: %.6e over %llu values\n",
                  e.mse(), static_cast<unsigned long long>(e.count), e.max_abs, e.weight_mse(),
                  static_cast<unsigned long long>(e.weight_count));
      if (e.unmatched)
        std::fprintf(stderr, "nnr: %zu input tensors have no decoded tensor of the same name and shape (not counted)\n",
                     e.unmatched);
    }
    if (!o->quiet) {
      for (const std::string& n : model.notices) std::fprintf(stderr, "nnr: %s\n", n.c_str());
      for (const std::string& m : r.messages) std::fprintf(stderr, "nnr: %s\n", m.c_str());
      uint64_t original = 0, params = 0;
      for (const Tensor& t : model.tensors) {
        original += 4 * static_cast<uint64_t>(t.numel());
        params += static_cast<uint64_t>(t.numel());
      }
      std::printf("%s: %zu tensors, %llu parameters, %llu bytes -> %zu bytes (%.2f %% of the original), "
                  "encoded in %.3f s (%.2f M params/s)\n",
                  o->out.c_str(), model.tensors.size(), static_cast<unsigned long long>(params),
                  static_cast<unsigned long long>(original), r.stream.size(),
                  original ? 100.0 * r.stream.size() / original : 0.0, secs, secs > 0 ? params / secs / 1e6 : 0.0);
    }
    return 0;
  };
}

}  // namespace nnr::cli
