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

// The common case of a short run, cheaply: if both estimators already move
// towards the bin by their fixed steps (da, db) and keep moving for all
// `count` bins (neither reaches rest), the costs are an arithmetic
// progression in p, read from the prefix sums. Adds the cost to *sum,
// updates A, B and returns true; returns false (nothing changed) otherwise.
inline bool progression_run_cost(const EstimatorRun& t, uint32_t* A, uint32_t* B, uint32_t bin, uint32_t count,
                                 uint64_t* sum) {
  // s*a and s*b, s = +1 for bin 1 and -1 for bin 0 (A = 2a + 256, B = 2b + 4096).
  const int sa_x = bin ? static_cast<int>(*A / 2) - 128 : 128 - static_cast<int>(*A / 2);
  const int sb_x = bin ? static_cast<int>(*B / 2) - 2048 : 2048 - static_cast<int>(*B / 2);
  const int last = static_cast<int>(count) - 1;
  // Every bin moves by the fixed step: s*a stays in 0 .. 119 (or da = 0),
  // s*b in 0 .. 1919, before each of the count updates.
  if (sa_x < 0 || sb_x < 0 || sa_x + last * t.da >= 120 || sb_x + last * t.db >= 1920) return false;
  const int d = 16 * t.da + t.db;
  const int s = bin ? 1 : -1;
  const int x0 = static_cast<int>(*B / 2 + 8 * *A);  // p + 4096
  const int x1 = x0 + s * d * last;
  const int lo = x0 < x1 ? x0 : x1, hi = x0 < x1 ? x1 : x0;
  const uint32_t* ps = t.sums_both[bin];
  *sum += static_cast<uint64_t>(ps[hi]) - (lo >= d ? ps[lo - d] : 0u);
  *A = static_cast<uint32_t>(static_cast<int>(*A) + 2 * s * t.da * static_cast<int>(count));
  *B = static_cast<uint32_t>(static_cast<int>(*B) + 2 * s * t.db * static_cast<int>(count));
  return true;
}

}  // namespace nnr

#endif  // NNR_CABAC_ESTIMATOR_RUNS_H
