// Tensor files: NumPy .npy (format 1.0) for float32 / int32 tensors.
#ifndef NNR_IO_H
#define NNR_IO_H

#include <string>
#include <vector>

#include "nnr/error.h"
#include "nnr/tensor.h"

namespace nnr {

// The bytes of an .npy file holding `t` (little-endian, C order).
std::vector<uint8_t> npy_bytes(const Tensor& t);
// Writes `t` to `path` as .npy.
Status write_npy(const std::string& path, const Tensor& t);
// Parses an .npy file held in memory (float32 / int32, little-endian, C order).
Status parse_npy(const uint8_t* data, size_t size, Tensor* out);

// Reads a whole file. Errors name the file.
Status read_file(const std::string& path, std::vector<uint8_t>* out);
// Writes a whole file atomically (temporary file, then rename).
Status write_file_atomic(const std::string& path, const uint8_t* data, size_t size);

}  // namespace nnr

#endif  // NNR_IO_H
