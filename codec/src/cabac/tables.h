// Constant tables of DeepCABAC (probability estimator, LPS ranges, init sets).
#ifndef NNR_CABAC_TABLES_H
#define NNR_CABAC_TABLES_H

#include <cstdint>

namespace nnr {

// RLPS[q][rho], q = (R >> 5) & 7, rho = |p >> 7|.
extern const uint8_t kRlps[8][32];

// Adaptation step table T of the two-speed estimator, indexed 16 + ((s*x) >> shift).
extern const int16_t kProbUpdate[32];

struct InitSet {
  uint8_t sa, sb;
  int16_t a, b;
};
constexpr int kNumInitSets = 9;
extern const InitSet kInitSets[kNumInitSets];

// DQ state machine: next state for (state, parity of k).
inline constexpr uint8_t kDqNextState[8][2] = {{0, 2}, {7, 5}, {1, 3}, {6, 4}, {2, 0}, {5, 7}, {3, 1}, {4, 6}};

}  // namespace nnr

#endif  // NNR_CABAC_TABLES_H
