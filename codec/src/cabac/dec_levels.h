// Decoding of the quantised levels of one tensor (spec 5, 6, 4.4): the
// binarisation, context selection, DQ state machine and the block-row events.
#ifndef NNR_CABAC_DEC_LEVELS_H
#define NNR_CABAC_DEC_LEVELS_H

#include <cstdint>
#include <vector>

#include "cabac/arith_decoder.h"
#include "cabac/contexts.h"
#include "cabac/scan_geometry.h"

namespace nnr {

// Decoder state at the start of a block row, after its range reset.
struct RowMark {
  uint64_t p = 0;         // shift count
  uint32_t d = 0;         // window value
  uint32_t dq_state = 0;
};

// Where decoded levels go: the int32 reconstruction levels, or straight to
// the uniform reconstruction RNE32(step * RNE32(L)) when nothing else needs
// the levels (saves a buffer and a pass over the tensor).
struct LevelSink {
  int32_t* levels = nullptr;  // set: store L
  float* values = nullptr;    // else: store L * step
  float step = 0.0f;
};

// Decodes rows [row_begin, row_end) (row 0 .. 1 for a row-major scan) of a
// tensor into `sink` (reconstruction levels L or values, by flat position).
// `dq_state` carries the DQ state in and out. When `marks` is given,
// marks[r] receives the state at the start of each decoded row r.
// Throws nnr::Error (kInvalidBitstream) for a level outside int32.
void decode_levels(ArithDecoder& dec, TensorContexts& ctx, const ScanGeometry& geom,
                   int64_t row_begin, int64_t row_end, uint32_t& dq_state, const LevelSink& sink,
                   RowMark* marks);

}  // namespace nnr

#endif  // NNR_CABAC_DEC_LEVELS_H
