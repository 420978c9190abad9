#include "dec/reconstruct.h"

#include <cmath>
#include <string>

#include "nnr/error.h"

namespace nnr {

void reconstruct_uniform(const int32_t* levels, size_t n, float step, float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(levels[i]) * step;
}

void reconstruct_codebook(const int32_t* levels, size_t n, const std::vector<int64_t>& codebook,
                          int64_t cb_zero_offset, double step, float* out) {
  const int64_t size = static_cast<int64_t>(codebook.size());
  for (size_t i = 0; i < n; ++i) {
    const int64_t idx = int64_t{levels[i]} + cb_zero_offset;
    if (idx < 0 || idx >= size) {
      throw Error(ErrorCode::kInvalidBitstream, kNoOffset,
                  "codebook index " + std::to_string(idx) + " outside the codebook of size " +
                      std::to_string(size));
    }
    out[i] = static_cast<float>(static_cast<double>(codebook[idx]) * step);
  }
}

void apply_local_scaling(float* weight, size_t rows, size_t row_size, const float* ls) {
  for (size_t r = 0; r < rows; ++r) {
    const float s = ls[r];
    float* w = weight + r * row_size;
    for (size_t i = 0; i < row_size; ++i) w[i] = w[i] * s;
  }
}

}  // namespace nnr
