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
static_assert(offsetof(DecTables, lps) == 0 && offsetof(DecTables::Lps, range) == 0 &&
                  offsetof(DecTables::Lps, r) == 2 && offsetof(DecTables::Lps, n) == 3 && sizeof(DecTables::Lps) == 4,
              "DecTables::Lps layout");
static_assert(offsetof(DecTables, next_a) == 4096 && offsetof(DecTables::NextA, ia) == 0 &&
                  offsetof(DecTables::NextA, a16) == 2 && sizeof(DecTables::NextA) == 4 &&
                  offsetof(DecTables, delta_b) == 12288,
              "DecTables layout");
static_assert(offsetof(DecContext, b) == 0 && offsetof(DecContext, ia) == 2 && offsetof(DecContext, ib) == 4 &&
                  offsetof(DecContext, pr) == 6,
              "DecContext layout");
#endif

// Decodes `count` levels in scan order into out[0 .. count), starting at an
// element with DQ state `state` and neighbour class `c` (both updated).
// One loop iteration is one bin of the state machine of bin_steps.h: no
// branch depends on a decoded bin except the one into the Exp-Golomb suffix
// of large levels.
//
// The x86-64 step keeps the successors' pr read before the decision, so the
// next decision waits on a select, not on a load of the selected context;
// steps whose bin-0 successor is their own context (kSelf) and other
// targets take the plain C++ step. Measured side by side (gcc 12) against
// the loop per level it replaced, whose AbsGr flags ended in a branch: the
// 25.6 M-parameter DQ stream decodes about 15 % faster; a stream whose
// levels all end at the same AbsGr flag (where that branch never
// mispredicts) or whose levels are mostly large decodes about 10 % slower.
template <bool kDq>
int64_t decode_run(ArithDecoder& dec, ArithDecoder::Core& k_io, const BinSteps& bs, DecContext* ctx, int n,
                   uint32_t& state, uint32_t& c, int32_t* out, int64_t count) {
  int64_t large = 0;
  ArithDecoder::Core k = k_io;  // in machine registers; written back on return and on error
  const uint32_t s0 = kDq ? state : 0;  // without DQ the state stays as it is
  const BinStep* e = bs.sig_step(s0, c);
  DecContext* cur = ctx + (kDq ? 3 * s0 + c : c);
  [[maybe_unused]] uint32_t pr = cur->pr;  // cur's pr, kept for the asm step
  int32_t* const out_end = out + count;
#ifdef NNR_BIN_STEP_ASM
  const DecTables* const tables = &kDecTables;
#endif
  while (out != out_end) {
#ifdef NNR_BIN_STEP_ASM
    if (__builtin_expect(e->kind == BinStep::kPlain, 1)) {
      uint64_t ta, tb, tc, td, tdi, tbp;
      asm volatile(
          // The level this step stores (kept only when bin 0 ends the element).
          "movl 32(%[E]), %k[tb]\n\t"
          "movl %k[tb], (%[O])\n\t"
          // Decision (8.5): rLPS from the row of pr at (R >> 5).
          "movl %[R], %k[ta]\n\t"
          "shrl $5, %k[ta]\n\t"
          "addl %[P], %k[ta]\n\t"
          "movzbl 2(%[T],%q[ta],4), %k[tdi]\n\t"
          "movl %[R], %k[td]\n\t"
          "subl %k[tdi], %k[td]\n\t"  // rMPS
          "leal -256(%q[R]), %k[tbp]\n\t"
          "xorl %k[tc], %k[tc]\n\t"
          "cmpl %k[tdi], %k[tbp]\n\t"  // rMPS < 256: an MPS doubles the range once
          "leal (%q[td],%q[td]), %k[tdi]\n\t"
          "movl %k[td], %[R]\n\t"
          "cmovbl %k[tdi], %[R]\n\t"
          "setb %b[tc]\n\t"
          "movzwl 0(%[T],%q[ta],4), %k[tdi]\n\t"  // rLPS << n
          "movzbl 3(%[T],%q[ta],4), %k[tbp]\n\t"  // n
          "movq %[V], %[ta]\n\t"
          "shrq $54, %[ta]\n\t"        // the window D
          "cmpl %k[td], %k[ta]\n\t"    // D >= rMPS: LPS
          "cmovael %k[tdi], %[R]\n\t"
          "cmovael %k[tbp], %k[tc]\n\t"
          "movq %[td], %[tdi]\n\t"
          "shlq $54, %[tdi]\n\t"
          "movq %[V], %[tbp]\n\t"
          "subq %[tdi], %[tbp]\n\t"
          "cmpl %k[td], %k[ta]\n\t"
          "cmovaeq %[tbp], %[V]\n\t"
          "shlq %%cl, %[V]\n\t"
          "subl %k[tc], %[C]\n\t"
          // (D - rMPS) ^ (pr << 22): bit 9 of pr is 1 - MPS, so SF is the bin.
          "subl %k[td], %k[ta]\n\t"
          "movl %[P], %k[td]\n\t"
          "shll $22, %k[td]\n\t"
          "xorl %k[td], %k[ta]\n\t"
          // Successors by the bin: context, its pr, step, output position.
          "movq 8(%[E]), %[tc]\n\t"
          "movq 0(%[E]), %[tdi]\n\t"
          "movzwl 6(%[tc]), %k[td]\n\t"
          "movzwl 6(%[tdi]), %k[tbp]\n\t"
          "cmovsq %[tdi], %[tc]\n\t"
          "cmovsl %k[tbp], %k[td]\n\t"
          "movq 24(%[E]), %[tdi]\n\t"
          "cmovsq 16(%[E]), %[tdi]\n\t"
          "movq 40(%[E]), %[tbp]\n\t"
          "leaq (%[O],%[tbp],4), %[tbp]\n\t"
          "cmovnsq %[tbp], %[O]\n\t"
          // Update of the decided context (8.4), as DecContext::update_nb.
          "shrl $31, %k[ta]\n\t"
          "xorl $1, %k[ta]\n\t"  // 1 - bin
          "movswq 0(%[X]), %[tb]\n\t"
          "subq %[ta], %[tb]\n\t"
          "sarq $7, %[tb]\n\t"
          "shll $8, %k[ta]\n\t"
          "addq %[ta], %[tb]\n\t"
          "movzwl 4(%[X]), %k[tbp]\n\t"
          "addq %[tbp], %[tb]\n\t"
          "movswq 12288(%[T],%[tb],2), %[tb]\n\t"
          "movswq 0(%[X]), %[tbp]\n\t"
          "addq %[tbp], %[tb]\n\t"  // b'
          "movw %w[tb], 0(%[X])\n\t"
          "movzwl 2(%[X]), %k[tbp]\n\t"
          "addq %[ta], %[tbp]\n\t"
          "movzwl 4096(%[T],%[tbp],4), %k[ta]\n\t"
          "movw %w[ta], 2(%[X])\n\t"
          "movswq 4098(%[T],%[tbp],4), %[tbp]\n\t"
          "addq %[tb], %[tbp]\n\t"
          "sarq $3, %[tbp]\n\t"
          "andl $0x3F0, %k[tbp]\n\t"
          "movw %w[tbp], 6(%[X])\n\t"
          "movq %[tc], %[X]\n\t"
          "movl %k[td], %[P]\n\t"
          "movq %[tdi], %[E]"
          : [V] "+r"(k.value), [R] "+r"(k.range), [C] "+r"(k.cnt), [E] "+r"(e), [X] "+r"(cur), [O] "+r"(out),
            [P] "+r"(pr), [ta] "=&r"(ta), [tb] "=&r"(tb), [tc] "=&c"(tc), [td] "=&r"(td), [tdi] "=&r"(tdi),
            [tbp] "=&r"(tbp)
          : [T] "r"(tables)
          : "cc", "memory");
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
      pr = cur->pr;
      continue;
    }
    // The plain step: the successor's pr is read after the update.
    const bool one = dec.decode_bin_core(k, *cur) != 0;
    *out = e->level0;
    out += select_if(one, int64_t{0}, e->inc0);
    cur = select_if(one, e->ctx1, e->ctx0);
    e = select_if(one, e->next1, e->next0);
    pr = cur->pr;
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
// at varying places. Returns the number of levels past the N flags.
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

// Chooses the level decoder for the next run of levels by the share of
// large levels in the last window (both give the same levels). Starts with
// the level loop, so a small tensor never pays for building the bin steps.
template <bool kDq>
class RunChooser {
 public:
  RunChooser(DecContext* ctx, int n) : ctx_(ctx), n_(n) {}

  void run(ArithDecoder& dec, ArithDecoder::Core& k, uint32_t& state, uint32_t& c, int32_t* out, int64_t count) {
    int64_t large;
    if (by_levels_) {
      large = decode_run_levels<kDq>(dec, k, ctx_, n_, state, c, out, count);
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
  // Measured on streams with 14 %, 42 % and about 85 % of their levels past
  // the AbsGr flags: the bin steps win on the first, the level loop on the others.
  static constexpr int64_t kLargeShareNum = 1, kLargeShareDen = 4;
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
