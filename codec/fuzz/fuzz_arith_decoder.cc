// The level decoder on arbitrary bytes: parameters from the first bytes,
// bounded sizes.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cabac/arith_decoder.h"
#include "cabac/contexts.h"
#include "cabac/dec_levels.h"
#include "nnr/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 6) return 0;
  const int n = 1 + data[0] % 40;
  const bool dq = data[1] & 1;
  const int scan = data[1] >> 1 & 7;
  const int64_t h = 1 + data[2] % 70, w = 1 + data[3] % 70;
  nnr::ArithDecoder dec(data + 4, size - 4);
  nnr::TensorContexts ctx;
  ctx.init(n, dq);
  std::vector<int32_t> levels(static_cast<size_t>(h * w));
  nnr::LevelSink sink;
  sink.levels = levels.data();
  try {
    ctx.decode_init_sets(dec);
    const nnr::ScanGeometry g = nnr::ScanGeometry::make({h, w}, scan > 4 ? 0 : scan);
    uint32_t state = 0;
    nnr::decode_levels(dec, ctx, g, 0, g.num_rows(), state, sink, nullptr);
    dec.decode_terminate();
  } catch (const nnr::Error&) {
  }
  return 0;
}
