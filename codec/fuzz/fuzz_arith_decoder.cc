// The level decoder on arbitrary bytes. The first 8 bytes choose the
// parameters (cabac_unary_length, DQ, scan order, shape, qp bits, a restart
// row), the rest is the arithmetic segment. Sizes are bounded (at most 96 x 96
// elements) so each input runs quickly.
//
// Besides crashes and sanitizer reports, the target traps when
//  - decoding straight to float differs from decoding levels and then
//    multiplying (the two LevelSink paths of decode_levels);
//  - restarting at a block row from the (P, D, DQ state) the sequential decode
//    recorded there (ArithDecoder::init_at, as the parallel decoder does) does
//    not give exactly the same levels, end state and position.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "cabac/arith_decoder.h"
#include "cabac/contexts.h"
#include "cabac/dec_levels.h"
#include "nnr/error.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

uint32_t bits_of(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  const int n = 1 + data[0];                     // cabac_unary_length 1..256
  const bool dq = data[1] & 1;
  const int scan = (data[1] >> 1) % 5;          // scan_order 0..4
  const int qp_bits = (data[1] >> 4) & 1 ? 6 + (data[1] >> 5) : 0;
  const int64_t h = 1 + data[2] % 96, w = 1 + data[3] % 96;
  const int restart = data[4];
  const float step = 1.0f / static_cast<float>(1 + data[5]);
  const uint8_t* seg = data + 8;
  const size_t seg_size = size - 8;

  const nnr::ScanGeometry g = nnr::ScanGeometry::make({h, w}, scan);
  const int64_t rows = g.num_rows();
  std::vector<int32_t> levels(static_cast<size_t>(h * w), 0);
  std::vector<nnr::RowMark> marks(static_cast<size_t>(rows));
  nnr::ArithDecoder dec(seg, seg_size);
  nnr::TensorContexts ctx;
  ctx.init(n, dq);
  nnr::TensorContexts after_init;
  uint32_t state = 0;
  uint64_t p_end = 0;
  uint32_t d_end = 0;
  try {
    if (qp_bits) (void)dec.decode_bypass_bins(qp_bits);
    ctx.decode_init_sets(dec);
    after_init = ctx;
    nnr::LevelSink sink;
    sink.levels = levels.data();
    decode_levels(dec, ctx, g, 0, rows, state, sink, marks.data());
    p_end = dec.shift_count();
    d_end = dec.window();
    (void)dec.decode_terminate();
  } catch (const nnr::Error& e) {
    check(e.code() == nnr::ErrorCode::kTruncated || e.code() == nnr::ErrorCode::kInvalidBitstream);
    return 0;
  }
  check(dec.bytes_consumed() >= 2);

  // The float path: same bins, values = RNE32(step * RNE32(L)).
  {
    nnr::ArithDecoder d2(seg, seg_size);
    nnr::TensorContexts c2;
    c2.init(n, dq);
    std::vector<float> values(levels.size(), -1.0f);
    uint32_t s2 = 0;
    try {
      if (qp_bits) (void)d2.decode_bypass_bins(qp_bits);
      c2.decode_init_sets(d2);
      nnr::LevelSink sink;
      sink.values = values.data();
      sink.step = step;
      decode_levels(d2, c2, g, 0, rows, s2, sink, nullptr);
    } catch (const nnr::Error&) {
      __builtin_trap();  // the level path succeeded on the same bins
    }
    check(s2 == state);
    for (size_t i = 0; i < levels.size(); ++i)
      check(bits_of(values[i]) == bits_of(static_cast<float>(levels[i]) * step));
  }

  // Restart at a block row from its recorded state.
  if (rows > 1) {
    const int64_t r = 1 + restart % (rows - 1);
    nnr::ArithDecoder d3;
    d3.init_at(seg, seg_size, marks[r].p, marks[r].d);
    check(d3.shift_count() == marks[r].p);
    check(d3.window() == marks[r].d);
    nnr::TensorContexts c3 = after_init;
    std::vector<int32_t> again(levels.size(), 0);
    uint32_t s3 = marks[r].dq_state;
    try {
      nnr::LevelSink sink;
      sink.levels = again.data();
      decode_levels(d3, c3, g, r, rows, s3, sink, nullptr);
    } catch (const nnr::Error&) {
      __builtin_trap();  // the sequential decode got through these rows
    }
    check(s3 == state);
    const int64_t first = r * g.block * g.width;
    for (int64_t i = first; i < h * w; ++i) check(again[static_cast<size_t>(i)] == levels[static_cast<size_t>(i)]);
    check(d3.shift_count() == p_end);
    check(d3.window() == d_end);
  }
  return 0;
}
