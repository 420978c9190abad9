// Reading a decoder's .npy output as written, without any conversion, so a
// wrong dtype, byte order or layout is seen as such.
#ifndef NNR_HARNESS_CONFORMANCE_NPY_STRICT_H
#define NNR_HARNESS_CONFORMANCE_NPY_STRICT_H

#include <cstdint>
#include <string>
#include <vector>

#include "nnr/error.h"

namespace nnr {

struct NpyArray {
  std::string descr;             // as in the header, e.g. "<f4"
  std::string dtype;             // "float32", "int32", ... or the descr when unusual
  bool fortran_order = false;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;     // the array bytes as stored
};

// Parses an .npy file of at most `max_data_bytes` of array data (larger
// files fail before they are read). Errors name the file and byte offset.
Status read_npy_strict(const std::string& path, uint64_t max_data_bytes, NpyArray* out);

// The same for bytes held in memory; `name` is used in messages.
Status parse_npy_strict(const uint8_t* data, size_t size, const std::string& name, NpyArray* out);

std::string shape_string(const std::vector<int64_t>& shape);  // "[3, 4]"

}  // namespace nnr

#endif
