// File names for tensors in an output folder: every character outside
// [A-Za-z0-9._-] becomes '_'; a name whose result is longer than 200 bytes
// keeps its first 183 and gets '-' and 16 hex digits of its sha256 (file
// systems refuse names over 255 bytes); the k-th later tensor with the same
// file name gets "-k" before ".npy". index.json keeps the real names.
#ifndef NNR_HARNESS_FILE_NAMES_H
#define NNR_HARNESS_FILE_NAMES_H

#include <string>
#include <vector>

namespace nnr {

std::string sanitize_tensor_name(const std::string& name);

// The file name without ".npy" and without a collision suffix.
std::string tensor_file_base(const std::string& name);

// "<base>.npy", or "<base>-<k>.npy" for k >= 1.
std::string numbered_tensor_file(const std::string& base, int k);

// The file names of tensors in output order, collisions numbered.
std::vector<std::string> tensor_file_names(const std::vector<std::string>& names);

}  // namespace nnr

#endif
