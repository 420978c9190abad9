// make_usecase: "generic" is always available; the libtorch use cases only
// in builds with NNR_WITH_TORCH (they register through make_torch_usecase).
#include "core/generic_usecase.h"
#include "nnr/usecase.h"

namespace nnr {

#ifdef NNR_HAVE_TORCH_USECASES
Status make_torch_usecase(const UseCaseOptions& options, std::unique_ptr<UseCase>* out);
bool usecases_have_torch() { return true; }
#else
bool usecases_have_torch() { return false; }
#endif

Status make_usecase(const UseCaseOptions& options, std::unique_ptr<UseCase>* out) {
  if (options.id == "generic") return make_generic_usecase(options, out);
#ifdef NNR_HAVE_TORCH_USECASES
  return make_torch_usecase(options, out);
#else
  static const char* const kTorch[] = {"vgg16", "resnet50", "mobilenetv2", "dcase", "uc12b"};
  for (const char* id : kTorch)
    if (options.id == id)
      return Status(ErrorCode::kUnsupported, -1,
                    "use case '" + options.id +
                        "' needs a build with libtorch (cmake -DNNR_WITH_TORCH=ON)");
  return Status(ErrorCode::kInvalidArgument, -1, "unknown use case '" + options.id + "'");
#endif
}

}  // namespace nnr
