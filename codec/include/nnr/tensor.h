// A named tensor as the codec sees it: a shape and float32 or int32 values,
// row-major (C order).
#ifndef NNR_TENSOR_H
#define NNR_TENSOR_H

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "nnr/value_allocator.h"

namespace nnr {

enum class DType { kFloat32, kInt32 };

const char* dtype_name(DType t);  // "float32", "int32"

// A tensor's values: a std::vector whose large buffers are huge-page backed.
template <typename T>
using ValueVector = std::vector<T, ValueAllocator<T>>;

// Values compare with a plain std::vector element by element.
template <typename T>
bool operator==(const ValueVector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}
template <typename T>
bool operator==(const std::vector<T>& a, const ValueVector<T>& b) {
  return b == a;
}
template <typename T>
bool operator!=(const ValueVector<T>& a, const std::vector<T>& b) {
  return !(a == b);
}
template <typename T>
bool operator!=(const std::vector<T>& a, const ValueVector<T>& b) {
  return !(b == a);
}

struct Tensor {
  std::string name;
  std::vector<int64_t> shape;  // outermost first; empty shape is not used (0-D becomes [1])
  DType dtype = DType::kFloat32;
  ValueVector<float> f32;    // values when dtype == kFloat32
  ValueVector<int32_t> i32;  // values when dtype == kInt32

  int64_t numel() const;
  // The values as little-endian bytes, row-major (what sha256 sums are taken over).
  std::vector<uint8_t> bytes() const;
  // The same bytes where they are stored, without a copy (values are held
  // in host order, and the hosts built for are little-endian).
  const uint8_t* data_bytes() const;
  size_t byte_size() const;
};

}  // namespace nnr

#endif  // NNR_TENSOR_H
