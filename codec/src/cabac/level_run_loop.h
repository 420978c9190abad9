// The level-loop form of the level decoder, for every instruction set (see
// level_run_steps.h for Isa).
#ifndef NNR_CABAC_LEVEL_RUN_LOOP_H
#define NNR_CABAC_LEVEL_RUN_LOOP_H

#include <cstdint>

#include "cabac/arith_decoder.h"
#include "cabac/contexts.h"
#include "cabac/level_run_common.h"

namespace nnr::level_run {

// The same levels decoded level by level, the AbsGr flags in a loop whose
// exit is a branch: faster than the bin steps where most levels go past all
// N flags (that branch is then well predicted), slower where the flags end
// at varying places. Returns the number of levels past the N flags. On
// x86-64 decode_run_levels_scaled does the same faster.
template <bool kDq, class Isa>
int64_t decode_run_levels(ArithDecoder& dec, ArithDecoder::Core& k_io, DecContext* ctx, int n, uint32_t& state_io,
                          uint32_t& c_io, int32_t* out, int64_t count) {
  ArithDecoder::Core k = k_io;
  DecContext* const sign_ctx = ctx + ContextLayout::kSign;
  DecContext* const gr_ctx = ctx + ContextLayout::kAbsGr;
  DecContext* const prefix = ctx + 27 + 2 * n;
  uint32_t state = state_io, c = c_io;
  int64_t large = 0;
  for (int64_t i = 0; i < count; ++i) {
    int32_t v = 0;
    if (!dec.template decode_bin_core<Isa::kAsm>(k, ctx[(kDq ? 3 * state : 0) + c])) {
      c = 0;
      if (kDq) state = dq_next(state, 0);
    } else {
      const uint32_t neg = dec.template decode_bin_core<Isa::kAsm>(k, sign_ctx[c]);
      DecContext* const gr = gr_ctx + neg;
      DecContext* const gr_end = gr + 2 * n;
      DecContext* flag = gr;
      while (flag != gr_end && dec.template decode_bin_core<Isa::kAsm>(k, *flag)) flag += 2;
      if (flag != gr_end) {
        // |k| = j + 1 <= N <= 256: no range check needed.
        const int32_t mag = static_cast<int32_t>((flag - gr) >> 1) + 1;
        const int32_t l = kDq ? 2 * mag - static_cast<int32_t>(state & 1) : mag;
        const int32_t m = -static_cast<int32_t>(neg);
        v = (l ^ m) - m;
        if (kDq) state = dq_next(state, static_cast<uint32_t>(mag));
      } else {
        ++large;
        const Remainder rem = decode_remainder<Isa::kAsm>(dec, k, prefix, n);
        k = rem.k;
        try {
          if (rem.mag < 0) prefix_error();
          v = checked_level(rem.mag, neg, state, kDq);
        } catch (...) {
          k_io = k;
          throw;
        }
        if (kDq) state = dq_next(state, static_cast<uint32_t>(rem.mag));
      }
      c = 2 - neg;
    }
    out[i] = v;
  }
  state_io = state;
  c_io = c;
  k_io = k;
  return large;
}

}  // namespace nnr::level_run

#endif  // NNR_CABAC_LEVEL_RUN_LOOP_H
