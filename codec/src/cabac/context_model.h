// One adaptive binary context of DeepCABAC: two estimators a (fast) and b
// (slow) with their adaptation shifts; p = b + 16a (spec 8.1-8.4).
#ifndef NNR_CABAC_CONTEXT_MODEL_H
#define NNR_CABAC_CONTEXT_MODEL_H

#include <cstdint>

#include "cabac/tables.h"

namespace nnr {

struct ContextModel {
  int16_t a = 0;
  int16_t b = 0;
  uint8_t sa = 5;
  uint8_t sb = 4;
  uint8_t set = 0;

  void init(int init_set) {
    const InitSet& s = kInitSets[init_set];
    a = s.a;
    b = s.b;
    sa = s.sa;
    sb = s.sb;
    set = static_cast<uint8_t>(init_set);
  }
  // Back to the initial estimator values of the current set (block-row reset).
  void reset() {
    a = kInitSets[set].a;
    b = kInitSets[set].b;
  }
  int p() const { return b + 16 * a; }
  uint32_t mps() const { return p() >= 0 ? 1u : 0u; }
  uint32_t rho() const {
    const int q = p() >> 7;
    return static_cast<uint32_t>(q < 0 ? -q : q);
  }
  void update(uint32_t bin) {
    if (bin) {
      a = static_cast<int16_t>(a + (kProbUpdate[16 + (a >> 3)] >> sa));
      b = static_cast<int16_t>(b + (kProbUpdate[16 + (b >> 7)] >> sb));
    } else {
      a = static_cast<int16_t>(a - (kProbUpdate[16 + ((-a) >> 3)] >> sa));
      b = static_cast<int16_t>(b - (kProbUpdate[16 + ((-b) >> 7)] >> sb));
    }
  }
};

}  // namespace nnr

#endif  // NNR_CABAC_CONTEXT_MODEL_H
