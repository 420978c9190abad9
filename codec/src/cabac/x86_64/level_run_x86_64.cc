// The level decoder's forms in x86-64: the bin steps with their asm loop
// (bin_steps_asm.h) and the level loop on the range at the window's scale
// (scaled_bins_asm.h). Both must give exactly the levels of the C++
// reference (level_run_c.cc), bin for bin (tests/checkasm_test.cc).
#include "cabac/isa.h"

#if NNR_HAVE_X86_64_ASM

#include "cabac/level_run.h"
#include "cabac/level_run_loop.h"
#include "cabac/level_run_steps.h"
#include "cabac/x86_64/arith_decide.h"
#include "cabac/x86_64/bin_steps_asm.h"
#include "cabac/x86_64/scaled_bins_asm.h"

namespace nnr {

namespace {

using level_run::checked_level;
using level_run::dq_next;
using level_run::prefix_error;

struct IsaX86 {
  static constexpr bool kAsm = true;
  static constexpr bool kPlainStepsAsm = true;
  template <typename T>
  __attribute__((always_inline)) static T select(bool cond, T if_true, T if_false) {
    return x86_64::select_if(cond, if_true, if_false);
  }
  __attribute__((always_inline)) static int64_t plain_steps(ArithDecoder& dec, ArithDecoder::Core& k,
                                                            const BinStep*& e, DecContext*& cur, int32_t*& out,
                                                            int32_t* const out_end) {
    return x86_64::plain_steps(dec, k, e, cur, out, out_end);
  }
};

// While the level loop runs its contexts point at their range rows instead
// of their LPS rows; the guard turns them back however the loop ends.
class RangeRowGuard {
 public:
  RangeRowGuard(DecContext* ctx, int count) : ctx_(ctx), count_(count) {
    for (int i = 0; i < count_; ++i) ctx_[i].row = to_range(ctx_[i].row);
  }
  ~RangeRowGuard() {
    for (int i = 0; i < count_; ++i) ctx_[i].row = to_lps(ctx_[i].row);
  }
  RangeRowGuard(const RangeRowGuard&) = delete;
  RangeRowGuard& operator=(const RangeRowGuard&) = delete;

