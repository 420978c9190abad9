#include "cabac/dec_levels.h"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "cabac/bin_steps.h"
#include "cabac/tables.h"
#include "nnr/error.h"

namespace nnr {

ScanGeometry ScanGeometry::make(const std::vector<int64_t>& dims, int scan_order) {
  ScanGeometry g;
  g.height = dims.empty() ? 1 : dims[0];
  g.width = 1;
  for (size_t i = 1; i < dims.size(); ++i) g.width *= dims[i];
  const bool block = scan_order > 0 && dims.size() > 1 && g.height > 1 && g.width > 1;
  g.block = block ? (4 << scan_order) : 0;
  return g;
}

int64_t ScanGeometry::header_block_rows_minus1(int64_t d0, int scan_order) {
  const int64_t b = int64_t{4} << scan_order;
  return (d0 + b - 1) / b - 1;
}

namespace {

constexpr int64_t kOverreadCheckInterval = 4096;

[[noreturn]] void overread_error() {
  throw Error(ErrorCode::kTruncated, kNoOffset, "arithmetic segment ends before the tensor's levels");
}

[[noreturn]] void prefix_error() {
  throw Error(ErrorCode::kInvalidBitstream, kNoOffset, "Exp-Golomb remainder prefix longer than 31 bins");
}

[[noreturn]] void level_out_of_range(int64_t v) {
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

__attribute__((noinline)) Remainder decode_remainder(ArithDecoder& dec, ArithDecoder::Core k,
                                                     DecContext* prefix, int n) {
  int p = 0;
  while (dec.decode_bin_core(k, prefix[p])) {
    if (++p == 32) return Remainder{k, -1};
  }
  const int64_t mag = large_magnitude(dec, k, n, p);
  return Remainder{k, mag};
}

// The reconstruction level L of magnitude `mag` (DQ: 2|k| - (state & 1)),
// checked against the int32 range; for magnitudes past the AbsGr flags.
int32_t checked_level(int64_t mag, uint32_t neg, uint32_t state, bool dq) {
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

// Contexts in the decoder's working form, with their block-row start values.
class SpanContexts {
 public:
  explicit SpanContexts(TensorContexts& tc) : tc_(tc), n_(static_cast<size_t>(tc.layout().count())) {
    if (n_ > kMax) throw Error(ErrorCode::kInvalidArgument, kNoOffset, "cabac_unary_length above 256");
    const ContextModel* m = tc.data();
    for (size_t i = 0; i < n_; ++i) {
      initial_[i] = DecContext::from(kInitContext(m[i]));
      live_[i] = DecContext::from(m[i]);
    }
  }
  ~SpanContexts() {
    ContextModel* m = tc_.data();
    for (size_t i = 0; i < n_; ++i) live_[i].store_to(m[i]);
  }
  DecContext* data() { return live_; }
  void reset() {
    for (size_t i = 0; i < n_; ++i) live_[i] = initial_[i];
  }

 private:
  static ContextModel kInitContext(ContextModel m) {
    m.reset();
    return m;
  }
  static constexpr size_t kMax = 2 * 256 + 63;  // N <= 256
  TensorContexts& tc_;
  size_t n_;
  DecContext live_[kMax];
  DecContext initial_[kMax];
};

// cond ? if_true : if_false without a branch (the condition is a decoded bin).
template <typename T>
__attribute__((always_inline)) inline T select_if(bool cond, T if_true, T if_false) {
#if defined(__GNUC__) && defined(__x86_64__) && !defined(NNR_PORTABLE_CABAC)
  asm("testb %b[c], %b[c]\n\tcmovne %[a], %[r]" : [r] "+r"(if_false) : [c] "q"(cond), [a] "rm"(if_true) : "cc");
  return if_false;
#else
  return cond ? if_true : if_false;
#endif
}

#if defined(__GNUC__) && defined(__x86_64__) && !defined(NNR_PORTABLE_CABAC)
#define NNR_BIN_STEP_ASM 1
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
#endif

#ifdef NNR_BIN_STEP_ASM
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
__attribute__((always_inline)) inline void plain_steps(ArithDecoder& dec, ArithDecoder::Core& k, const BinStep*& e,
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
  } aux{out_end, static_cast<int64_t>(dec.segment_size()) - 8, dec.segment_data(), &kDecTables, dec.loaded_bytes()};
  static_assert(offsetof(Aux, lim) == 8 && offsetof(Aux, data) == 16 && offsetof(Aux, tables) == 24 &&
                    offsetof(Aux, pos) == 32,
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
}
#endif

// Decodes `count` levels in scan order into out[0 .. count), starting at an
// element with DQ state `state` and neighbour class `c` (both updated).
// One loop iteration is one bin of the state machine of bin_steps.h: no
// branch depends on a decoded bin except the one into the Exp-Golomb suffix
// of large levels.
//
// On x86-64 the plain steps and most suffixes run in one asm loop (see
// plain_steps) until a step of another kind, the end of the run or the end
// of the segment's fast refill; steps whose bin-0 successor is their own
// context (kSelf) and every other target take the plain C++ step.
template <bool kDq>
int64_t decode_run(ArithDecoder& dec, ArithDecoder::Core& k_io, const BinSteps& bs, DecContext* ctx, int n,
                   uint32_t& state, uint32_t& c, int32_t* out, int64_t count) {
  int64_t large = 0;
  ArithDecoder::Core k = k_io;  // in machine registers; written back on return and on error
  const uint32_t s0 = kDq ? state : 0;  // without DQ the state stays as it is
  const BinStep* e = bs.sig_step(s0, c);
  DecContext* cur = ctx + (kDq ? 3 * s0 + c : c);
  int32_t* const out_end = out + count;
  while (out != out_end) {
#ifdef NNR_BIN_STEP_ASM
    // D < R always holds after a decision; only a segment that starts with
    // D >= R (no encoder writes one) keeps it, and decodes in C++ throughout.
    if (__builtin_expect(e->kind == BinStep::kPlain, 1) && (k.value >> 54) < k.range) {
      plain_steps(dec, k, e, cur, out, out_end);
      if (__builtin_expect(k.cnt < 0, 0)) k = dec.refilled_core(k);
      continue;
    }
#endif
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
    const bool one = dec.decode_bin_core(k, *cur) != 0;
    *out = e->level0;
    out += select_if(one, int64_t{0}, e->inc0);
    cur = select_if(one, e->ctx1, e->ctx0);
    e = select_if(one, e->next1, e->next0);
  }
  uint32_t s_end = 0;
  bs.sig_state(e, s_end, c);
  if (kDq) state = s_end;
  k_io = k;
  return large;
}

// The same levels decoded level by level, the AbsGr flags in a loop whose
// exit is a branch: faster than the bin steps where most levels go past all
// N flags (that branch is then well predicted), slower where the flags end
// at varying places. Returns the number of levels past the N flags. On
// x86-64 decode_run_levels_scaled does the same faster.
template <bool kDq>
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
    if (!dec.decode_bin_core(k, ctx[(kDq ? 3 * state : 0) + c])) {
      c = 0;
      if (kDq) state = dq_next(state, 0);
    } else {
      const uint32_t neg = dec.decode_bin_core(k, sign_ctx[c]);
      DecContext* const gr = gr_ctx + neg;
      DecContext* const gr_end = gr + 2 * n;
      DecContext* flag = gr;
      while (flag != gr_end && dec.decode_bin_core(k, *flag)) flag += 2;
      if (flag != gr_end) {
        // |k| = j + 1 <= N <= 256: no range check needed.
        const int32_t mag = static_cast<int32_t>((flag - gr) >> 1) + 1;
        const int32_t l = kDq ? 2 * mag - static_cast<int32_t>(state & 1) : mag;
        const int32_t m = -static_cast<int32_t>(neg);
        v = (l ^ m) - m;
        if (kDq) state = dq_next(state, static_cast<uint32_t>(mag));
      } else {
        ++large;
        const Remainder rem = decode_remainder(dec, k, prefix, n);
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

#ifdef NNR_BIN_STEP_ASM
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
  if ((k0.value >> 54) >= k0.range) return decode_run_levels<kDq>(dec, k_io, ctx, n, state_io, c_io, out, count);
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
    const uint32_t nb0 = scaled_bin_mps(v, r_low, cnt, rf, sx, srow, t);
    if (__builtin_expect(rf, 0)) NNR_REFILL();
    if (nb0) {
      c = 0;
      if (kDq) state = dq_next(state, 0);
      sx = ctx + (kDq ? 3 * state : 0);
      srow = sx->row;
    } else {
      const uint32_t neg = scaled_bin(v, r_low, cnt, rf, sign_ctx + c, sign_ctx[c].row, t) ^ 1u;
      if (__builtin_expect(rf, 0)) NNR_REFILL();
      DecContext* const gr = gr_ctx + neg;
      DecContext* const gr_end = gr + 2 * n;
      DecContext* flag = gr;
      for (; flag != gr_end; flag += 2) {
        const uint32_t nb = scaled_bin_mps(v, r_low, cnt, rf, flag, flag->row, t);
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
          const uint32_t nb = scaled_bin_mps(v, r_low, cnt, rf, prefix + p, prefix[p].row, t);
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
        state = select_if(odd, s1, s0);
        sx = select_if(odd, x1, x0);
        srow = select_if(odd, r1, r0);
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
#endif

// Chooses the level decoder for the next run of levels (both give the same
// levels) by the share of levels past the AbsGr flags in the last window:
// the level loop above a threshold, else the bin steps. Starts with the
// level loop, so a small tensor never pays for building the bin steps.
template <bool kDq>
class RunChooser {
 public:
  RunChooser(DecContext* ctx, int n) : ctx_(ctx), n_(n) {}

  void run(ArithDecoder& dec, ArithDecoder::Core& k, uint32_t& state, uint32_t& c, int32_t* out, int64_t count) {
    int64_t large;
    if (by_levels_) {
#ifdef NNR_BIN_STEP_ASM
      large = decode_run_levels_scaled<kDq>(dec, k, ctx_, n_, state, c, out, count);
#else
      large = decode_run_levels<kDq>(dec, k, ctx_, n_, state, c, out, count);
#endif
    } else {
      if (!steps_) steps_.emplace(ctx_, n_, kDq);
      large = decode_run<kDq>(dec, k, *steps_, ctx_, n_, state, c, out, count);
    }
    large_ += large;
    seen_ += count;
    if (seen_ >= kWindow) {
      by_levels_ = large_ * kLargeShareDen > seen_ * kLargeShareNum;
      large_ = seen_ = 0;
    }
  }

 private:
  // Where the two forms are equally fast. For the x86-64 forms, measured on
  // one Laplacian tensor (10^6 values) coded at several qp, the level loop
  // forced against the bin steps: with DQ they are equal at 29 % of levels
  // past the flags (41.5-41.8 against 40.6-42.0 ms) and the bin steps are
  // 11 % faster at 19 %; without, equal at 12 %, the level loop 5 % faster
  // at 18 % and the bin steps 8 % faster at 8 %. A quarter for the C++ forms.
#ifdef NNR_BIN_STEP_ASM
  static constexpr int64_t kLargeShareNum = kDq ? 5 : 1, kLargeShareDen = kDq ? 16 : 8;
#else
  static constexpr int64_t kLargeShareNum = 1, kLargeShareDen = 4;
#endif
  static constexpr int64_t kWindow = 1024;
  DecContext* ctx_;
  int n_;
  std::optional<BinSteps> steps_;
  bool by_levels_ = true;
  int64_t large_ = 0, seen_ = 0;
};

template <bool kDq, bool kFloat>
void decode_span(ArithDecoder& dec, TensorContexts& tc, int n, const ScanGeometry& g,
                 int64_t row_begin, int64_t row_end, uint32_t& state_io, const LevelSink& sink,
                 RowMark* marks) {
  int32_t* const levels = sink.levels;
  float* const values = sink.values;
  const float step = sink.step;
  SpanContexts sc(tc);
  DecContext* const ctx = sc.data();
  RunChooser<kDq> chooser(ctx, n);
  uint32_t state = state_io;
  uint32_t c = 0;
  ArithDecoder::Core k = dec.core();
  // Levels in scan order before they go to their positions (and to floats).
  const int64_t block_area = int64_t{g.block} * g.block;
  std::vector<int32_t> scan(static_cast<size_t>(block_area > kOverreadCheckInterval ? block_area : kOverreadCheckInterval));

  try {
  if (!g.block) {
    const int64_t total = g.numel();
    // A valid segment is never read past its end; checking now and then
    // stops a corrupt one early instead of decoding zeros to the end.
    for (int64_t start = 0; start < total; start += kOverreadCheckInterval) {
      dec.set_core(k);
      if (dec.overread()) overread_error();
      const int64_t cnt = start + kOverreadCheckInterval < total ? kOverreadCheckInterval : total - start;
      int32_t* const dst = kFloat ? scan.data() : levels + start;
      chooser.run(dec, k, state, c, dst, cnt);
      if (kFloat) {
        for (int64_t i = 0; i < cnt; ++i) values[start + i] = static_cast<float>(dst[i]) * step;
      }
    }
    state_io = state;
    dec.set_core(k);
    return;
  }

  const int64_t b = g.block;
  for (int64_t r = row_begin; r < row_end; ++r) {
    dec.set_core(k);
    if (dec.overread()) overread_error();
    if (r > 0) sc.reset();
    dec.range_reset();
    k = dec.core();
    c = 0;
    if (marks) marks[r] = RowMark{dec.shift_count(), dec.window(), state};
    const int64_t y0 = r * b;
    const int64_t y1 = y0 + b < g.height ? y0 + b : g.height;
    int64_t since_check = 0;
    for (int64_t x0 = 0; x0 < g.width; x0 += b) {
      const int64_t x1 = x0 + b < g.width ? x0 + b : g.width;
      const int64_t cnt = (y1 - y0) * (x1 - x0);
      if (since_check >= kOverreadCheckInterval) {
        dec.set_core(k);
        if (dec.overread()) overread_error();
        since_check = 0;
      }
      since_check += cnt;
      chooser.run(dec, k, state, c, scan.data(), cnt);
      const int32_t* src = scan.data();
      for (int64_t y = y0; y < y1; ++y) {
        const int64_t base = y * g.width;
        for (int64_t x = x0; x < x1; ++x) {
          if (kFloat) values[base + x] = static_cast<float>(*src++) * step;
          else levels[base + x] = *src++;
        }
      }
    }
  }
  } catch (...) {
    dec.set_core(k);  // error offsets are taken from the decoder's position
    throw;
  }
  state_io = state;
  dec.set_core(k);
}

}  // namespace

void decode_levels(ArithDecoder& dec, TensorContexts& ctx, const ScanGeometry& geom,
                   int64_t row_begin, int64_t row_end, uint32_t& dq_state, const LevelSink& sink,
                   RowMark* marks) {
  const int n = ctx.layout().n;
  const bool f = sink.levels == nullptr;
  if (ctx.dq()) {
    if (f) decode_span<true, true>(dec, ctx, n, geom, row_begin, row_end, dq_state, sink, marks);
    else decode_span<true, false>(dec, ctx, n, geom, row_begin, row_end, dq_state, sink, marks);
  } else {
    if (f) decode_span<false, true>(dec, ctx, n, geom, row_begin, row_end, dq_state, sink, marks);
    else decode_span<false, false>(dec, ctx, n, geom, row_begin, row_end, dq_state, sink, marks);
  }
}

}  // namespace nnr
