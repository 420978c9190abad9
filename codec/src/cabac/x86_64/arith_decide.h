// x86-64 forms of the arithmetic decoder's selections (the C++ forms are in
// cabac/arith_decoder.h): conditional moves, where compilers turn a ?: into
// a branch that mispredicts on a good part of the bins.
#ifndef NNR_CABAC_X86_64_ARITH_DECIDE_H
#define NNR_CABAC_X86_64_ARITH_DECIDE_H

#include <cstdint>

namespace nnr::x86_64 {

// The selections of ArithDecoder::decide_nb: range becomes 2 rMPS where
// rMPS < 256 (R - 256 < rLPS, known before the load of rLPS), n 1 for that
// doubling; for an LPS (top >= rMPS) range, n and value become the LPS ones.
// The MPS doubling is a select too, two steps after rMPS instead of three
// for a shift. Returns whether the bin is the LPS.
__attribute__((always_inline)) inline bool decide_select(uint32_t& range, uint32_t& n, uint64_t& value,
                                                         uint32_t rmps, uint32_t top, uint32_t lps_range,
                                                         uint32_t lps_n, uint64_t lower, uint32_t rl, uint32_t over) {
  const uint32_t twice = 2 * rmps;
  bool lps;
  asm("xorl %k[n], %k[n]\n\t"
      "cmpl %[rl], %[over]\n\t"
      "cmovbl %[twice], %[range]\n\t"
      "setb %b[n]\n\t"
      "cmpl %[rmps], %[top]\n\t"
      "cmovael %[lr], %[range]\n\t"
      "cmovael %[ln], %k[n]\n\t"
      "cmovaeq %[lower], %[value]"
      : [range] "+&r"(range), [n] "=&q"(n), [value] "+r"(value), "=@ccae"(lps)
      : [rmps] "r"(rmps), [top] "r"(top), [twice] "r"(twice), [lr] "r"(lps_range), [ln] "r"(lps_n),
        [lower] "r"(lower), [rl] "r"(rl), [over] "r"(over));
  return lps;
}

// cond ? if_true : if_false without a branch (the condition is a decoded bin).
template <typename T>
__attribute__((always_inline)) inline T select_if(bool cond, T if_true, T if_false) {
  asm("testb %b[c], %b[c]\n\tcmovne %[a], %[r]" : [r] "+r"(if_false) : [c] "q"(cond), [a] "rm"(if_true) : "cc");
  return if_false;
}

}  // namespace nnr::x86_64

#endif  // NNR_CABAC_X86_64_ARITH_DECIDE_H
