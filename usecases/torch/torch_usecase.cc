// The five libtorch use cases: one class, the task (classification or
// reconstruction) chosen by the id; data sets loaded once, on first use.
#include "torch/torch_usecase.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>
#include <torch/utils.h>

#include "data/datasets.h"
#include "metrics/image_quality.h"
#include "metrics/topk.h"
#include "models/models.h"
#include "nnr/io.h"
#include "torch/fine_tune.h"
#include "torch/state.h"
#include "torch/train_data.h"

namespace nnr {
namespace torchuc {

namespace fs = std::filesystem;

std::string embedded_model_path(const std::string& id) { return data::datasets_dir() + "/models/" + id + "/model.npz"; }
std::string embedded_manifest_path(const std::string& id) {
  return data::datasets_dir() + "/models/" + id + "/manifest.json";
}

int64_t default_limit(const std::string& id) {
  (void)id;
  return 0;
}

Status usecase_arch(const UseCaseOptions& options, models::Arch* out) {
  models::Arch overrides;
  if (options.variant == "embedded") {
    const std::string manifest = embedded_manifest_path(options.id);
    std::ifstream in(manifest);
    if (in) {
      try {
        const nlohmann::json j = nlohmann::json::parse(in);
        for (const auto& [k, v] : j.at("arch").items()) overrides[k] = v.get<double>();
      } catch (const std::exception& e) {
        return Status(ErrorCode::kInvalidArgument, kNoOffset, manifest + ": bad manifest: " + e.what());
      }
    }
  }
  for (const auto& [k, v] : options.arch) overrides[k] = v;
  return models::resolve_arch(options.id, options.variant, overrides, out);
}

namespace {

bool is_classifier(const std::string& id) { return id == "vgg16" || id == "resnet50" || id == "mobilenetv2" || id == "dcase"; }

class TorchUseCase final : public UseCase {
 public:
  TorchUseCase(UseCaseOptions options, models::Arch arch, std::shared_ptr<models::Net> net, std::string weights)
      : o_(std::move(options)), arch_(std::move(arch)), net_(std::move(net)), weights_(std::move(weights)) {
    task_ = o_.variant == "embedded" || !o_.data.empty();
    full_shapes_ = torchuc::state_shapes(*net_);
  }

  std::string id() const override { return o_.id; }
  std::string describe() const override {
    int64_t n = 0;
    for (const auto& p : net_->parameters()) n += p.numel();
    std::string arch;
    for (const auto& [k, v] : arch_) {
      std::ostringstream s;
      s << v;
      arch += (arch.empty() ? "" : ", ") + k + "=" + s.str();
    }
    std::string d = o_.id + " (" + o_.variant + "; " + arch + "; " + std::to_string(n) + " parameters), weights: " + weights_;
    if (!task_) return d + ", no task (random or task-less weights: no metric is reported)";
    return d + ", data: " + (loaded_ ? data_.source : (o_.data.empty() ? std::string("embedded") : o_.data)) +
           (o_.limit > 0 ? ", first " + std::to_string(o_.limit) + " samples" : "");
  }
  std::vector<Tensor> parameters() const override { return torchuc::state_tensors(*net_); }
  Status load_parameters(const std::vector<Tensor>& tensors) override {
    // Smaller shapes than the architecture's (channels pruned) are taken
    // if the network still runs on them; otherwise the model stays as it was.
    const std::map<std::string, std::vector<int64_t>> before = torchuc::state_shapes(*net_);
    bool same = true;
    for (const Tensor& t : tensors) {
      auto it = before.find(t.name);
      same = same && (it == before.end() || it->second == t.shape);
    }
    if (same) return torchuc::assign_state(*net_, tensors, "");
    const std::vector<Tensor> previous = torchuc::state_tensors(*net_);
    Status s = torchuc::assign_state(*net_, tensors, "", &full_shapes_);
    if (s.ok()) s = probe();
    if (!s.ok() && !torchuc::assign_state(*net_, previous, "", &full_shapes_).ok())
      return Status(ErrorCode::kInternal, kNoOffset, "could not restore the model after: " + s.message());
    return s;
  }
  bool has_task() const override { return task_; }

  // One sample of zeros through the network: an error names the layer whose
  // shapes do not fit.
  Status probe() {
    std::vector<int64_t> in;
    if (o_.id == "dcase") in = {1, 1, models::arch_int(arch_, "n_mels"), models::arch_int(arch_, "frames")};
    else if (o_.id == "uc12b") in = {1, 3, models::arch_int(arch_, "patch_size"), models::arch_int(arch_, "patch_size")};
    else in = {1, 3, models::arch_int(arch_, "input_size"), models::arch_int(arch_, "input_size")};
    const bool training = net_->is_training();
    net_->eval();
    Status s;
    try {
      torch::InferenceMode inference;
      net_->forward(torch::zeros(in));
    } catch (const c10::Error& e) {
      const std::string what = e.what_without_backtrace();
      s = Status(ErrorCode::kInvalidArgument, kNoOffset,
                 "the parameters' shapes do not fit together: " + what.substr(0, what.find('\n')));
    }
    net_->train(training);
    return s;
  }
  std::vector<std::string> metric_names() const override {
    if (!task_) return {};
    if (!is_classifier(o_.id)) return {"psnr", "ssim"};
    if (models::arch_int(arch_, "num_classes") > 5) return {"top1", "top5"};
    return {"top1"};
  }

