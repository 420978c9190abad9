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

  // rate(m) for the positive magnitudes m = lo .. hi (1 <= lo, hi - lo < 4)
  // into out[m - lo]: their bins share the significance, sign and leading
  // AbsGr flags, which are costed once.
  void positive_rates(uint64_t lo, uint64_t hi, uint64_t* out) const {
    const uint32_t c = neighbour_class(nb_);
    const uint32_t* cost = kEstimatorSteps.cost;
    auto est = [&](uint32_t i, uint32_t bin) -> uint64_t { return cost[ctx_[i].b + 16u * ctx_[i].a + bin]; };
    uint64_t ones = est(3 * state_id_ + c, 1) + est(ContextLayout::kSign + c, 0);  // sig 1, sign 0
    const uint64_t n = static_cast<uint64_t>(n_);
    uint64_t j = 1;  // ones = cost of the bins before AbsGr flag j, all flags < j being 1
    for (uint64_t m = lo; m <= hi; ++m) {
      const uint64_t last = m <= n ? m : n + 1;  // flags 1 .. last-1 are 1
      for (; j < last; ++j) ones += est(ContextLayout::kAbsGr + 2 * static_cast<uint32_t>(j - 1), 1);
      if (m <= n) {
        out[m - lo] = ones + est(ContextLayout::kAbsGr + 2 * static_cast<uint32_t>(m - 1), 0);
        continue;
      }
      const uint64_t rem1 = m - n;  // rem + 1 (spec 6)
      const int p = 63 - __builtin_clzll(rem1);
      const uint32_t prefix = static_cast<uint32_t>(27 + 2 * n_);
      uint64_t r = ones + (static_cast<uint64_t>(p) << 15);
      for (int i = 0; i < p; ++i) r += est(prefix + static_cast<uint32_t>(i), 1);
      out[m - lo] = r + est(prefix + static_cast<uint32_t>(p), 0);
    }
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
