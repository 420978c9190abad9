// The encoder's choice of context init sets (spec 9.6, `param_opt`).
#ifndef NNR_CABAC_INIT_SET_CHOICE_H
#define NNR_CABAC_INIT_SET_CHOICE_H

#include <cstdint>
#include <vector>

#include "cabac/dec_levels.h"

namespace nnr {

// Chooses the init set of every signalled context from the levels (9.6).
// `levels` are reconstruction levels L in flat order; with `dq` they are
// binarised as L (the reference encoder's quirk) while the DQ state follows k.
std::vector<int> choose_init_sets(const ScanGeometry& geom, const int32_t* levels,
                                  int cabac_unary_length, bool dq);

}  // namespace nnr

#endif  // NNR_CABAC_INIT_SET_CHOICE_H
