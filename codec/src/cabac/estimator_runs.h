// The estimated cost (spec 9.6) of a run of equal bins coded with one
// context, without stepping through the run bin by bin.
#ifndef NNR_CABAC_ESTIMATOR_RUNS_H
#define NNR_CABAC_ESTIMATOR_RUNS_H

#include <cstdint>

namespace nnr {

// What the closed form needs for one pair of shifts (sa, sb).
struct EstimatorRun {
  int sa = 0, sb = 0;
  int da = 0, db = 0;  // steps of a and b towards the bin: 64 >> sa, 64 >> sb
  const uint16_t* next_a = nullptr;  // kEstimatorSteps tables of these shifts
  const uint16_t* next_b = nullptr;
  // Prefix sums of EST along p with strides 16 da + db, 16 da and db, per bin.
  const uint32_t* sums_both[2] = {};
  const uint32_t* sums_a[2] = {};
  const uint32_t* sums_b[2] = {};
};
const EstimatorRun& estimator_run(int sa, int sb);  // sa 4..7, sb 4..6

struct RunCost {
  uint64_t cost;
  uint32_t a, b;  // the estimators after the run
};

// Sum of EST(p, bin) over `count` bins equal to `bin` coded with a context
// whose estimators are a, b (doubled form of cabac/estimator_steps.h) with the
// shifts of `t`, the state updated after every bin. Same result as stepping,
// in time independent of the run length once both estimators move towards
// the bin (then they move by fixed steps until they saturate).
RunCost estimated_run_cost(const EstimatorRun& t, uint32_t a, uint32_t b, uint32_t bin, uint64_t count);

}  // namespace nnr

#endif  // NNR_CABAC_ESTIMATOR_RUNS_H
