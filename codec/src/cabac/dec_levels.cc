// The level decoder of a tensor (spec 5, 6): the scan over the tensor or
// its block rows, the contexts of a span and their block-row resets, and the
// choice between the two forms of level_run.h for each run of levels.
#include "cabac/dec_levels.h"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "cabac/bin_steps.h"
#include "cabac/level_run_dispatch.h"
#include "cabac/tables.h"
#include "nnr/error.h"

namespace nnr {

namespace {

constexpr int64_t kOverreadCheckInterval = 4096;

[[noreturn]] void overread_error() {
  throw Error(ErrorCode::kTruncated, kNoOffset, "arithmetic segment ends before the tensor's levels");
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

// Chooses the level decoder's form for the next run of levels (both give
// the same levels) by the share of levels past the AbsGr flags in the last
// window: the level loop above the table's threshold, else the bin steps.
// Starts with the level loop, so a small tensor never pays for building the
// bin steps.
template <bool kDq>
class RunChooser {
 public:
  RunChooser(const LevelRunFns& fns, DecContext* ctx, int n) : fns_(fns), ctx_(ctx), n_(n) {}

  void run(ArithDecoder& dec, ArithDecoder::Core& k, uint32_t& state, uint32_t& c, int32_t* out, int64_t count) {
    int64_t large;
    if (by_levels_) {
      large = fns_.loop[kDq](dec, k, ctx_, n_, state, c, out, count);
    } else {
      if (!steps_) steps_.emplace(ctx_, n_, kDq);
      large = fns_.steps[kDq](dec, k, *steps_, ctx_, n_, state, c, out, count);
    }
    large_ += large;
    seen_ += count;
    if (seen_ >= kWindow) {
      by_levels_ = large_ * fns_.loop_share_den[kDq] > seen_ * fns_.loop_share_num[kDq];
      large_ = seen_ = 0;
    }
  }

 private:
  static constexpr int64_t kWindow = 1024;
  const LevelRunFns& fns_;
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
  RunChooser<kDq> chooser(level_run_fns(), ctx, n);
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
