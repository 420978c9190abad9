// Conversion of stored arrays (NumPy / PyTorch element types) to the codec's
// float32 / int32 tensors (spec 3.2).
#ifndef NNR_IO_ARRAY_CONVERT_H
#define NNR_IO_ARRAY_CONVERT_H

#include <cstdint>
#include <string>
#include <vector>

#include "nnr/error.h"
#include "nnr/tensor.h"

namespace nnr {

enum class StoredType { kF16, kBF16, kF32, kF64, kI8, kU8, kI16, kU16, kI32, kU32, kI64, kBool };

const char* stored_type_name(StoredType t);
size_t stored_type_size(StoredType t);

// Converts `count` little-endian elements at `data` to a tensor: integers
// become int32 (error if a value does not fit), floats become float32
// (float16 / bfloat16 exactly, float64 rounded to nearest with a notice).
// `what` names the array in messages.
Status convert_array(StoredType type, const uint8_t* data, size_t count, const std::string& what,
                     Tensor* out, std::vector<std::string>* notices);

}  // namespace nnr

#endif  // NNR_IO_ARRAY_CONVERT_H
