// Encoding of the quantised levels of one tensor (spec 5, 6, 4.4) and the
// encoder's choice of context init sets (9.6).
#ifndef NNR_CABAC_ENC_LEVELS_H
#define NNR_CABAC_ENC_LEVELS_H

#include <cstdint>
#include <vector>

#include "cabac/arith_encoder.h"
#include "cabac/contexts.h"
#include "cabac/dec_levels.h"

namespace nnr {

// Encoder state at the start of a block row, after its range reset, from
// which the entry point is computed once the segment is complete (5.5).
struct RowStart {
  uint64_t shift_count = 0;
  uint32_t low_mod_512 = 0;
  uint32_t dq_state = 0;
};

// Codes the init-set flags (7.3) and initialises the contexts accordingly.
void encode_init_sets(ArithEncoder& enc, TensorContexts& ctx, const std::vector<int>& sets);

// Codes the levels L of a tensor. `row_starts` (if given) receives the state
// at the start of every block row. Throws nnr::Error(kInvalidArgument) if a
// level cannot be coded (not reachable from the DQ state, or too large).
void encode_levels(ArithEncoder& enc, TensorContexts& ctx, const ScanGeometry& geom,
                   const int32_t* levels, std::vector<RowStart>* row_starts);

// Coded level k for reconstruction level L in DQ state s (4.4); returns false
// if L is not reachable from s.
inline bool dq_coded_level(int32_t l, uint32_t state, int64_t* k) {
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

}  // namespace nnr

#endif  // NNR_CABAC_ENC_LEVELS_H
