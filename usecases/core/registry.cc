// make_usecase and train_usecase: "generic" is always here; the libtorch use
// cases come from the plugin (core/plugin_loader.h), loaded on first use, or
// are linked in directly where NNR_DIRECT_TORCH_USECASES is defined (the
// torch tests).
#include "core/generic_usecase.h"
#include "nnr/train.h"
#include "nnr/usecase.h"

#ifdef NNR_DIRECT_TORCH_USECASES
#include "torch/torch_usecase.h"
#else
#include "core/plugin_loader.h"
#endif

namespace nnr {

namespace {
const char* const kTorchIds[] = {"vgg16", "resnet50", "mobilenetv2", "dcase", "uc12b"};

bool is_torch_id(const std::string& id) {
  for (const char* t : kTorchIds)
    if (id == t) return true;
  return false;
}

Status unknown(const std::string& id) {
  return Status(ErrorCode::kInvalidArgument, kNoOffset,
                "unknown use case '" + id + "' (known: generic, vgg16, resnet50, mobilenetv2, dcase, uc12b)");
}
}  // namespace

bool usecases_have_torch() {
#ifdef NNR_DIRECT_TORCH_USECASES
  return true;
#else
  const UseCasePluginApi* api = nullptr;
  return load_usecase_plugin(&api).ok();
#endif
}

Status make_usecase(const UseCaseOptions& options, std::unique_ptr<UseCase>* out) {
  if (options.id == "generic") return make_generic_usecase(options, out);
  if (!is_torch_id(options.id)) return unknown(options.id);
#ifdef NNR_DIRECT_TORCH_USECASES
  return make_torch_usecase(options, out);
#else
  const UseCasePluginApi* api = nullptr;
  Status s = load_usecase_plugin(&api);
  if (!s.ok())
    return Status(s.code(), kNoOffset, "use case '" + options.id + "' needs libtorch: " + s.message());
  return api->make_usecase(options, out);
#endif
}

Status train_usecase(const TrainOptions& options, TrainReport* report) {
  if (!is_torch_id(options.id)) {
    if (options.id == "generic")
      return Status(ErrorCode::kInvalidArgument, kNoOffset, "use case 'generic' cannot be trained");
    return unknown(options.id);
  }
#ifdef NNR_DIRECT_TORCH_USECASES
  return train_torch_usecase(options, report);
#else
  const UseCasePluginApi* api = nullptr;
  Status s = load_usecase_plugin(&api);
  if (!s.ok())
    return Status(s.code(), kNoOffset, "use case '" + options.id + "' needs libtorch: " + s.message());
  return api->train_usecase(options, report);
#endif
}

}  // namespace nnr
