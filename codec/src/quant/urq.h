// Uniform reconstruction quantisation (spec 9.3): nearest neighbour, and the
// rate-distortion optimised rounding (RDOQ) for lambda_scale > 0.
#ifndef NNR_QUANT_URQ_H
#define NNR_QUANT_URQ_H

#include <cstdint>
#include <vector>

#include "cabac/dec_levels.h"

namespace nnr {

// Nearest-neighbour levels: L = round_half_away(RNE32(RNE32(1/Delta) * w)).
// Returns false if a level would not fit int32 (then the caller raises qp).
bool quantize_urq(const float* w, size_t n, int qp, int qp_density, int32_t* levels);

// RDOQ over the scan order of `geom`.
bool quantize_rdoq(const float* w, const ScanGeometry& geom, int qp, int qp_density,
                   double lambda_scale, int cabac_unary_length_minus1, int32_t* levels);

}  // namespace nnr

#endif  // NNR_QUANT_URQ_H
