// Finds and loads the libtorch use-case plugin on first use.
#ifndef NNR_USECASES_CORE_PLUGIN_LOADER_H
#define NNR_USECASES_CORE_PLUGIN_LOADER_H

#include <string>

#include "plugin/plugin_api.h"

namespace nnr {

// Where the plugin is looked for: $NNR_USECASES_PLUGIN if set, else
// lib/libnnr_usecases_torch.so beside the executable's bin/ folder.
std::string usecase_plugin_path();

// Loads the plugin once per process (later calls return the same table or
// the same error). The error names the file and what went wrong.
Status load_usecase_plugin(const UseCasePluginApi** api);

}  // namespace nnr

#endif
