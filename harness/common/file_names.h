// File names for tensors: every character outside [A-Za-z0-9._-] becomes '_'.
#ifndef NNR_HARNESS_FILE_NAMES_H
#define NNR_HARNESS_FILE_NAMES_H

#include <string>

namespace nnr {

std::string sanitize_tensor_name(const std::string& name);

}  // namespace nnr

#endif
