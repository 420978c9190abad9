// Trellis quantisation for dependent quantisation (spec 9.4).
#ifndef NNR_QUANT_DQ_TRELLIS_H
#define NNR_QUANT_DQ_TRELLIS_H

#include <cstdint>

#include "cabac/dec_levels.h"

namespace nnr {

// Reconstruction levels L (Q0 / Q1 multiples reachable along the DQ state
// machine) minimising distortion (+ lambda * rate when lambda_scale > 0),
// over the scan order of `geom`. Returns false if a level would not fit int32.
bool quantize_dq_trellis(const float* w, const ScanGeometry& geom, int qp, int qp_density,
                         double lambda_scale, int cabac_unary_length_minus1, int32_t* levels);

}  // namespace nnr

#endif  // NNR_QUANT_DQ_TRELLIS_H
