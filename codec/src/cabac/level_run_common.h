// What the level decoder's forms share (spec 6, 4.4): the errors of a run,
// the magnitude of a level past the AbsGr flags, its range check, and the
// DQ state machine in one word.
#ifndef NNR_CABAC_LEVEL_RUN_COMMON_H
#define NNR_CABAC_LEVEL_RUN_COMMON_H

#include <cstdint>
#include <string>

#include "cabac/arith_decoder.h"
#include "cabac/tables.h"
#include "nnr/error.h"

namespace nnr::level_run {

[[noreturn]] inline void prefix_error() {
  throw Error(ErrorCode::kInvalidBitstream, kNoOffset, "Exp-Golomb remainder prefix longer than 31 bins");
}

[[noreturn]] inline void level_out_of_range(int64_t v) {
  throw Error(ErrorCode::kInvalidBitstream, kNoOffset,
              "decoded level " + std::to_string(v) + " is outside the int32 range");
}

// The Exp-Golomb remainder after N AbsGr flags equal to 1 (spec 6), and
// |k| = N + 1 + rem; -1 for a prefix of more than 31 ones. For the per-level
// form of the level decoder; the registers go in and out by value so the
// caller's copy can stay in machine registers.
struct Remainder {
  ArithDecoder::Core k;
  int64_t mag;
};
// |k| after N AbsGr flags and an Exp-Golomb prefix of p ones: the p suffix
// bins give rem = 2^p - 1 + suffix, and |k| = N + 1 + rem (spec 6).
inline int64_t large_magnitude(ArithDecoder& dec, ArithDecoder::Core& k, int n, int p) {
  return n + int64_t{1} + ((int64_t{1} << p) - 1) + dec.decode_bypass_run_core(k, p);
}

template <bool kAsm>
__attribute__((noinline)) Remainder decode_remainder(ArithDecoder& dec, ArithDecoder::Core k, DecContext* prefix,
                                                     int n) {
  int p = 0;
  while (dec.decode_bin_core<kAsm>(k, prefix[p])) {
    if (++p == 32) return Remainder{k, -1};
  }
  const int64_t mag = large_magnitude(dec, k, n, p);
  return Remainder{k, mag};
}

// The reconstruction level L of magnitude `mag` (DQ: 2|k| - (state & 1)),
// checked against the int32 range; for magnitudes past the AbsGr flags.
inline int32_t checked_level(int64_t mag, uint32_t neg, uint32_t state, bool dq) {
  const int64_t l = dq ? 2 * mag - (state & 1) : mag;
  if (neg) {
    if (l > int64_t{1} << 31) level_out_of_range(-l);
    return static_cast<int32_t>(-l);
  }
  if (l > INT32_MAX) level_out_of_range(l);
  return static_cast<int32_t>(l);
}

// The DQ state machine (spec 4.4) packed into one word, nibble 2 state +
// parity: two ALU steps where a table load would add its latency to the
// next element's context address.
constexpr uint64_t pack_dq_next() {
  uint64_t w = 0;
  for (int s = 0; s < 8; ++s)
    for (int par = 0; par < 2; ++par) w |= uint64_t{kDqNextState[s][par]} << (4 * (2 * s + par));
  return w;
}
constexpr uint64_t kDqNextPacked = pack_dq_next();
inline uint32_t dq_next(uint32_t state, uint32_t mag) {
  return static_cast<uint32_t>(kDqNextPacked >> (4 * (2 * state + (mag & 1)))) & 7u;
}

}  // namespace nnr::level_run

#endif  // NNR_CABAC_LEVEL_RUN_COMMON_H
