// nnr evaluate: a use case's task metrics for a model, as one JSON line.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "nnr/usecase.h"

namespace nnr::cli {

Status parse_arch_options(const std::vector<std::string>& items, std::map<std::string, double>* out) {
  for (const auto& item : items) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status(ErrorCode::kInvalidArgument, kNoOffset, "--arch '" + item + "': expected KEY=VALUE");
    try {
      size_t used = 0;
      const double v = std::stod(item.substr(eq + 1), &used);
      if (used != item.size() - eq - 1) throw std::invalid_argument("trailing characters");
      (*out)[item.substr(0, eq)] = v;
    } catch (const std::exception&) {
      return Status(ErrorCode::kInvalidArgument, kNoOffset, "--arch '" + item + "': the value is not a number");
    }
  }
  return Status();
}

Runner add_evaluate(CLI::App& app) {
  struct Opts {
    UseCaseOptions uc;
    std::vector<std::string> arch;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("USECASE", o->uc.id, "vgg16 | resnet50 | mobilenetv2 | dcase | uc12b | generic")->required();
  app.add_option("--model", o->uc.model, "state dict (.pt), TorchScript or .npz; default: the embedded trained model");
  app.add_option("--data", o->uc.data, "data folder (ImageNet-style, labelled WAVs, images); default: the embedded set");
  app.add_option("--limit", o->uc.limit, "evaluate on the first N samples (0: all)")->check(CLI::NonNegativeNumber);
  app.add_option("--variant", o->uc.variant, "embedded (reduced, trained) or full (true-size architecture)")
      ->check(CLI::IsMember({"embedded", "full"}));
  app.add_option("--threads", o->uc.threads, "intra-op threads")->check(CLI::PositiveNumber);
  app.add_option("--batch-size", o->uc.batch_size, "evaluation batch size")->check(CLI::PositiveNumber);
  app.add_option("--seed", o->uc.seed, "seed of random weights (variant full without --model)");
  app.add_option("--arch", o->arch, "architecture option KEY=VALUE (width_mult, num_classes, input_size, ...)");
  return [o]() {
    Status s = parse_arch_options(o->arch, &o->uc.arch);
    if (!s.ok()) return report_error("", s);
    std::unique_ptr<UseCase> uc;
    s = make_usecase(o->uc, &uc);
    if (!s.ok()) return report_error("", s);
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
