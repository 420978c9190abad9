// The probability estimator of a context (spec 8.1-8.4) as tables, for
// encoder loops that step many estimators per bin.
#ifndef NNR_CABAC_ESTIMATOR_STEPS_H
#define NNR_CABAC_ESTIMATOR_STEPS_H

#include <cstdint>

namespace nnr {

// The estimators are kept offset and doubled, A = 2(a + 128) < 512 and
// B = 2(b + 2048) < 8192, so that A + bin and B + bin index the step tables
// directly (next_a per shift sa = 4..7, next_b per sb = 4..6, returning the
// doubled next state), and B + 16A = 2(p + 4096) with p = b + 16a: the EST
// cost of a bin is cost[B + 16A + bin], and (B + 16A) >> 8 = (p >> 7) + 32.
struct EstimatorSteps {
  EstimatorSteps();
  uint16_t next_a[4][512];
  uint16_t next_b[3][8192];
  uint32_t cost[2 * 8192];
};
extern const EstimatorSteps kEstimatorSteps;

inline uint32_t doubled_a(int a) { return static_cast<uint32_t>(2 * (a + 128)); }
inline uint32_t doubled_b(int b) { return static_cast<uint32_t>(2 * (b + 2048)); }

}  // namespace nnr

#endif  // NNR_CABAC_ESTIMATOR_STEPS_H
