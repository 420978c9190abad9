// A named tensor as the codec sees it: a shape and float32 or int32 values,
// row-major (C order).
#ifndef NNR_TENSOR_H
#define NNR_TENSOR_H

#include <cstdint>
#include <string>
#include <vector>

namespace nnr {

enum class DType { kFloat32, kInt32 };

const char* dtype_name(DType t);  // "float32", "int32"

struct Tensor {
  std::string name;
  std::vector<int64_t> shape;  // outermost first; empty shape is not used (0-D becomes [1])
  DType dtype = DType::kFloat32;
  std::vector<float> f32;    // values when dtype == kFloat32
  std::vector<int32_t> i32;  // values when dtype == kInt32

  int64_t numel() const;
  // The values as little-endian bytes, row-major (what sha256 sums are taken over).
  std::vector<uint8_t> bytes() const;
};

}  // namespace nnr

#endif  // NNR_TENSOR_H
