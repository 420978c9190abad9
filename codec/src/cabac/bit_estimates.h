// Bin cost estimates used by encoder decisions (init sets, rate-distortion).
#ifndef NNR_CABAC_BIT_ESTIMATES_H
#define NNR_CABAC_BIT_ESTIMATES_H

#include <cstdint>

namespace nnr {

// EST(p, bin) of spec 9.6: the cost of coding `bin` with a context whose
// probability state is p = b + 16a, in 1/32768 bit.
uint32_t estimate_bin_cost(int p, uint32_t bin);

}  // namespace nnr

#endif  // NNR_CABAC_BIT_ESTIMATES_H
