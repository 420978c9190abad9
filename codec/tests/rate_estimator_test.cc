// The rate estimator's shared-prefix rates equal the per-level rates.
#include <gtest/gtest.h>

#include <random>

#include "quant/rate_estimator.h"

namespace nnr {
namespace {

TEST(RateEstimator, PositiveRatesSameAsRateOfEachLevel) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    RateEstimator e;
    const int n = static_cast<int>(rng() % 12);
    e.init(n, static_cast<uint32_t>(rng() % 8));
    const int warm = static_cast<int>(rng() % 200);
    for (int i = 0; i < warm; ++i) {
      const int64_t level = static_cast<int64_t>(rng() % 40) - 20;
      e.code(level, static_cast<uint32_t>(rng() % 8));
      e.set_neighbour(level);
    }
    const uint64_t lo = 1 + rng() % 60, hi = lo + rng() % 4;
    uint64_t out[4];
    e.positive_rates(lo, hi, out);
    for (uint64_t m = lo; m <= hi; ++m)
      ASSERT_EQ(out[m - lo], e.rate(static_cast<int64_t>(m))) << "trial " << trial << " m " << m;
  }
}

}  // namespace
}  // namespace nnr
