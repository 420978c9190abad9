// make_usecase: "generic" is always available; the libtorch use cases only
// in builds with NNR_WITH_TORCH (they register through make_torch_usecase).
#include "core/generic_usecase.h"
#include "nnr/train.h"
#include "nnr/usecase.h"

namespace nnr {

namespace {
const char* const kTorchIds[] = {"vgg16", "resnet50", "mobilenetv2", "dcase", "uc12b"};

Status needs_torch(const std::string& id) {
  for (const char* t : kTorchIds)
    if (id == t)
      return Status(ErrorCode::kUnsupported, kNoOffset,
                    "use case '" + id + "' needs a build with libtorch (cmake -DNNR_WITH_TORCH=ON)");
  return Status(ErrorCode::kInvalidArgument, kNoOffset,
                "unknown use case '" + id + "' (known: generic, vgg16, resnet50, mobilenetv2, dcase, uc12b)");
}
}  // namespace

#ifdef NNR_HAVE_TORCH_USECASES
Status make_torch_usecase(const UseCaseOptions& options, std::unique_ptr<UseCase>* out);
bool usecases_have_torch() { return true; }
#else
bool usecases_have_torch() { return false; }
Status train_usecase(const TrainOptions& options, TrainReport*) {
  Status s = needs_torch(options.id);
  return s.code() == ErrorCode::kUnsupported
             ? s
             : Status(ErrorCode::kInvalidArgument, kNoOffset, "use case '" + options.id + "' cannot be trained");
}
#endif

Status make_usecase(const UseCaseOptions& options, std::unique_ptr<UseCase>* out) {
  if (options.id == "generic") return make_generic_usecase(options, out);
#ifdef NNR_HAVE_TORCH_USECASES
  for (const char* t : kTorchIds)
    if (options.id == t) return make_torch_usecase(options, out);
#endif
  return needs_torch(options.id);
}

}  // namespace nnr
