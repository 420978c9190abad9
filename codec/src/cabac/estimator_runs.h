// The estimated cost (spec 9.6) of a run of equal bins coded with one
// context, without stepping through the run bin by bin.
#ifndef NNR_CABAC_ESTIMATOR_RUNS_H
#define NNR_CABAC_ESTIMATOR_RUNS_H

#include <cstdint>

namespace nnr {

// Sum of EST(p, bin) over `count` bins equal to `bin` coded with a context in
// state (a, b) with shifts (sa, sb) (spec 8.1-8.4), the state updated after
// every bin; a and b are left at the state after the run. Same result as
// stepping, in time independent of the run length once both estimators move
// towards the bin (then they move by fixed steps until they saturate).
uint64_t estimated_run_cost(int* a, int* b, int sa, int sb, uint32_t bin, uint64_t count);

}  // namespace nnr

#endif  // NNR_CABAC_ESTIMATOR_RUNS_H
