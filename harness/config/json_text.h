// Parsing of JSON text that people write (run files, encoder settings,
// conformance manifests): a syntax error names its byte offset, a key given
// twice in one object (which a JSON parser silently resolves to the last)
// names its JSON path, and nesting is bounded.
#ifndef NNR_HARNESS_JSON_TEXT_H
#define NNR_HARNESS_JSON_TEXT_H

#include <string>

#include <nlohmann/json.hpp>

#include "nnr/error.h"

namespace nnr {

constexpr int kMaxJsonDepth = 256;

// Parses `text`; errors are kInvalidArgument with the byte offset (syntax)
// or the JSON path (a duplicate key, nesting deeper than kMaxJsonDepth) in
// the message.
Status parse_json_text(const std::string& text, nlohmann::json* out);

// The same for a file's contents (an error reading it names the file; a
// parse error does not, for the caller's Status::describe(path)).
Status read_json_text(const std::string& path, nlohmann::json* out);

}  // namespace nnr

#endif  // NNR_HARNESS_JSON_TEXT_H
