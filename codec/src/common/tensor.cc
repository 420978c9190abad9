#include <cstring>

#include "nnr/tensor.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "tensor bytes are written in host order");

namespace nnr {

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

static_assert(sizeof(float) == 4 && sizeof(int32_t) == 4, "32-bit element types");

const uint8_t* Tensor::data_bytes() const {
  return dtype == DType::kInt32 ? reinterpret_cast<const uint8_t*>(i32.data())
                                : reinterpret_cast<const uint8_t*>(f32.data());
}

size_t Tensor::byte_size() const { return 4 * (dtype == DType::kInt32 ? i32.size() : f32.size()); }

std::vector<uint8_t> Tensor::bytes() const {
  const uint8_t* p = data_bytes();
  return std::vector<uint8_t>(p, p + byte_size());
}

}  // namespace nnr
