// "generic": any model file as named tensors, with no task. Lets the harness
// compress real trained weights where no task data exists (e.g. the ResNet-56
// state dict), and reports size and reconstruction error only.
#include "core/generic_usecase.h"

#include <unordered_map>

#include "nnr/io.h"

namespace nnr {
namespace {

class GenericUseCase final : public UseCase {
 public:
  GenericUseCase(std::string path, std::vector<Tensor> tensors)
      : path_(std::move(path)), tensors_(std::move(tensors)) {}

  std::string id() const override { return "generic"; }
  std::string describe() const override {
    int64_t n = 0;
    for (const auto& t : tensors_) n += t.numel();
    return "named tensors from " + path_ + " (" + std::to_string(tensors_.size()) +
           " tensors, " + std::to_string(n) + " values, no task)";
  }
  std::vector<Tensor> parameters() const override { return tensors_; }
  Status load_parameters(const std::vector<Tensor>& tensors) override {
    std::unordered_map<std::string, const Tensor*> by_name;
    for (const auto& t : tensors) by_name[t.name] = &t;
    for (auto& t : tensors_) {
      auto it = by_name.find(t.name);
      if (it == by_name.end())
        return Status(ErrorCode::kInvalidArgument, -1, "parameter '" + t.name + "' is missing");
      if (it->second->shape != t.shape || it->second->dtype != t.dtype)
        return Status(ErrorCode::kInvalidArgument, -1,
                      "parameter '" + t.name + "' has the wrong shape or dtype");
    }
    for (auto& t : tensors_) t = *by_name[t.name];
    return Status();
  }
  bool has_task() const override { return false; }
  std::vector<std::string> metric_names() const override { return {}; }
  Status evaluate(UseCaseMetrics* out) override {
    *out = UseCaseMetrics();
    return Status();
  }
  Status infer(const Tensor&, Tensor*) override {
    return Status(ErrorCode::kInvalidArgument, -1, "use case 'generic' has no network to run");
  }

 private:
  std::string path_;
  std::vector<Tensor> tensors_;
};

}  // namespace

Status make_generic_usecase(const UseCaseOptions& options, std::unique_ptr<UseCase>* out) {
  if (options.model.empty())
    return Status(ErrorCode::kInvalidArgument, -1, "use case 'generic' needs a model file");
  LoadedModel m;
  Status st = load_model(options.model, &m);
  if (!st.ok()) return st;
  *out = std::make_unique<GenericUseCase>(options.model, std::move(m.tensors));
  return Status();
}

}  // namespace nnr
