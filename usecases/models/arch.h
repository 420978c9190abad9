// Architecture options of the use cases: the defaults of each (use case,
// variant) and the check of user overrides. Torch-free.
#ifndef NNR_USECASES_MODELS_ARCH_H
#define NNR_USECASES_MODELS_ARCH_H

#include <map>
#include <string>

#include "nnr/error.h"

namespace nnr::models {

using Arch = std::map<std::string, double>;

// The defaults for `id` and `variant` ("embedded": the reduced model trained on
// the embedded data; "full": the real architecture at true size), with
// `overrides` applied. An unknown id, variant or key is an error naming it.
Status resolve_arch(const std::string& id, const std::string& variant, const Arch& overrides, Arch* out);

// The value of `key` as an integer (keys are validated by resolve_arch).
inline int64_t arch_int(const Arch& a, const std::string& key) {
  return static_cast<int64_t>(a.at(key) + (a.at(key) < 0 ? -0.5 : 0.5));
}

}  // namespace nnr::models

#endif