  Status infer(const Tensor& input, Tensor* output) override {
    if (input.dtype != DType::kFloat32 || input.shape.size() != 4 ||
        static_cast<int64_t>(input.f32.size()) != input.numel())
      return Status(ErrorCode::kInvalidArgument, kNoOffset,
                    "input '" + input.name + "' must be a float32 N x C x H x W array");
    torch::set_num_threads(std::max(1, o_.threads));
    torch::InferenceMode inference;
    net_->eval();
    const torch::Tensor x = torch::from_blob(const_cast<float*>(input.f32.data()), input.shape, torch::kFloat32);
    torch::Tensor y;
    try {
      y = net_->forward(x).contiguous();
    } catch (const c10::Error& e) {
      // A shape the network cannot take: libtorch's first line says which layer.
      const std::string what = e.what_without_backtrace();
      return Status(ErrorCode::kInvalidArgument, kNoOffset,
                    "input '" + input.name + "' does not fit the network: " + what.substr(0, what.find('\n')));
    }
    *output = Tensor();
    output->name = "output";
    output->shape.assign(y.sizes().begin(), y.sizes().end());
    output->f32.assign(y.data_ptr<float>(), y.data_ptr<float>() + y.numel());
    return Status();
  }

  Status evaluate(UseCaseMetrics* out) override {
    *out = UseCaseMetrics();
    if (!task_) return Status();
    if (!loaded_) {
      Status s = load_data();
      if (!s.ok()) return s;
      loaded_ = true;
    }
    torch::set_num_threads(std::max(1, o_.threads));
    torch::InferenceMode inference;
    net_->eval();
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t n = data_.size(), bs = std::max(1, o_.batch_size);
    const int64_t classes = is_classifier(o_.id) ? models::arch_int(arch_, "num_classes") : 0;
    metrics::TopKCounter topk(classes, classes > 5 ? std::vector<int64_t>{1, 5} : std::vector<int64_t>{1});
    double psnr_sum = 0.0, ssim_sum = 0.0;
    for (int64_t b = 0; b < n; b += bs) {
      const int64_t cnt = std::min(bs, n - b);
      torch::Tensor x = torch::empty({cnt, data_.channels, data_.height, data_.width}, torch::kFloat32);
      data_.batch(b, cnt, x.data_ptr<float>());
      torch::Tensor y = net_->forward(x).contiguous();
      if (classes > 0) {
        if (y.dim() != 2 || y.size(1) != classes)
          return Status(ErrorCode::kInternal, kNoOffset, "model output is not N x num_classes");
        topk.add(y.data_ptr<float>(), data_.labels.data() + b, cnt);
      } else {
        y = y.clamp(0.0, 1.0).contiguous();
        const int64_t per = data_.sample_size();
        for (int64_t i = 0; i < cnt; ++i) {
          const float* ref = x.data_ptr<float>() + i * per;
          const float* rec = y.data_ptr<float>() + i * per;
          psnr_sum += std::min(100.0, metrics::psnr(ref, rec, per));
          ssim_sum += metrics::ssim(ref, rec, data_.channels, data_.height, data_.width);
        }
      }
    }
    out->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out->samples = n;
    if (classes > 0) {
      out->values["top1"] = topk.percent(0);
      if (classes > 5) out->values["top5"] = topk.percent(1);
    } else {
      out->values["psnr"] = psnr_sum / static_cast<double>(n);
      out->values["ssim"] = ssim_sum / static_cast<double>(n);
    }
    return Status();
  }

  Status fine_tune(const FineTuneOptions& options, FineTuneReport* report) override {
    if (!task_) return UseCase::fine_tune(options, report);
    const bool whole = options.epochs > 0;
    const int64_t want = whole ? 0 : std::max<int64_t>(1, options.samples);
    if (!train_all_ && (whole || train_.size() < want)) {
      // Only the samples the fine-tuning will see (the first ones) are read.
      train_ = data::SampleSet();
      Status s;
      if (!o_.train_data.empty()) {
        s = load_train_folder(o_.id, arch_, o_.train_data, want, &train_);
      } else if (o_.data.empty() && o_.variant == "embedded") {
        std::string what;
        s = load_train_data(o_.id, arch_, want, &train_, &what);
      } else {
        return Status(ErrorCode::kInvalidArgument, kNoOffset,
                      "use case '" + o_.id + "' has no training data for fine-tuning (set \"train_data\")");
      }
      if (!s.ok()) return s;
      train_all_ = whole || train_.size() < want;
    }
    return fine_tune_net(*net_, o_.id, train_, options, o_.threads, report);
  }

