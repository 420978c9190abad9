#include <cstring>

#include "nnr/tensor.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "tensor bytes are written in host order");

namespace nnr {

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<uint8_t> Tensor::bytes() const {
  // Values are stored in host order; this machine family is little-endian.
  static_assert(sizeof(float) == 4 && sizeof(int32_t) == 4, "32-bit element types");
  std::vector<uint8_t> out(4 * (dtype == DType::kInt32 ? i32.size() : f32.size()));
  if (!out.empty())
    std::memcpy(out.data(), dtype == DType::kInt32 ? static_cast<const void*>(i32.data())
                                                   : static_cast<const void*>(f32.data()),
                out.size());
  return out;
}

}  // namespace nnr
