// Population standard deviation computed the way numpy's `std` computes it
// for binary32 arrays, which the reference encoder's qp heuristic (spec 9.2,
// opt_qp) depends on bit for bit.
#ifndef NNR_ENC_NUMPY_STD_H
#define NNR_ENC_NUMPY_STD_H

#include <cstddef>
#include <cstdint>

namespace nnr {

// numpy.std of a contiguous binary32 array: binary32 sums over buffers of
// 8192 elements, each summed pairwise (8 accumulators up to 128 elements,
// halves at multiples of 8 above); mean = RNE32(sum / n); the squared
// deviations in binary32, summed alike, divided by n; binary32 square root.
float numpy_std(const float* x, size_t n);

// numpy.std of an int32 array, which numpy evaluates in binary64.
double numpy_std(const int32_t* x, size_t n);

}  // namespace nnr

#endif  // NNR_ENC_NUMPY_STD_H
