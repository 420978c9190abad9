// The anchor codec of the NNR overview paper: each tensor quantised to
// integers with the step size NNR would use (nearest neighbour), the int32
// indices compressed with bzip2. Container: codec/src/anchor/README.md.
#ifndef NNR_ANCHOR_H
#define NNR_ANCHOR_H

#include <cstddef>
#include <cstdint>
#include <vector>

#include "nnr/decoder.h"
#include "nnr/encoder.h"

namespace nnr {

// True if `data` starts with the anchor container's magic.
bool is_anchor_stream(const uint8_t* data, size_t size);

// Step sizes follow `settings` (qp, qp_density, nonweight_qp, qp_per_tensor,
// model_kind); every other setting is ignored.
Status anchor_encode(const std::vector<Tensor>& tensors, const EncoderSettings& settings,
                     EncodeResult* out);
// The same on options.threads threads (the container is the same for any count).
Status anchor_encode(const std::vector<Tensor>& tensors, const EncoderSettings& settings,
                     const EncodeOptions& options, EncodeResult* out);

// Decodes a container (honours options.max_output_bytes and options.threads).
Status anchor_decode(const uint8_t* data, size_t size, const DecodeOptions& options, DecodedModel* out);

}  // namespace nnr

#endif  // NNR_ANCHOR_H
