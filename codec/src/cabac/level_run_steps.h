// The bin-step form of the level decoder, for every instruction set: its
// body is instantiated with the C++ reference (level_run_c.cc) and with the
// x86-64 asm beside it (x86_64/level_run_x86_64.cc). Isa provides kAsm (the
// decisions' selections), select() and, where kPlainStepsAsm, plain_steps().
#ifndef NNR_CABAC_LEVEL_RUN_STEPS_H
#define NNR_CABAC_LEVEL_RUN_STEPS_H

#include <cstdint>

#include "cabac/arith_decoder.h"
#include "cabac/bin_steps.h"
#include "cabac/level_run_common.h"

namespace nnr::level_run {

// Decodes `count` levels in scan order into out[0 .. count), starting at an
// element with DQ state `state` and neighbour class `c` (both updated).
// One loop iteration is one bin of the state machine of bin_steps.h: no
// branch depends on a decoded bin except the one into the Exp-Golomb suffix
// of large levels.
//
// Isa::kPlainStepsAsm: the plain steps and most suffixes run in Isa's asm
// loop (plain_steps) until a step of another kind, the end of the run or
// the end of the segment's fast refill; steps whose bin-0 successor is their
// own context (kSelf) and every other target take the plain C++ step.
template <bool kDq, class Isa>
int64_t decode_run_steps(ArithDecoder& dec, ArithDecoder::Core& k_io, const BinSteps& bs, DecContext* ctx, int n,
                   uint32_t& state, uint32_t& c, int32_t* out, int64_t count) {
  int64_t large = 0;
  ArithDecoder::Core k = k_io;  // in machine registers; written back on return and on error
  const uint32_t s0 = kDq ? state : 0;  // without DQ the state stays as it is
  const BinStep* e = bs.sig_step(s0, c);
  DecContext* cur = ctx + (kDq ? 3 * s0 + c : c);
  int32_t* const out_end = out + count;
  while (out != out_end) {
    if constexpr (Isa::kPlainStepsAsm) {
      // D < R always holds after a decision; only a segment that starts with
      // D >= R (no encoder writes one) keeps it, and decodes in C++ throughout.
      if (__builtin_expect(e->kind == BinStep::kPlain, 1) && (k.value >> 54) < k.range) {
        large += Isa::plain_steps(dec, k, e, cur, out, out_end);
        if (__builtin_expect(k.cnt < 0, 0)) k = dec.refilled_core(k);
        continue;
      }
    }
    if (__builtin_expect(e->kind >= BinStep::kSuffix, 0)) {
      if (e->kind == BinStep::kPrefixError) {
        k_io = k;
        prefix_error();
      }
      uint32_t p = 0, neg = 0, s = 0;
      bs.suffix_state(e, p, neg, s);
      ++large;
      const int64_t mag = large_magnitude(dec, k, n, static_cast<int>(p));
      int32_t l;
      try {
        l = checked_level(mag, neg, s, kDq);
      } catch (...) {
        k_io = k;
        throw;
      }
      *out++ = l;
      const uint32_t s2 = kDq ? dq_next(s, static_cast<uint32_t>(mag)) : 0;
      const uint32_t c2 = 2 - neg;
      e = bs.sig_step(s2, c2);
      cur = ctx + (kDq ? 3 * s2 + c2 : c2);
      continue;
    }
    // The plain step.
    const bool one = dec.template decode_bin_core<Isa::kAsm>(k, *cur) != 0;
    *out = e->level0;
    out += Isa::select(one, int64_t{0}, e->inc0);
    cur = Isa::select(one, e->ctx1, e->ctx0);
    e = Isa::select(one, e->next1, e->next0);
  }
  uint32_t s_end = 0;
  bs.sig_state(e, s_end, c);
  if (kDq) state = s_end;
  k_io = k;
  return large;
}

}  // namespace nnr::level_run

#endif  // NNR_CABAC_LEVEL_RUN_STEPS_H
