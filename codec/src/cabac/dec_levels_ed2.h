// Decoding of one edition-2 tensor's arithmetic-coded part after its qp
// offset (codec/docs/edition2.md 3, 6, 7): hist_dep_sig_prob_enabled_flag,
// row skipping, the init-set list, and the levels with codebook bounds, TCA
// and HDSP contexts. A plain per-bin decoder: edition-2 streams are the
// small updates of the 3GPP use case; edition 1 keeps its fast loops.
#ifndef NNR_CABAC_DEC_LEVELS_ED2_H
#define NNR_CABAC_DEC_LEVELS_ED2_H

#include <cstdint>
#include <vector>

#include "cabac/arith_decoder.h"
#include "cabac/dec_levels.h"
#include "cabac/scan_geometry.h"

namespace nnr {

struct Ed2TensorInput {
  ScanGeometry geom;
  int cabac_unary_length = 11;
  bool dq = false;
  bool parent_node_id_present = false;  // hist_dep_sig_prob_enabled_flag is coded
  int64_t codebook_size = 0;            // S (0: not a codebook tensor)
  int64_t codebook_zero_offset = 0;     // Z
  const int32_t* tca_base = nullptr;    // parent levels by position: TCA in use
  const uint8_t* hdsp_history = nullptr;  // 0/1 by position, or null
};

struct Ed2TensorSyntax {
  int hist_dep_sig_prob_enabled_flag = 0;
  int row_skip_enabled_flag = 0;
  int64_t skipped_rows = 0;
  std::vector<int> init_sets;  // by context index (4N + 90)
};

// Decodes into levels[0 .. numel) (reconstruction levels L by flat position;
// codebook tensors: index - Z). marks[r] gets the decoder at the start of
// block row r when given (entry-point checks). Throws nnr::Error without an
// offset for a level outside int32 or a segment read past its end.
void decode_tensor_ed2(ArithDecoder& dec, const Ed2TensorInput& in, int32_t* levels,
                       Ed2TensorSyntax* syntax, RowMark* marks);

}  // namespace nnr

#endif  // NNR_CABAC_DEC_LEVELS_ED2_H
