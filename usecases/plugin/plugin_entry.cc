// The plugin's entry point: the libtorch use cases behind make_usecase and
// train_usecase of the torch-free registry.
#include "plugin/plugin_api.h"

#include "torch/torch_usecase.h"

extern "C" __attribute__((visibility("default"))) const nnr::UseCasePluginApi* nnr_usecase_plugin_api_v1() {
  static const nnr::UseCasePluginApi api = {nnr::kUseCasePluginAbi, nnr::usecase_plugin_build_key(),
                                            nnr::make_torch_usecase, nnr::train_torch_usecase};
  return &api;
}