 private:
  static const uint64_t* to_range(const uint64_t* row) {
    const size_t i = static_cast<size_t>(row - kDecTables.lps_r) / 16;
    return reinterpret_cast<const uint64_t*>(&kDecTables.range_rows[i]);
  }
  static const uint64_t* to_lps(const uint64_t* row) {
    const size_t i = static_cast<size_t>(reinterpret_cast<const DecTables::RangeRow*>(row) - kDecTables.range_rows);
    return kDecTables.lps_r + 16 * i;
  }
  DecContext* ctx_;
  int count_;
};

inline ArithDecoder::Core scaled_core(uint64_t v, uint64_t r, int cnt) {
  ArithDecoder::Core k;
  k.value = v >> 1;
  k.range = static_cast<uint32_t>(r) + 256;
  k.cnt = cnt;
  return k;
}

// decode_run_levels with the bins above, for x86-64. Where most levels go
// past the AbsGr flags their bins run in an order the branch predictor
// learns, and the next context is known before the decision, so no
// successor is selected after it as in the bin steps; and the range after a
// bin is one load from its range row. On the ResNet-56 vector r01 (89 % of
// levels past the flags) it takes 36-38 ms where the bin steps take 53-56.
// The Exp-Golomb suffix is one division as in plain_steps where p <= 20 and
// the register holds p bits.
template <bool kDq>
int64_t decode_run_levels_scaled(ArithDecoder& dec, ArithDecoder::Core& k_io, DecContext* ctx, int n,
                                 uint32_t& state_io, uint32_t& c_io, int32_t* out, int64_t count) {
  ArithDecoder::Core k0 = k_io;
  if ((k0.value >> 54) >= k0.range)
    return level_run::decode_run_levels<kDq, IsaX86>(dec, k_io, ctx, n, state_io, c_io, out, count);
  uint64_t v = k0.value << 1;
  uint64_t r_low = k0.range - 256;  // R - 256, the index of its range entries
  int cnt = k0.cnt;
  const DecTables* const t = &kDecTables;
  DecContext* const sign_ctx = ctx + ContextLayout::kSign;
  DecContext* const gr_ctx = ctx + ContextLayout::kAbsGr;
  DecContext* const prefix = ctx + 27 + 2 * n;
  uint32_t state = state_io, c = c_io;
  int64_t large = 0;
  const RangeRowGuard guard(ctx, static_cast<int>(prefix - ctx) + 32);  // every context the loop uses
  // Macros, not lambdas: a lambda that captures v, r_low and cnt by reference
  // takes their addresses, and they then live in memory (a store and a
  // load on every bin's latency chain).
#define NNR_CORE() scaled_core(v, r_low, cnt)
#define NNR_REFILL()                                           \
  do {                                                         \
    const ArithDecoder::Core rk = dec.refilled_core(NNR_CORE()); \
    v = rk.value << 1;                                         \
    cnt = rk.cnt;                                              \
  } while (0)
  // The significance context of the next element and its row. With DQ its
  // state comes from the parity of the last level, which for a large level
  // is known only after the suffix's division: the rows of both candidates
  // are loaded first (their addresses are known early) and one is selected.
  DecContext* sx = ctx + (kDq ? 3 * state : 0) + c;
  const uint64_t* srow = sx->row;
  bool rf;
  for (int64_t i = 0; i < count; ++i) {
    int32_t lv = 0;
    const uint32_t nb0 = x86_64::scaled_bin_mps(v, r_low, cnt, rf, sx, srow, t);
    if (__builtin_expect(rf, 0)) NNR_REFILL();
    if (nb0) {
      c = 0;
      if (kDq) state = dq_next(state, 0);
      sx = ctx + (kDq ? 3 * state : 0);
      srow = sx->row;
    } else {
      const uint32_t neg = x86_64::scaled_bin(v, r_low, cnt, rf, sign_ctx + c, sign_ctx[c].row, t) ^ 1u;
      if (__builtin_expect(rf, 0)) NNR_REFILL();
      DecContext* const gr = gr_ctx + neg;
      DecContext* const gr_end = gr + 2 * n;
      DecContext* flag = gr;
      for (; flag != gr_end; flag += 2) {
        const uint32_t nb = x86_64::scaled_bin_mps(v, r_low, cnt, rf, flag, flag->row, t);
        if (__builtin_expect(rf, 0)) NNR_REFILL();
        if (nb) break;
      }
      int64_t mag;
      if (flag != gr_end) {
        mag = ((flag - gr) >> 1) + 1;
      } else {
        ++large;
        int p = 0;
        for (;;) {
          const uint32_t nb = x86_64::scaled_bin_mps(v, r_low, cnt, rf, prefix + p, prefix[p].row, t);
          if (__builtin_expect(rf, 0)) NNR_REFILL();
          if (nb) break;
          if (++p == 32) {
            k_io = NNR_CORE();
            prefix_error();
          }
        }
        uint64_t sfx;
        if (__builtin_expect(p <= 20 && cnt >= p, 1)) {
          const uint64_t r = r_low + 256;
          const uint64_t x = v >> (DecTables::kScale - p);
          sfx = x / r;
          const uint64_t d = x - sfx * r;
          v = (d << DecTables::kScale) | ((v << p) & ((uint64_t{1} << DecTables::kScale) - 1));
          cnt -= p;
        } else {
          ArithDecoder::Core k = NNR_CORE();
          sfx = dec.decode_bypass_run_core(k, p);
          v = k.value << 1;
          cnt = k.cnt;
        }
        mag = n + (int64_t{1} << p) + static_cast<int64_t>(sfx);
      }
      try {
        lv = checked_level(mag, neg, state, kDq);
      } catch (...) {
        k_io = NNR_CORE();
        throw;
      }
      c = 2 - neg;
      if (kDq) {
        const uint32_t s0 = dq_next(state, 0), s1 = dq_next(state, 1);
        DecContext* const x0 = ctx + 3 * s0 + c;
        DecContext* const x1 = ctx + 3 * s1 + c;
        const uint64_t* const r0 = x0->row;
        const uint64_t* const r1 = x1->row;
        const bool odd = (mag & 1) != 0;
        state = x86_64::select_if(odd, s1, s0);
        sx = x86_64::select_if(odd, x1, x0);
        srow = x86_64::select_if(odd, r1, r0);
      } else {
        sx = ctx + c;
        srow = sx->row;
      }
    }
    out[i] = lv;
  }
  state_io = state;
  c_io = c;
  k_io = NNR_CORE();
  return large;
}
#undef NNR_CORE
#undef NNR_REFILL

}  // namespace

// Where the two forms are equally fast, measured on one Laplacian tensor
// (10^6 values) coded at several qp, the level loop forced against the bin
// steps: with DQ they are equal at 29 % of levels past the flags (41.5-41.8
// against 40.6-42.0 ms) and the bin steps are 11 % faster at 19 %; without,
// equal at 12 %, the level loop 5 % faster at 18 % and the bin steps 8 %
// faster at 8 %.
const LevelRunFns kLevelRunX86_64 = {
    "x86-64",
    {level_run::decode_run_steps<false, IsaX86>, level_run::decode_run_steps<true, IsaX86>},
    {decode_run_levels_scaled<false>, decode_run_levels_scaled<true>},
    {1, 5},
    {8, 16},
};

}  // namespace nnr

#endif  // NNR_HAVE_X86_64_ASM
