// The JSON people write: run files (parse_run_config) and encoder settings
// (settings_from_json) behind the strict parser (duplicate keys, nesting).
// Any text ends in a config or an error with a message (a JSON path or a
// byte offset), without crashing, in bounded memory.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/settings_json.h"
#include "config/json_text.h"
#include "config/run_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json doc;
  const nnr::Status s = nnr::parse_json_text(std::string(reinterpret_cast<const char*>(data), size), &doc);
  if (!s.ok()) {
    if (s.message().empty() || s.code() == nnr::ErrorCode::kInternal) __builtin_trap();
    return 0;
  }
  nnr::RunConfig cfg;
  const nnr::Status r = nnr::parse_run_config(doc, "/nonexistent", &cfg);
  if (!r.ok() && r.message().empty()) __builtin_trap();
  nnr::EncoderSettings e;
  const nnr::Status t = nnr::settings_from_json(doc, "", &e);
  if (!t.ok() && t.message().empty()) __builtin_trap();
  return 0;
}