 private:
  Status load_data() {
    const int64_t limit = o_.limit > 0 ? o_.limit : (o_.data.empty() ? default_limit(o_.id) : 0);
    Status s;
    if (o_.id == "dcase") {
      data::LogMelOptions lm;
      lm.n_mels = models::arch_int(arch_, "n_mels");
      lm.frames = models::arch_int(arch_, "frames");
      std::string dir = o_.data;
      if (dir.empty()) s = data::spoken_digits("test", &dir);
      if (s.ok()) s = data::load_wav_folder(dir, lm, limit, &data_);
    } else if (o_.id == "uc12b") {
      std::vector<std::string> files;
      s = o_.data.empty() ? data::embedded_photos("test", &files) : data::list_images(o_.data, &files);
      const int64_t patch = models::arch_int(arch_, "patch_size");
      if (s.ok()) s = data::load_image_patches(files, patch, patch, limit, &data_);
    } else {
      const int64_t size = models::arch_int(arch_, "input_size");
      const std::string dir = o_.data.empty() ? data::fashion_mnist_dir() : o_.data;
      if (data::is_idx_folder(dir, "t10k") || o_.data.empty())
        s = data::load_idx(dir, "t10k", size, 3, limit, &data_);
      else
        s = data::load_image_classes(dir, models::arch_int(arch_, "resize"), size, limit, &data_);
    }
    if (!s.ok()) return s;
    if (data_.size() == 0) return Status(ErrorCode::kInvalidArgument, kNoOffset, data_.source + ": no samples");
    if (is_classifier(o_.id)) {
      const int64_t classes = models::arch_int(arch_, "num_classes");
      if (static_cast<int64_t>(data_.classes.size()) > classes)
        return Status(ErrorCode::kInvalidArgument, kNoOffset,
                      data_.source + ": " + std::to_string(data_.classes.size()) + " classes, but the model has " +
                          std::to_string(classes) + " outputs (set num_classes)");
    }
    return Status();
  }

  UseCaseOptions o_;
  models::Arch arch_;
  std::shared_ptr<models::Net> net_;
  std::map<std::string, std::vector<int64_t>> full_shapes_;  // the architecture's
  std::string weights_;
  bool task_ = false;
  bool loaded_ = false;
  data::SampleSet data_;
  data::SampleSet train_;   // the first samples of the training data, for fine_tune
  bool train_all_ = false;  // train_ holds the whole training set
};

// Reads named tensors from a state dict / .npz (torch-free reader) or, failing
// that, a TorchScript archive.
Status read_weights(const std::string& path, std::vector<Tensor>* out) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return Status(ErrorCode::kIo, kNoOffset, path + ": no such model file");
  LoadedModel m;
  Status s = load_model(path, &m);
  if (s.ok()) {
    *out = std::move(m.tensors);
    return Status();
  }
  Status js = load_torchscript(path, out);
  if (js.ok()) return js;
  return Status(s.code(), s.byte_offset(), s.message() + " (and not TorchScript either: " + js.message() + ")");
}

}  // namespace
}  // namespace torchuc

Status make_torch_usecase(const UseCaseOptions& options, std::unique_ptr<UseCase>* out) {
  models::Arch arch;
  Status s = torchuc::usecase_arch(options, &arch);
  if (!s.ok()) return s;
  torch::manual_seed(options.seed);
  std::shared_ptr<models::Net> net = models::make_net(options.id, arch);
  std::string weights;
  std::string path = options.model;
  if (path.empty() && options.variant == "embedded") {
    path = torchuc::embedded_model_path(options.id);
    if (!std::filesystem::is_regular_file(path))
      return Status(ErrorCode::kIo, kNoOffset,
                    path + ": the embedded model of '" + options.id + "' is missing (nnr train " + options.id +
                        " makes it)");
  }
  if (path.empty()) {
    weights = "random (seed " + std::to_string(options.seed) + ")";
  } else {
    std::vector<Tensor> tensors;
    s = torchuc::read_weights(path, &tensors);
    if (!s.ok()) return s;
    s = torchuc::assign_state(*net, tensors, path);
    const bool torchvision = options.id == "vgg16" || options.id == "resnet50" || options.id == "mobilenetv2";
    if (!s.ok() && torchvision && options.variant == "embedded" && !options.model.empty()) {
      // A user's model that does not fit the reduced architecture is most
      // likely torchvision's own: try the true-size one before giving up.
      models::Arch full_arch;
      if (models::resolve_arch(options.id, "full", options.arch, &full_arch).ok()) {
        std::shared_ptr<models::Net> full_net = models::make_net(options.id, full_arch);
        if (torchuc::assign_state(*full_net, tensors, path).ok()) {
          s = Status();
          arch = full_arch;
          net = full_net;
        }
      }
      if (!s.ok())
        return Status(s.code(), s.byte_offset(),
                      s.message() + " (neither the embedded nor the full-size " + options.id +
                          " architecture fits; other models load as use case \"generic\")");
    }
    if (!s.ok()) return s;
    weights = path;
  }
  *out = std::make_unique<torchuc::TorchUseCase>(options, arch, net, weights);
  return Status();
}

}  // namespace nnr
