// Rate estimates for rate-distortion quantisation (spec 9.3, 9.4 step 5): a
// context set that follows the chosen levels, a neighbour value and a fixed
// DQ state id; the rate of a level is the sum of the estimated costs of its
// bins (bypass bins at one bit each), in 1/32768 bit.
#ifndef NNR_QUANT_RATE_ESTIMATOR_H
#define NNR_QUANT_RATE_ESTIMATOR_H

#include <cstdint>
#include <vector>

#include "cabac/binarisation.h"
#include "cabac/estimator_steps.h"

namespace nnr {

class RateEstimator {
 public:
  // `n` AbsGr flags (the reference encoder uses cabac_unary_length_minus1,
  // one fewer than the coder), state id `state_id`.
  void init(int n, uint32_t state_id) {
    n_ = n;
    state_id_ = state_id;
    ctx_.assign(static_cast<size_t>(2 * n + 63), Context{});
    nb_ = 0;
  }

  uint64_t rate(int64_t level) const {
    uint64_t r = 0;
    const uint32_t c = neighbour_class(nb_);
    const uint32_t* cost = kEstimatorSteps.cost;
    binarise_level(
        level, 3 * state_id_ + c, c, n_,
        [&](uint32_t i, uint32_t bin) { r += cost[ctx_[i].b + 16u * ctx_[i].a + bin]; },
        [&](uint64_t, int bits) { r += static_cast<uint64_t>(bits) << 15; });
    return r;
  }

  // Codes `level` into the contexts with state id `state_id`, using the
  // current neighbour (which is not changed).
  void code(int64_t level, uint32_t state_id) {
    const uint32_t c = neighbour_class(nb_);
    const uint16_t* ta = kEstimatorSteps.next_a[1];  // set 0: sa = 5, sb = 4
    const uint16_t* tb = kEstimatorSteps.next_b[0];
    binarise_level(
        level, 3 * state_id + c, c, n_,
        [&](uint32_t i, uint32_t bin) {
          Context& x = ctx_[i];
          x.a = ta[x.a + bin];
          x.b = tb[x.b + bin];
        },
        [](uint64_t, int) {});
  }

  void set_neighbour(int64_t v) { nb_ = v; }
  uint32_t state_id() const { return state_id_; }
  void copy_contexts_from(const RateEstimator& o) { ctx_ = o.ctx_; }

 private:
  // A context initialised with set 0 (spec 8.2), its estimators in the
  // doubled form of cabac/estimator_steps.h (EST and steps from tables).
  struct Context {
    uint16_t a = 256, b = 4096;  // a = b = 0
  };
  int n_ = 10;
  uint32_t state_id_ = 0;
  std::vector<Context> ctx_;
  int64_t nb_ = 0;
};

}  // namespace nnr

#endif  // NNR_QUANT_RATE_ESTIMATOR_H
