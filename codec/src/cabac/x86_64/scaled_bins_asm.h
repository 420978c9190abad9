// The level loop's bins in x86-64 asm, on the range at the window's scale
// 2^55 and the range rows of DecTables (the level loop of
// x86_64/level_run_x86_64.cc; its C++ counterpart is ArithDecoder's decision
// in cabac/level_run_loop.h).
#ifndef NNR_CABAC_X86_64_SCALED_BINS_ASM_H
#define NNR_CABAC_X86_64_SCALED_BINS_ASM_H

#include <cstddef>
#include <cstdint>

#include "cabac/dec_context.h"

namespace nnr::x86_64 {

// The asm text the two bins below share, on their operand names: the
// decision up to the flags (tn / tc: the range less 256 and the shift after
// an MPS, from the entry of R - 256 in range row P; nb: 1 - MPS; CF: MPS;
// tz: V after an LPS before its renormalisation), and the update (8.4) of
// context X by nb = 1 - bin as in plain_steps, to its range row.
#define NNR_RANGE_DECIDE               \
  "movzwl 2(%[P],%[R],4), %k[td]\n\t"  \
  "movzbl (%[P],%[R],4), %k[tn]\n\t"   \
  "movzbl 1(%[P],%[R],4), %k[tc]\n\t"  \
  "movl %k[td], %k[nb]\n\t"            \
  "shrl $15, %k[nb]\n\t"               \
  "shlq $55, %[td]\n\t"                \
  "movq %[V], %[tz]\n\t"               \
  "subq %[td], %[tz]\n\t"
#define NNR_SCALED_UPDATE                    \
  "movslq 0(%[X]), %[tz]\n\t"                \
  "imulq $32767, %[nb], %[td]\n\t"           \
  "addq %[tz], %[td]\n\t"                    \
  "sarq $7, %[td]\n\t"                       \
  "movswq 40960(%[T],%[td],2), %[td]\n\t"    \
  "addq %[td], %[tz]\n\t"                    \
  "movl %k[tz], 0(%[X])\n\t"                 \
  "movzwl 4(%[X]), %k[td]\n\t"               \
  "addq %[nb], %[td]\n\t"                    \
  "movzwl 32768(%[T],%[td],4), %k[tq]\n\t"   \
  "movw %w[tq], 4(%[X])\n\t"                 \
  "movswq 32770(%[T],%[td],4), %[td]\n\t"    \
  "addq %[tz], %[td]\n\t"                    \
  "andl $0x1F80, %k[td]\n\t"                 \
  "movq 122880(%[T],%[td]), %[td]\n\t"      \
  "movq %[td], 8(%[X])\n\t"

// One regular bin on the range (R - 256 in `r`) and the window V at scale
// 2^55, context x with range row `row`, decided and x updated as in
// plain_steps (every selection a conditional move): for a bin whose value
// no predictor knows (the sign). Returns 1 - bin; `refill` says cnt < 0.
__attribute__((always_inline)) inline uint32_t scaled_bin(uint64_t& v, uint64_t& r, int& cnt, bool& refill,
                                                          DecContext* x, const uint64_t* row, const DecTables* t) {
  uint64_t nb, tq, td, tz, tc, tn, tl;
  asm("movl %k[R], %k[tl]\n\t"
      "shrl $5, %k[tl]\n\t"  // (R >> 5) - 8
      NNR_RANGE_DECIDE
      "movzbl 1028(%[P],%[tl],8), %k[td]\n\t"   // n of the LPS
      "cmovael 1024(%[P],%[tl],8), %k[tn]\n\t"  // the LPS range less 256
      "cmovael %k[td], %k[tc]\n\t"
      "cmovaeq %[tz], %[V]\n\t"
      "sbbq $-1, %[nb]\n\t"
      "andl $1, %k[nb]\n\t"
      "movl %k[tn], %k[R]\n\t"
      "shlq %%cl, %[V]\n\t"
      NNR_SCALED_UPDATE
      "subl %k[tc], %[C]"
      : [V] "+r"(v), [R] "+r"(r), [C] "+r"(cnt), [nb] "=&r"(nb), [tq] "=&r"(tq), [td] "=&r"(td), [tz] "=&r"(tz),
        [tn] "=&r"(tn), [tc] "=&c"(tc), [tl] "=&r"(tl), "=@ccs"(refill)
      : [X] "r"(x), [P] "r"(row), [T] "r"(t)
      : "memory");
  return static_cast<uint32_t>(nb);
}

// The same bin for one that is nearly always the MPS where the level loop
// runs (significance, AbsGr and prefix bins of mostly large levels): the
// decision assumes the MPS and branches to the LPS (the MPS path is one
// taken branch over the LPS one; code in another section would break the
// function's unwind information).
__attribute__((always_inline)) inline uint32_t scaled_bin_mps(uint64_t& v, uint64_t& r, int& cnt, bool& refill,
                                                              DecContext* x, const uint64_t* row, const DecTables* t) {
  uint64_t nb, tq, td, tz, tc, tn;
  asm(NNR_RANGE_DECIDE
      "jc 1f\n\t"
      "movl %k[R], %k[tq]\n\t"
      "shrl $5, %k[tq]\n\t"
      "movzwl 1024(%[P],%[tq],8), %k[tn]\n\t"
      "movzbl 1028(%[P],%[tq],8), %k[tc]\n\t"
      "movq %[tz], %[V]\n\t"
      "xorl $1, %k[nb]\n"
      "1:\n\t"
      "movl %k[tn], %k[R]\n\t"
      "shlq %%cl, %[V]\n\t"
      NNR_SCALED_UPDATE
      "subl %k[tc], %[C]"
      : [V] "+r"(v), [R] "+r"(r), [C] "+r"(cnt), [nb] "=&r"(nb), [tq] "=&r"(tq), [td] "=&r"(td), [tz] "=&r"(tz),
        [tn] "=&r"(tn), [tc] "=&c"(tc), "=@ccs"(refill)
      : [X] "r"(x), [P] "r"(row), [T] "r"(t)
      : "memory");
  return static_cast<uint32_t>(nb);
}
#undef NNR_RANGE_DECIDE
#undef NNR_SCALED_UPDATE
static_assert(DecTables::kRangeRowAtOffset == 122880 && offsetof(DecTables::RangeRow, lps) == 1024 &&
                  offsetof(DecTables::RangeLps, n) == 4,
              "DecTables layout");

}  // namespace nnr::x86_64

#endif  // NNR_CABAC_X86_64_SCALED_BINS_ASM_H
