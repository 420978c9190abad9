// Decoding of one NNR_NDU: the arithmetic payload of its tensors (spec 2.8.4,
// 8.10), block rows in parallel from the entry points, and reconstruction.
#ifndef NNR_DEC_NDU_DECODER_H
#define NNR_DEC_NDU_DECODER_H

#include <string>
#include <vector>

#include "nnr/decoder.h"

namespace nnr {

class ThreadPool;

struct NduDecodeInput {
  const uint8_t* data = nullptr;  // the whole input
  const NnrUnit* unit = nullptr;
  size_t unit_index = 0;
  bool has_qp = false;  // an MPS or LPS with qp_density is in force
  int qp_density = 0;
  int quant_param = 0;  // QuantParam of spec 2.9
  std::vector<std::string> names;  // resolved topology element ids
  const DecoderState* state = nullptr;  // edition 2: the parents (TCA) and HDSP history
  bool keep_state_levels = false;       // fill NduDecodeOutput::state_levels
};

struct NduDecodeOutput {
  std::vector<DecodedTensor> tensors;  // coding order
  std::vector<std::string> warnings;
  // With keep_state_levels: each coded tensor's levels, by name, for the
  // decoder state (kept apart from `tensors`, which may go to a sink).
  std::vector<std::pair<std::string, std::vector<int32_t>>> state_levels;
};

// Throws nnr::Error naming the byte offset.
void decode_ndu(const NduDecodeInput& in, const DecodeOptions& options, ThreadPool* pool,
                NduDecodeOutput* out);

}  // namespace nnr

#endif  // NNR_DEC_NDU_DECODER_H
