// `nnr train`: the recipes that make the embedded models. Each is fixed
// (data, augmentation, optimiser, schedule, seed, threads) and recorded in the
// manifest written beside the model.
#include "nnr/train.h"
#include "torch/train_data.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>
#include <torch/nn/functional/loss.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/utils.h>
#include <torch/version.h>

#include "data/datasets.h"
#include "models/models.h"
#include "nnr/io.h"
#include "nnr/usecase.h"
#include "torch/state.h"
#include "torch/torch_usecase.h"

namespace nnr {
namespace {

namespace fs = std::filesystem;

struct Recipe {
  int epochs;
  int batch_size;
  double lr;
  int64_t smoke_samples;      // the subset the smoke test re-evaluates
  double weight_decay = 0.0;  // > 0: AdamW (decoupled decay), else Adam
  int crop_pad = 0;           // > 0: random translations of up to this many pixels
};

Recipe recipe(const std::string& id) {
  if (id == "vgg16") return {6, 128, 1e-3, 500};
  if (id == "resnet50") return {5, 128, 2e-3, 500};
  if (id == "mobilenetv2") return {6, 128, 2e-3, 500};
  if (id == "dcase") return {12, 32, 3e-3, 200};
  return {30, 32, 1e-3, 100};  // uc12b
}

Status apply_overrides(const std::map<std::string, double>& over, Recipe* r) {
  for (const auto& [key, v] : over) {
    const bool integral = key != "lr" && key != "weight_decay";
    if (!std::isfinite(v) || v < 0 || (integral && v != std::floor(v)) || v > 1e6)
      return Status(ErrorCode::kInvalidArgument, kNoOffset,
                    "recipe option '" + key + "' must be a non-negative " + (integral ? "integer" : "number"));
    if (key == "epochs") r->epochs = static_cast<int>(v);
    else if (key == "batch_size" && v >= 1) r->batch_size = static_cast<int>(v);
    else if (key == "lr" && v > 0) r->lr = v;
    else if (key == "weight_decay") r->weight_decay = v;
    else if (key == "crop_pad" && v <= 16) r->crop_pad = static_cast<int>(v);
    else
      return Status(ErrorCode::kInvalidArgument, kNoOffset,
                    "recipe option '" + key + "' is unknown or out of range "
                    "(options: epochs, batch_size >= 1, lr > 0, weight_decay, crop_pad <= 16)");
  }
  return Status();
}

std::string augmentation_text(const std::string& id, const Recipe& r) {
  if (id == "dcase") return "random circular time shift of up to 10 frames";
  std::string a = "random horizontal flip";
  if (r.crop_pad > 0) a += ", random translation of up to " + std::to_string(r.crop_pad) + " pixels (edges replicated)";
  return a;
}

std::string test_data_description(const std::string& id) {
  if (id == "dcase") return "spoken digits (espeak-ng), test split (360 clips)";
  if (id == "uc12b") return "non-overlapping patches of the 6 test photographs from " + data::photos_dir();
  return "Fashion-MNIST t10k (10000 images) from " + data::fashion_mnist_dir();
}

nlohmann::json metrics_json(const UseCaseMetrics& m) {
  nlohmann::json j;
  for (const auto& [k, v] : m.values) j[k] = std::round(v * 10000.0) / 10000.0;
  j["samples"] = m.samples;
  j["eval_seconds"] = std::round(m.seconds * 100.0) / 100.0;
  return j;
}

}  // namespace

Status train_torch_usecase(const TrainOptions& o, TrainReport* report) {
  UseCaseOptions uo;
  uo.id = o.id;
  uo.arch = o.arch;
  models::Arch arch;
  // Built-in defaults plus overrides, never the manifest being replaced.
  Status s = models::resolve_arch(o.id, "embedded", o.arch, &arch);
  if (!s.ok()) return s;
  Recipe r = recipe(o.id);
  s = apply_overrides(o.recipe, &r);
  if (!s.ok()) return s;
  const int epochs = o.epochs > 0 ? o.epochs : r.epochs;
  const std::string out_dir = o.out_dir.empty() ? data::datasets_dir() + "/models/" + o.id : o.out_dir;

  data::SampleSet train;
  std::string what;
  s = torchuc::load_train_data(o.id, arch, 0, &train, &what);
  if (!s.ok()) return s;
  if (o.train_limit > 0) {
    train.truncate(o.train_limit);
    what += ", first " + std::to_string(train.size()) + " samples";
  }

  torch::set_num_threads(std::max(1, o.threads));
  torch::manual_seed(o.seed);
  std::shared_ptr<models::Net> net = models::make_net(o.id, arch);
  std::unique_ptr<torch::optim::Optimizer> opt;
  if (r.weight_decay > 0)
    opt = std::make_unique<torch::optim::AdamW>(net->parameters(),
                                                torch::optim::AdamWOptions(r.lr).weight_decay(r.weight_decay));
  else
    opt = std::make_unique<torch::optim::Adam>(net->parameters(), torch::optim::AdamOptions(r.lr));
  const bool classify = o.id != "uc12b";
  const int64_t n = train.size(), bs = r.batch_size;
  const int64_t steps_per_epoch = (n + bs - 1) / bs, total = steps_per_epoch * epochs;
  const auto t0 = std::chrono::steady_clock::now();
  int64_t step = 0;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    net->train();
    const torch::Tensor perm = torch::randperm(n, torch::kLong);
    const int64_t* order = perm.data_ptr<int64_t>();
    double loss_sum = 0.0;
    for (int64_t b = 0; b < n; b += bs, ++step) {
      // Cosine learning-rate decay over all steps.
      const double lr = r.lr * 0.5 * (1.0 + std::cos(3.14159265358979 * static_cast<double>(step) / total));
      for (auto& g : opt->param_groups()) g.options().set_lr(lr);
      const int64_t cnt = std::min(bs, n - b);
      torch::Tensor x, labels;
      torchuc::make_batch(train, order + b, cnt, &x, &labels);
      x = torchuc::augment(o.id, x, r.crop_pad);
      opt->zero_grad();
      const torch::Tensor y = net->forward(x);
      const torch::Tensor loss = classify ? torch::nn::functional::cross_entropy(y, labels)
                                          : torch::nn::functional::mse_loss(y, x);
      loss.backward();
      opt->step();
      loss_sum += loss.item<double>() * static_cast<double>(cnt);
    }
    if (o.verbose)
      std::fprintf(stderr, "nnr train %s: epoch %d/%d loss %.4f (%.1f s)\n", o.id.c_str(), epoch + 1, epochs,
                   loss_sum / static_cast<double>(n),
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  const double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return Status(ErrorCode::kIo, kNoOffset, out_dir + ": " + ec.message());
  const std::string model_file = out_dir + "/model.npz";
  s = write_npz(model_file, torchuc::state_tensors(*net));
  if (!s.ok()) return s;

  // Evaluate exactly as `nnr evaluate` will: through the use case, from the file.
  UseCaseOptions eo;
  eo.id = o.id;
  eo.model = model_file;
  eo.arch = arch;
  eo.threads = std::max(1, o.threads);
  std::unique_ptr<UseCase> uc;
  s = make_torch_usecase(eo, &uc);
  if (!s.ok()) return s;
  UseCaseMetrics full, smoke;
  s = uc->evaluate(&full);
  if (!s.ok()) return s;
  eo.limit = r.smoke_samples;
  s = make_torch_usecase(eo, &uc);
  if (s.ok()) s = uc->evaluate(&smoke);
  if (!s.ok()) return s;

  int64_t params = 0;
  for (const auto& p : net->parameters()) params += p.numel();
  nlohmann::json m;
  m["usecase"] = o.id;
  m["model_file"] = "model.npz";
  m["arch"] = arch;
  m["parameters"] = params;
  m["data"] = {{"train", what}, {"test", test_data_description(o.id)}};
  m["recipe"] = {{"optimizer", r.weight_decay > 0 ? "AdamW" : "Adam"}, {"lr", r.lr},
                 {"schedule", "cosine decay per step"}, {"batch_size", r.batch_size}, {"epochs", epochs},
                 {"augmentation", augmentation_text(o.id, r)},
                 {"loss", classify ? "cross entropy" : "mean squared error"}};
  if (r.weight_decay > 0) m["recipe"]["weight_decay"] = r.weight_decay;
  m["seed"] = o.seed;
  m["threads"] = o.threads;
  m["train_seconds"] = std::round(train_seconds * 10.0) / 10.0;
  m["metrics"] = metrics_json(full);
  m["smoke"] = {{"limit", r.smoke_samples}, {"metrics", metrics_json(smoke)}};
  m["libtorch"] = TORCH_VERSION;
  m["reproducibility"] =
      "deterministic for a given libtorch build, thread count and CPU; other machines may differ in the last bits";
  const std::string text = m.dump(2) + "\n";
  const std::string manifest_file = out_dir + "/manifest.json";
  s = write_file_atomic(manifest_file, reinterpret_cast<const uint8_t*>(text.data()), text.size());
  if (!s.ok()) return s;

  report->model_file = model_file;
  report->manifest_file = manifest_file;
  report->train_seconds = train_seconds;
  report->metrics = full.values;
  return Status();
}

}  // namespace nnr
