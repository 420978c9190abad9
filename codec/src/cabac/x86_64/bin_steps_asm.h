// The bin-step form's hot loop in x86-64 asm: plain steps of the bin-step
// machine (cabac/bin_steps.h) and the suffixes of large levels. Its C++
// counterpart is the plain step of cabac/level_run_steps.h, which it must
// match bin for bin (tests/checkasm_test.cc).
#ifndef NNR_CABAC_X86_64_BIN_STEPS_ASM_H
#define NNR_CABAC_X86_64_BIN_STEPS_ASM_H

#include <cstddef>
#include <cstdint>

#include "cabac/arith_decoder.h"
#include "cabac/bin_steps.h"
#include "cabac/dec_context.h"

namespace nnr::x86_64 {

// Field offsets written as numbers in the bin step's asm.
static_assert(offsetof(BinStep, ctx1) == 0 && offsetof(BinStep, ctx0) == 8 && offsetof(BinStep, next1) == 16 &&
                  offsetof(BinStep, next0) == 24 && offsetof(BinStep, level0) == 32 && offsetof(BinStep, inc0) == 40,
              "BinStep layout");
static_assert(offsetof(BinStep, kind) == 36, "BinStep layout");
static_assert(offsetof(DecTables, lps_r) == 0 && offsetof(DecTables, lps_r2) == 8192 &&
                  offsetof(DecTables, lps_range) == 16384 && offsetof(DecTables, lps_n) == 24576 &&
                  offsetof(DecTables, next_a) == 32768 && offsetof(DecTables::NextA, ia) == 0 &&
                  offsetof(DecTables::NextA, a16) == 2 && sizeof(DecTables::NextA) == 4 &&
                  offsetof(DecTables, delta_b) == 40960 && DecTables::kScale == 55,
              "DecTables layout");
static_assert(offsetof(DecContext, bb) == 0 && offsetof(DecContext, ia) == 4 && offsetof(DecContext, row) == 8,
              "DecContext layout");

// Plain steps of the bin-step machine, one bin each, and the suffixes of
// large levels, in one asm loop, from the step e at context cur while
// out != out_end; returns at a step of another kind, at a suffix it leaves
// to C++, at out_end, or when the register needs bytes and the segment has
// fewer than 8 left (cnt < 0: the caller refills).
//
// The loop is bound by the number of its instructions as much as by its
// latency chains, so the range is kept at the scale 2^55 of the window (the
// tables hold rLPS, 2 rLPS and the LPS range at that scale and n), which
// makes every selected value one operation after its load:
//   - rMPS = R - rLPS has rMPS >= 256 in its sign bit, so the doubled MPS
//     range 2R - 2 rLPS is selected on that flag;
//   - (V - R) + rLPS carries exactly for an LPS (V < R) and is then the
//     window after it;
//   - the bin is that carry added to 1 - MPS (bit 12 of the row address).
// After the decision the successors (context, its row, step, output
// position) are selected, and the decided context is updated (8.4) as
// DecContext::update_nb does. The successors' rows are read before that
// update, so a step whose successor is its own context (kSelf) is not plain.
__attribute__((always_inline)) inline int64_t plain_steps(ArithDecoder& dec, ArithDecoder::Core& k, const BinStep*& e,
                                                       DecContext*& cur, int32_t*& out, int32_t* const out_end) {
  uint64_t v = k.value << 1;  // D at bit 55; the same valid bits below it
  uint64_t rs = uint64_t{k.range} << DecTables::kScale;
  int cnt = k.cnt;
  const uint64_t* row = cur->row;
  // What the loop reads rarely, behind one register (13 more are in use;
  // a sanitizer build keeps the frame pointer).
  struct Aux {
    int32_t* out_end;
    int64_t lim;  // a six-byte refill reads 8 bytes at pos
    const uint8_t* data;
    const DecTables* tables;
    size_t pos;
    int64_t large;  // suffixes decoded here: levels past the AbsGr flags
  } aux{out_end, static_cast<int64_t>(dec.segment_size()) - 8, dec.segment_data(), &kDecTables, dec.loaded_bytes(), 0};
  static_assert(offsetof(Aux, lim) == 8 && offsetof(Aux, data) == 16 && offsetof(Aux, tables) == 24 &&
                    offsetof(Aux, pos) == 32 && offsetof(Aux, large) == 40,
                "Aux layout");
  uint64_t ta, tb, tq, td, tz, tc;
  asm volatile(
      "1:\n\t"
      // The level this step stores (kept only when bin 0 ends the element).
      "movl 32(%[E]), %k[ta]\n\t"
      "movl %k[ta], (%[O])\n\t"
      "movq %[P], %[ta]\n\t"
      "shrq $12, %[ta]\n\t"  // bit 0: 1 - MPS
      "xorl %k[tb], %k[tb]\n\t"
      "movq %[RS], %[tq]\n\t"
      "shrq $60, %[tq]\n\t"  // R >> 5
      "leaq (%[RS],%[RS]), %[td]\n\t"
      "movq %[V], %[tz]\n\t"
      "subq %[RS], %[tz]\n\t"  // V - R
      "xorl %%ecx, %%ecx\n\t"
      "subq 8192(%[P],%[tq],8), %[td]\n\t"  // 2R - 2 rLPS
      "subq (%[P],%[tq],8), %[RS]\n\t"      // rMPS; SF: rMPS >= 256
      "cmovnsq %[td], %[RS]\n\t"
      "setns %%cl\n\t"
      "addq (%[P],%[tq],8), %[tz]\n\t"  // CF: LPS; then tz = V - rMPS
      "cmovcq 16384(%[P],%[tq],8), %[RS]\n\t"
      "cmovcl 24576(%[P],%[tq],8), %%ecx\n\t"
      "cmovcq %[tz], %[V]\n\t"
      "adcq $0, %[ta]\n\t"
      "testl $1, %k[ta]\n\t"  // ZF: bin 1
      // Successors by the bin: context, its row, output position, step.
      "movq 8(%[E]), %[tz]\n\t"
      "movq 0(%[E]), %[tq]\n\t"
      "movq 8(%[tz]), %[P]\n\t"
      "cmovzq 8(%[tq]), %[P]\n\t"
      "cmovzq %[tq], %[tz]\n\t"
      "movq 40(%[E]), %[td]\n\t"
      "leaq (%[O],%[td],4), %[td]\n\t"
      "cmovnzq %[td], %[O]\n\t"
      "movq 24(%[E]), %[td]\n\t"
      "cmovzq 16(%[E]), %[td]\n\t"
      "movq %[td], %[E]\n\t"
      "setnz %b[tb]\n\t"  // 1 - bin
      "shlq %%cl, %[V]\n\t"
      // Update of the decided context.
      "movq 24(%[A]), %[tq]\n\t"
      "movslq 0(%[X]), %[ta]\n\t"
      "imulq $32767, %[tb], %[td]\n\t"
      "addq %[ta], %[td]\n\t"
      "sarq $7, %[td]\n\t"
      "movswq 40960(%[tq],%[td],2), %[td]\n\t"
      "addq %[td], %[ta]\n\t"
      "movl %k[ta], 0(%[X])\n\t"
      "movzwl 4(%[X]), %k[td]\n\t"
      "addq %[tb], %[td]\n\t"
      "movzwl 32768(%[tq],%[td],4), %k[tb]\n\t"
      "movw %w[tb], 4(%[X])\n\t"
      "movswq 32770(%[tq],%[td],4), %[td]\n\t"
      "addq %[ta], %[td]\n\t"
      "andl $0x1F80, %k[td]\n\t"
      "addq %[tq], %[td]\n\t"
      "movq %[td], 8(%[X])\n\t"
      "movq %[tz], %[X]\n\t"
      "subl %%ecx, %[C]\n\t"
      "js 3f\n"
      "2:\n\t"
      "cmpq 0(%[A]), %[O]\n\t"
      "je 4f\n\t"
      "cmpl $0, 36(%[E])\n\t"
      "je 1b\n\t"
      // The suffix of a large level (kSuffix): its p bypass bins by one
      // division (as ArithDecoder::decode_bypass_run_core) where p <= 20
      // and cnt >= p, else in C++.
      "cmpl $2, 36(%[E])\n\t"
      "jne 4f\n\t"
      "movzbl 32(%[E]), %%ecx\n\t"  // p
      "cmpl %%ecx, %[C]\n\t"
      "jl 4f\n\t"
      "cmpl $20, %%ecx\n\t"
      "ja 4f\n\t"
      "movq %[V], %%rax\n\t"
      "negl %%ecx\n\t"
      "addl $55, %%ecx\n\t"
      "shrq %%cl, %%rax\n\t"  // (D << p) + the next p bits
      "movq %[RS], %[tq]\n\t"
      "shrq $55, %[tq]\n\t"
      "xorl %%edx, %%edx\n\t"
      "divq %[tq]\n\t"  // the suffix, and D after it
      "shlq $55, %%rdx\n\t"
      "movzbl 32(%[E]), %%ecx\n\t"
      "subl %%ecx, %[C]\n\t"
      "shlq %%cl, %[V]\n\t"
      "shlq $9, %[V]\n\t"
      "shrq $9, %[V]\n\t"
      "orq %%rdx, %[V]\n\t"
      "addq 40(%[E]), %%rax\n\t"  // |k|
      "addq $1, 40(%[A])\n\t"
      "movq 24(%[E]), %[tq]\n\t"
      "movq 8(%[E]), %[tz]\n\t"
      "testl $1, %%eax\n\t"
      "cmovnzq 16(%[E]), %[tq]\n\t"
      "cmovnzq 0(%[E]), %[tz]\n\t"
      "movsbq 33(%[E]), %%rdx\n\t"
      "imulq %%rax, %%rdx\n\t"
      "movsbq 34(%[E]), %%rcx\n\t"
      "addq %%rcx, %%rdx\n\t"  // L
      "movl %%edx, (%[O])\n\t"
      "addq $4, %[O]\n\t"
      "movq 8(%[tz]), %[P]\n\t"
      "movq %[tz], %[X]\n\t"
      "movq %[tq], %[E]\n\t"
      "jmp 2b\n"
      // Refill: six bytes below the valid bits (as ArithDecoder::refilled).
      "3:\n\t"
      "movq 32(%[A]), %[ta]\n\t"
      "cmpq 8(%[A]), %[ta]\n\t"
      "jg 4f\n\t"
      "movq 16(%[A]), %[tq]\n\t"
      "movq (%[tq],%[ta]), %[tq]\n\t"
      "bswapq %[tq]\n\t"
      "shrq $16, %[tq]\n\t"
      "movl $7, %%ecx\n\t"
      "subl %[C], %%ecx\n\t"
      "shlq %%cl, %[tq]\n\t"
      "orq %[tq], %[V]\n\t"
      "addl $48, %[C]\n\t"
      "addq $6, %[ta]\n\t"
      "movq %[ta], 32(%[A])\n\t"
      "jmp 2b\n"
      "4:"
      : [V] "+r"(v), [RS] "+r"(rs), [C] "+r"(cnt), [E] "+r"(e), [X] "+r"(cur), [O] "+r"(out), [P] "+r"(row),
        [ta] "=&a"(ta), [tb] "=&q"(tb), [tq] "=&r"(tq), [td] "=&d"(td), [tz] "=&r"(tz), [tc] "=&c"(tc)
      : [A] "r"(&aux)
      : "cc", "memory");
  dec.loaded_bytes() = aux.pos;
  k.value = v >> 1;
  k.range = static_cast<uint32_t>(rs >> DecTables::kScale);
  k.cnt = cnt;
  return aux.large;
}
}  // namespace nnr::x86_64

#endif  // NNR_CABAC_X86_64_BIN_STEPS_ASM_H
