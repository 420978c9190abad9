// nnr evaluate: a use case's task metrics for a model, as one JSON line; or,
// with --reference-io, a check of the model's outputs against another
// framework's on the same input.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "nnr/io.h"
#include "nnr/usecase.h"

namespace nnr::cli {

Status parse_number_options(const std::string& flag, const std::vector<std::string>& items,
                            std::map<std::string, double>* out) {
  for (const auto& item : items) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status(ErrorCode::kInvalidArgument, kNoOffset, flag + " '" + item + "': expected KEY=VALUE");
    try {
      size_t used = 0;
      const double v = std::stod(item.substr(eq + 1), &used);
      if (used != item.size() - eq - 1) throw std::invalid_argument("trailing characters");
      (*out)[item.substr(0, eq)] = v;
    } catch (const std::exception&) {
      return Status(ErrorCode::kInvalidArgument, kNoOffset, flag + " '" + item + "': the value is not a number");
    }
  }
  return Status();
}

namespace {

const Tensor* find_tensor(const std::vector<Tensor>& ts, const std::string& name) {
  for (const auto& t : ts)
    if (t.name == name) return &t;
  return nullptr;
}

// Runs the model on a reference input and compares its output with the
// reference framework's, element by element and by arg-max per sample.
int check_reference_io(UseCase& uc, const std::string& path, double tolerance) {
  LoadedModel io;
  Status s = load_model(path, &io);
  if (!s.ok()) return report_error(path, s);
  const Tensor* in = find_tensor(io.tensors, "input");
  const Tensor* ref = find_tensor(io.tensors, "logits");
  if (!in || !ref || in->dtype != DType::kFloat32 || ref->dtype != DType::kFloat32)
    return report_error(path, Status(ErrorCode::kInvalidArgument, kNoOffset,
                                     "needs float32 arrays \"input\" and \"logits\""));
  Tensor out;
  s = uc.infer(*in, &out);
  if (!s.ok()) return report_error(path, s);
  if (out.shape != ref->shape)
    return report_error(path, Status(ErrorCode::kInvalidArgument, kNoOffset,
                                     "the model's output shape differs from \"logits\""));
  double max_diff = 0.0, max_ref = 0.0;
  for (size_t i = 0; i < ref->f32.size(); ++i) {
    max_diff = std::max(max_diff, std::fabs(static_cast<double>(out.f32[i]) - ref->f32[i]));
    max_ref = std::max(max_ref, std::fabs(static_cast<double>(ref->f32[i])));
  }
  const int64_t n = ref->shape.empty() ? 0 : ref->shape[0];
  const int64_t per = n > 0 ? ref->numel() / n : 0;
  int64_t agree = 0;
  for (int64_t i = 0; i < n && per > 0; ++i) {
    const float* a = out.f32.data() + i * per;
    const float* b = ref->f32.data() + i * per;
    agree += std::max_element(a, a + per) - a == std::max_element(b, b + per) - b;
  }
  const double rel = max_ref > 0 ? max_diff / max_ref : max_diff;
  const bool pass = std::isfinite(rel) && rel <= tolerance && agree == n;
  nlohmann::json j;
  j["usecase"] = uc.id();
  j["describe"] = uc.describe();
  j["reference"] = {{"file", path},        {"samples", n},     {"max_abs_diff", max_diff},
                    {"max_abs_reference", max_ref}, {"relative_diff", rel}, {"argmax_agree", agree},
                    {"tolerance", tolerance}, {"pass", pass}};
  std::printf("%s\n", j.dump().c_str());
  if (!pass)
    std::fprintf(stderr, "nnr evaluate: %s: output differs from the reference (relative %.3g > %.3g, or arg-max differs)\n",
                 path.c_str(), rel, tolerance);
  return pass ? 0 : 1;
}

}  // namespace

Runner add_evaluate(CLI::App& app) {
  struct Opts {
    UseCaseOptions uc;
    std::vector<std::string> arch;
    std::string reference_io;
    double reference_tolerance = 1e-4;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("USECASE", o->uc.id, "vgg16 | resnet50 | mobilenetv2 | dcase | uc12b | generic")->required();
  app.add_option("--model", o->uc.model, "state dict (.pt), TorchScript or .npz; default: the embedded trained model");
  app.add_option("--data", o->uc.data, "data folder (ImageNet-style, labelled WAVs, images); default: the embedded set");
  app.add_option("--limit", o->uc.limit, "evaluate on the first N samples (0: all)")->check(CLI::NonNegativeNumber);
  app.add_option("--variant", o->uc.variant, "embedded (reduced, trained) or full (true-size architecture)")
      ->check(CLI::IsMember({"embedded", "full"}));
  app.add_option("--threads", o->uc.threads, "intra-op threads")->check(count_check(256));
  app.add_option("--batch-size", o->uc.batch_size, "evaluation batch size")->check(count_check(65536));
  app.add_option("--seed", o->uc.seed, "seed of random weights (variant full without --model)");
  app.add_option("--arch", o->arch, "architecture option KEY=VALUE (width_mult, num_classes, input_size, ...)");
  app.add_option("--reference-io", o->reference_io,
                 "instead of evaluating: run the model on the .npz's \"input\" and compare with its \"logits\" "
                 "(e.g. from scripts/export_torchvision.py --reference-io)");
  app.add_option("--reference-tolerance", o->reference_tolerance,
                 "largest |difference| allowed, relative to the largest |reference value| (default 1e-4)")
      ->check(finite_check(-1e-300, 1, "a number in 0..1"));
  return [o]() {
    Status s = parse_number_options("--arch", o->arch, &o->uc.arch);
    if (!s.ok()) return report_error("", s);
    std::unique_ptr<UseCase> uc;
    s = make_usecase(o->uc, &uc);
    if (!s.ok()) return report_error("", s);
    if (!o->reference_io.empty()) return check_reference_io(*uc, o->reference_io, o->reference_tolerance);
    UseCaseMetrics m;
    s = uc->evaluate(&m);
    if (!s.ok()) return report_error("", s);
    nlohmann::json j;
    j["usecase"] = uc->id();
    j["variant"] = o->uc.variant;
    j["describe"] = uc->describe();
    j["has_task"] = uc->has_task();
    j["metrics"] = nlohmann::json::object();
    for (const auto& [k, v] : m.values) j["metrics"][k] = v;
    j["samples"] = m.samples;
    j["seconds"] = m.seconds;
    std::printf("%s\n", j.dump().c_str());
    return 0;
  };
}

}  // namespace nnr::cli
