#include "cabac/enc_levels.h"

#include <array>
#include <string>

#include "cabac/binarisation.h"
#include "cabac/tables.h"
#include "nnr/error.h"

namespace nnr {

bool dq_coded_level(int32_t l, uint32_t state, int64_t* k) {
  if (l == 0) {
    *k = 0;
    return true;
  }
  const int64_t v = l;
  const int64_t sg = v > 0 ? 1 : -1;
  if (((v & 1) != 0) != ((state & 1) != 0)) return false;  // Q0 even, Q1 odd multiples
  *k = (v + sg * static_cast<int64_t>(state & 1)) >> 1;
  return true;
}

namespace {

[[noreturn]] void bad_level(int64_t pos, const std::string& why) {
  throw Error(ErrorCode::kInvalidArgument, kNoOffset,
              "level at position " + std::to_string(pos) + " " + why);
}

// Visits the flat positions of a tensor in scan order; on_row(r) is called at
// the start of every block row (block scans only).
template <typename OnRow, typename OnElement>
void for_each_in_scan(const ScanGeometry& g, OnRow on_row, OnElement on_element) {
  if (!g.block) {
    const int64_t total = g.numel();
    for (int64_t pos = 0; pos < total; ++pos) on_element(pos);
    return;
  }
  const int64_t b = g.block;
  for (int64_t r = 0; r < g.num_rows(); ++r) {
    on_row(r);
    const int64_t y0 = r * b, y1 = y0 + b < g.height ? y0 + b : g.height;
    for (int64_t x0 = 0; x0 < g.width; x0 += b) {
      const int64_t x1 = x0 + b < g.width ? x0 + b : g.width;
      for (int64_t y = y0; y < y1; ++y)
        for (int64_t x = x0; x < x1; ++x) on_element(y * g.width + x);
    }
  }
}

}  // namespace

void encode_init_sets(ArithEncoder& enc, TensorContexts& ctx, const std::vector<int>& sets) {
  const ContextLayout& layout = ctx.layout();
  ContextModel* c = ctx.data();
  ContextModel& flag_ctx = c[layout.init_flag()];
  for (int i = 0; i <= layout.count() - 5; ++i) {
    if (!layout.signalled(i, ctx.dq())) continue;
    const int set = sets[i];
    if (set > 0) {
      enc.encode_bin(1, flag_ctx);
      enc.encode_bypass_bins(static_cast<uint32_t>(set - 1), 3);
    } else {
      enc.encode_bin(0, flag_ctx);
    }
    c[i].init(set);
  }
}

void encode_levels(ArithEncoder& enc, TensorContexts& ctx, const ScanGeometry& geom,
                   const int32_t* levels, std::vector<RowStart>* row_starts) {
  const int n = ctx.layout().n;
  const bool dq = ctx.dq();
  ContextModel* c = ctx.data();
  uint32_t state = 0;
  uint32_t cls = 0;
  auto emit = [&](uint32_t i, uint32_t bin) { enc.encode_bin(bin, c[i]); };
  auto emit_bypass = [&](uint64_t v, int bits) {
    if (bits > 32) throw Error(ErrorCode::kInvalidArgument, kNoOffset, "level too large to code");
    enc.encode_bypass_bins(static_cast<uint32_t>(v), bits);
  };
  if (geom.block && row_starts) row_starts->clear();
  for_each_in_scan(
      geom,
      [&](int64_t r) {
        if (r > 0) ctx.reset();
        enc.range_reset();
        cls = 0;
        if (row_starts) row_starts->push_back(RowStart{enc.shift_count(), enc.low_mod_512(), state});
      },
      [&](int64_t pos) {
        const int32_t l = levels[pos];
        int64_t k = l;
        if (dq) {
          if (!dq_coded_level(l, state, &k)) bad_level(pos, "is not reachable from its DQ state");
        }
        const int64_t mag = k < 0 ? -k : k;
        if (mag > (int64_t{1} << 31) - 1 + (k < 0)) bad_level(pos, "is too large to code");
        binarise_level(k, (dq ? 3 * state : 0) + cls, cls, n, emit, emit_bypass);
        if (dq) state = kDqNextState[state][k & 1];
        cls = neighbour_class(k);
      });
}

}  // namespace nnr
