// The report's section on model updates (pipeline/updates.h): per use case
// and working point, the bytes of every stream of each sequence, their sum
// against coding each model from scratch and against the anchor, and the
// last decoded model's metric beside the uncoded last snapshot's.
#ifndef NNR_HARNESS_REPORT_UPDATES_H
#define NNR_HARNESS_REPORT_UPDATES_H

#include <string>

#include <nlohmann/json.hpp>

namespace nnr {

// Markdown, empty when the run has no update sequences.
std::string updates_section(const nlohmann::json& results);

}  // namespace nnr

#endif  // NNR_HARNESS_REPORT_UPDATES_H
