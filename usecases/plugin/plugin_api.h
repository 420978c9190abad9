// The boundary between the torch-free `nnr` and the libtorch use cases,
// which live in a plugin (libnnr_usecases_torch.so) loaded on first use: the
// codec commands then start without loading libtorch and OpenCV.
//
// Both sides are built from the same sources by the same build, so C++
// types cross it; the build key guards against a plugin from another build
// (a stale install, another checkout) whose layouts may differ.
#ifndef NNR_USECASES_PLUGIN_API_H
#define NNR_USECASES_PLUGIN_API_H

#include <cstdint>
#include <memory>
#include <string>

#include "nnr/train.h"
#include "nnr/usecase.h"

namespace nnr {

struct UseCasePluginApi {
  uint32_t abi_version;
  const char* build_key;
  Status (*make_usecase)(const UseCaseOptions& options, std::unique_ptr<UseCase>* out);
  Status (*train_usecase)(const TrainOptions& options, TrainReport* report);
};

constexpr uint32_t kUseCasePluginAbi = 2;

// The plugin's one exported symbol, a function returning its table.
#define NNR_USECASE_PLUGIN_ENTRY "nnr_usecase_plugin_api_v1"
using UseCasePluginEntry = const UseCasePluginApi* (*)();

// A key both sides compute: the version and the sizes of the types that
// cross the boundary.
inline const char* usecase_plugin_build_key() {
  static const std::string key = std::string(NNR_PLUGIN_BUILD_ID) + "/" + std::to_string(sizeof(UseCaseOptions)) +
                                 "/" + std::to_string(sizeof(TrainOptions)) + "/" +
                                 std::to_string(sizeof(TrainReport)) + "/" + std::to_string(sizeof(Tensor)) + "/" +
                                 std::to_string(sizeof(Status)) + "/" + std::to_string(sizeof(UseCaseMetrics)) + "/" +
                                 std::to_string(sizeof(FineTuneOptions));
  return key.c_str();
}

}  // namespace nnr

#endif  // NNR_USECASES_PLUGIN_API_H
