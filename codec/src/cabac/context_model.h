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
  // s = +1 for bin 1, -1 for bin 0: x += s * (T[16 + ((s*x) >> shift)] >> sx).
  // Written with a sign mask so no branch depends on the bin.
  void update(uint32_t bin) {
    const int m = static_cast<int>(bin) - 1;  // 0 for bin 1, -1 for bin 0
    const int sa_x = (a ^ m) - m;             // s * a
    const int sb_x = (b ^ m) - m;             // s * b
    const int da = kProbUpdate[16 + (sa_x >> 3)] >> sa;
    const int db = kProbUpdate[16 + (sb_x >> 7)] >> sb;
    a = static_cast<int16_t>(a + ((da ^ m) - m));
    b = static_cast<int16_t>(b + ((db ^ m) - m));
  }
};

}  // namespace nnr

#endif  // NNR_CABAC_CONTEXT_MODEL_H
