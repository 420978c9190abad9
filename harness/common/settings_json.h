// EncoderSettings from JSON: the keys of a conformance manifest's
// `encoder_settings`, plus "model_kind". Errors name the JSON path.
#ifndef NNR_HARNESS_SETTINGS_JSON_H
#define NNR_HARNESS_SETTINGS_JSON_H

#include <string>

#include <nlohmann/json.hpp>

#include "nnr/encoder.h"

namespace nnr {

// Applies the keys of `j` (an object) to `s`. `path` prefixes error messages
// (e.g. "/encoder_settings"). Unknown keys are errors.
Status settings_from_json(const nlohmann::json& j, const std::string& path, EncoderSettings* s);

}  // namespace nnr

#endif
