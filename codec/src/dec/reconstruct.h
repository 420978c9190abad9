// From levels to values (spec 4): step size, uniform and codebook
// reconstruction, and the local-scaling product of 3.5.
#ifndef NNR_DEC_RECONSTRUCT_H
#define NNR_DEC_RECONSTRUCT_H

#include <cstddef>
#include <cstdint>
#include <vector>

#include "quant/step_size.h"

namespace nnr {


// value = RNE32(step * RNE32(L))
void reconstruct_uniform(const int32_t* levels, size_t n, float step, float* out);
// value = RNE32(Codebook[L + CbZeroOffset] * step) with the product exact in
// binary64. Throws nnr::Error if an index falls outside the codebook.
void reconstruct_codebook(const int32_t* levels, size_t n, const std::vector<int64_t>& codebook,
                          int64_t cb_zero_offset, double step, float* out);
// W'[i, ...] = RNE32(W[i, ...] * ls[i]) for every row i of the first dimension.
void apply_local_scaling(float* weight, size_t rows, size_t row_size, const float* ls);

}  // namespace nnr

#endif  // NNR_DEC_RECONSTRUCT_H
