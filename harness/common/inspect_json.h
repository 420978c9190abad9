// JSON description of a bitstream for `nnr inspect`: every unit and every
// syntax element with its byte/bit offset, and per coded tensor what the
// arithmetic payload carried (qp, init sets, level statistics).
#ifndef NNR_HARNESS_INSPECT_JSON_H
#define NNR_HARNESS_INSPECT_JSON_H

#include <nlohmann/json.hpp>

#include "nnr/decoder.h"

namespace nnr {

nlohmann::ordered_json units_to_json(const std::vector<NnrUnit>& units);
nlohmann::ordered_json tensors_to_json(const std::vector<DecodedTensor>& tensors);

}  // namespace nnr

#endif
