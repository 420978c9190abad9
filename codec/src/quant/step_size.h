// The quantisation step size of a qp (spec 4.1).
#ifndef NNR_QUANT_STEP_SIZE_H
#define NNR_QUANT_STEP_SIZE_H

#include <cmath>
#include <cstdint>

namespace nnr {

// Delta = (2^d + (qp & (2^d - 1))) * 2^((qp >> d) - d), exact in binary64.
inline double step_size_exact(int qp, int qp_density) {
  const int64_t k = int64_t{1} << qp_density;
  const int64_t mul = k + (qp & (k - 1));
  const int shift = qp >> qp_density;  // arithmetic shift: floor division
  return std::ldexp(static_cast<double>(mul), shift - qp_density);
}

// RNE32 of the exact step size.
inline float step_size(int qp, int qp_density) {
  return static_cast<float>(step_size_exact(qp, qp_density));
}

}  // namespace nnr

#endif  // NNR_QUANT_STEP_SIZE_H
