#include "cabac/dec_levels.h"

#include <string>

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
// |k| = N + 1 + rem. Rare, so kept out of the element loop; the registers
// go in and out by value so the caller's copy can stay in machine registers.
struct Remainder {
  ArithDecoder::Core k;
  int64_t mag;
};
__attribute__((noinline)) Remainder decode_remainder(ArithDecoder& dec, ArithDecoder::Core k,
                                                     DecContext* prefix, int n) {
  int p = 0;
  while (dec.decode_bin_core(k, prefix[p])) {
    if (++p == 32) return Remainder{k, -1};  // the caller throws with its registers updated
  }
  const int64_t rem = (int64_t{1} << p) - 1 + (p ? int64_t{dec.decode_bypass_bins_core(k, p)} : 0);
  return Remainder{k, n + 1 + rem};
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

// Measured on the 25.6 M-parameter DQ stream and found no faster (all
// bit-exact): reading both candidate pr of the first AbsGr flag before the
// sign and selecting after it; choosing the next element's significance
// context and pr by the level's parity with selects, read during the AbsGr
// flags; two block rows from entry points decoded in lockstep in one thread
// (3 % slower: the two lanes' registers spill); clang instead of gcc (10 %
// slower).
template <bool kDq, bool kFloat>
void decode_span(ArithDecoder& dec, TensorContexts& tc, int n, const ScanGeometry& g,
                 int64_t row_begin, int64_t row_end, uint32_t& state_io, const LevelSink& sink,
                 RowMark* marks) {
  int32_t* const levels = sink.levels;
  float* const values = sink.values;
  const float step = sink.step;
  SpanContexts sc(tc);
  DecContext* const ctx = sc.data();
  DecContext* const sign_ctx = ctx + ContextLayout::kSign;
  DecContext* const gr_ctx = ctx + ContextLayout::kAbsGr;
  DecContext* const prefix = ctx + 27 + 2 * n;
  uint32_t state = state_io;
  uint32_t c = 0;  // class of the previous level: 0 zero, 1 negative, 2 positive
  // A local copy of the registers whose address never escapes lives in
  // machine registers; through the object its fields would be reloaded and
  // stored around every level store (int32_t levels may alias them).
  ArithDecoder::Core k = dec.core();

  auto element = [&](int64_t pos) __attribute__((always_inline)) {
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
      if (__builtin_expect(flag != gr_end, 1)) {
        const int32_t j = static_cast<int32_t>((flag - gr) >> 1);
        // |k| = j + 1 <= N <= 256: no range check needed.
        const int32_t mag = j + 1;
        const int32_t l = kDq ? 2 * mag - static_cast<int32_t>(state & 1) : mag;
        const int32_t m = -static_cast<int32_t>(neg);
        v = (l ^ m) - m;
        if (kDq) state = dq_next(state, static_cast<uint32_t>(mag));
      } else {
        const Remainder rem = decode_remainder(dec, k, prefix, n);
        k = rem.k;
        if (rem.mag < 0) prefix_error();
        const int64_t mag = rem.mag;
        v = checked_level(mag, neg, state, kDq);
        if (kDq) state = dq_next(state, static_cast<uint32_t>(mag));
      }
      c = 2 - neg;
    }
    if (kFloat) {
      values[pos] = static_cast<float>(v) * step;
    } else {
      levels[pos] = v;
    }
  };

  try {
  if (!g.block) {
    const int64_t total = g.numel();
    // A valid segment is never read past its end; checking now and then
    // stops a corrupt one early instead of decoding zeros to the end.
    for (int64_t start = 0; start < total; start += kOverreadCheckInterval) {
      dec.set_core(k);
      if (dec.overread()) overread_error();
      const int64_t end = start + kOverreadCheckInterval < total ? start + kOverreadCheckInterval : total;
      for (int64_t pos = start; pos < end; ++pos) element(pos);
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
    for (int64_t x0 = 0; x0 < g.width; x0 += b) {
      const int64_t x1 = x0 + b < g.width ? x0 + b : g.width;
      for (int64_t y = y0; y < y1; ++y) {
        const int64_t base = y * g.width;
        for (int64_t x = x0; x < x1; ++x) element(base + x);
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
