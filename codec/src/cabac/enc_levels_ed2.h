// Encoding of one edition-2 tensor's arithmetic-coded part after its qp
// offset, as NNCodec 2.0 writes it (codec/docs/edition2.md 3, 5-7, 12.2-12.4):
// hist_dep_sig_prob_enabled_flag, row skipping, the init-set list chosen by
// the reference encoder's estimation rules, and the levels.
#ifndef NNR_CABAC_ENC_LEVELS_ED2_H
#define NNR_CABAC_ENC_LEVELS_ED2_H

#include <cstdint>
#include <vector>

#include "cabac/arith_encoder.h"
#include "cabac/enc_levels.h"
#include "cabac/scan_geometry.h"

namespace nnr {

struct Ed2EncodeInput {
  ScanGeometry geom;
  int cabac_unary_length = 11;
  bool dq = false;
  bool param_opt = true;
  // false: the reference encoder's profile-0 test encodes (no HDSP or
  // row-skip syntax), used in its codebook choices.
  bool edition2_syntax = true;
  bool parent_node_id_present = false;  // the HDSP flag is coded
  int hist_dep_sig_prob_enabled_flag = 0;
  bool row_skipping = false;
  int64_t codebook_size = 0;  // S (0: not a codebook tensor)
  int64_t codebook_zero_offset = 0;
  const int32_t* tca_base = nullptr;
  const uint8_t* hdsp_history = nullptr;
};

// Codes the tensor's levels L (the quantiser's; with DQ each is coded as the
// k its DQ state gives, which row skipping can make differ from the trellis'
// state). `decoded` (numel) receives what a decoder reconstructs.
// `row_starts` gets the coder at each block row start. Throws nnr::Error
// (kInvalidArgument) for a level that cannot be coded.
void encode_tensor_ed2(ArithEncoder& enc, const Ed2EncodeInput& in, const int32_t* levels, int32_t* decoded,
                       std::vector<RowStart>* row_starts);

}  // namespace nnr

#endif  // NNR_CABAC_ENC_LEVELS_ED2_H
