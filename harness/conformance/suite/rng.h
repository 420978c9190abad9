// The generator's random source: std::mt19937_64 (its output is fixed by the
// C++ standard) with every distribution written out here, because the
// std:: distributions differ between standard libraries. Integer arithmetic
// only, so the suite is the same on every platform.
#ifndef NNR_HARNESS_CONFORMANCE_SUITE_RNG_H
#define NNR_HARNESS_CONFORMANCE_SUITE_RNG_H

#include <cstdint>
#include <random>

namespace nnr::suite {

class Rng {
 public:
  explicit Rng(uint64_t seed) : g_(seed) {}

  uint64_t bits() { return g_(); }

  // Uniform in [lo, hi] (rejection sampling, no modulo bias).
  int64_t uniform(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
    if (span == UINT64_MAX) return static_cast<int64_t>(g_());
    const uint64_t n = span + 1;
    const uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
    uint64_t x;
    do x = g_();
    while (x >= limit);
    return static_cast<int64_t>(static_cast<uint64_t>(lo) + x % n);
  }

  // True with probability num/den.
  bool chance(int64_t num, int64_t den) { return uniform(0, den - 1) < num; }

  // A signed level with a peaked, heavy-tailed distribution (most values
  // small, a few up to 2^max_bits - 1), like quantised weights.
  int64_t level(int max_bits) {
    if (chance(2, 5)) return 0;
    const int b = static_cast<int>(uniform(0, max_bits));
    const int64_t hi = b >= 62 ? INT64_MAX : (int64_t{1} << b);
    const int64_t mag = uniform(1, hi < 1 ? 1 : hi);
    const int64_t cap = (int64_t{1} << max_bits) - 1;
    const int64_t m = mag > cap ? cap : mag;
    return chance(1, 2) ? -m : m;
  }

  // A float32 weight: a level(10) scaled by 2^-12, so exactly representable.
  float weight() { return static_cast<float>(level(10)) / 4096.0f; }

 private:
  std::mt19937_64 g_;
};

}  // namespace nnr::suite

#endif
