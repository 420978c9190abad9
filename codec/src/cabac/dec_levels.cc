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

[[noreturn]] void level_out_of_range(int64_t v) {
  throw Error(ErrorCode::kInvalidBitstream, kNoOffset,
              "decoded level " + std::to_string(v) + " is outside the int32 range");
}

// Magnitude |k| >= 1 after sig = 1 and the sign (spec 6). Always inlined so
// the caller's local decoder copy stays in registers.
__attribute__((always_inline)) inline int64_t decode_magnitude(ArithDecoder& dec, ContextModel* gr, ContextModel* prefix, int n) {
  int j = 0;
  while (j < n && dec.decode_bin(gr[2 * j])) ++j;
  if (j < n) return 1 + j;
  int p = 0;
  while (dec.decode_bin(prefix[p])) {
    if (++p == 32) {
      throw Error(ErrorCode::kInvalidBitstream, kNoOffset,
                  "Exp-Golomb remainder prefix longer than 31 bins");
    }
  }
  const int64_t rem = (int64_t{1} << p) - 1 + (p ? int64_t{dec.decode_bypass_bins(p)} : 0);
  return n + 1 + rem;
}

template <bool kDq, bool kFloat>
void decode_span(ArithDecoder& dec_io, ContextModel* ctx, int n, const ScanGeometry& g,
                 int64_t row_begin, int64_t row_end, uint32_t& state_io, const LevelSink& sink,
                 RowMark* marks, TensorContexts& tc) {
  int32_t* const levels = sink.levels;
  float* const values = sink.values;
  const float step = sink.step;
  auto store = [&](int64_t pos, int32_t l) {
    if (kFloat) {
      values[pos] = static_cast<float>(l) * step;
    } else {
      levels[pos] = l;
    }
  };
  ContextModel* const sign_ctx = ctx + ContextLayout::kSign;
  ContextModel* const prefix = ctx + 27 + 2 * n;
  uint32_t state = state_io;
  uint32_t c = 0;  // class of the previous level: 0 zero, 1 negative, 2 positive
  // A local copy whose address never escapes lives in registers; through the
  // reference its fields would be reloaded and stored around every level
  // store (int32_t levels may alias its uint32_t fields).
  ArithDecoder dec = dec_io;

  auto element = [&](int64_t pos) __attribute__((always_inline)) {
    if (!dec.decode_bin(ctx[(kDq ? 3 * state : 0) + c])) {
      store(pos, 0);
      c = 0;
      if (kDq) state = kDqNextState[state][0];
      return;
    }
    const uint32_t neg = dec.decode_bin(sign_ctx[c]);
    const int64_t mag = decode_magnitude(dec, ctx + ContextLayout::kAbsGr + neg, prefix, n);
    int64_t l;
    if (kDq) {
      l = 2 * mag - (state & 1);
      state = kDqNextState[state][mag & 1];
    } else {
      l = mag;
    }
    if (neg) {
      if (l > int64_t{1} << 31) level_out_of_range(-l);
      store(pos, static_cast<int32_t>(-l));
      c = 1;
    } else {
      if (l > INT32_MAX) level_out_of_range(l);
      store(pos, static_cast<int32_t>(l));
      c = 2;
    }
  };

  try {
  if (!g.block) {
    const int64_t total = g.numel();
    // A valid segment is never read past its end; checking now and then
    // stops a corrupt one early instead of decoding zeros to the end.
    for (int64_t start = 0; start < total; start += kOverreadCheckInterval) {
      if (dec.overread()) overread_error();
      const int64_t end = start + kOverreadCheckInterval < total ? start + kOverreadCheckInterval : total;
      for (int64_t pos = start; pos < end; ++pos) element(pos);
    }
    state_io = state;
    dec_io = dec;
    return;
  }

  const int64_t b = g.block;
  for (int64_t r = row_begin; r < row_end; ++r) {
    if (dec.overread()) overread_error();
    if (r > 0) tc.reset();
    dec.range_reset();
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
    dec_io = dec;  // error offsets are taken from the decoder's position
    throw;
  }
  state_io = state;
  dec_io = dec;
}

}  // namespace

void decode_levels(ArithDecoder& dec, TensorContexts& ctx, const ScanGeometry& geom,
                   int64_t row_begin, int64_t row_end, uint32_t& dq_state, const LevelSink& sink,
                   RowMark* marks) {
  const int n = ctx.layout().n;
  ContextModel* c = ctx.data();
  const bool f = sink.levels == nullptr;
  if (ctx.dq()) {
    if (f) decode_span<true, true>(dec, c, n, geom, row_begin, row_end, dq_state, sink, marks, ctx);
    else decode_span<true, false>(dec, c, n, geom, row_begin, row_end, dq_state, sink, marks, ctx);
  } else {
    if (f) decode_span<false, true>(dec, c, n, geom, row_begin, row_end, dq_state, sink, marks, ctx);
    else decode_span<false, false>(dec, c, n, geom, row_begin, row_end, dq_state, sink, marks, ctx);
  }
}

}  // namespace nnr
