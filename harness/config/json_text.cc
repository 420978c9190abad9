#include "config/json_text.h"

#include <set>
#include <vector>

#include "nnr/io.h"

namespace nnr {

namespace {

using json = nlohmann::json;

// Where the parser is, for the path of a duplicate key.
struct Frame {
  bool array = false;
  size_t index = 0;  // arrays: the element being read
  std::string key;   // objects: the member being read
  std::set<std::string> keys;
};

struct Refusal {
  std::string what;
};

std::string escape_pointer(const std::string& key) {
  std::string s;
  for (char c : key) s += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return s;
}

std::string path_of(const std::vector<Frame>& stack) {
  std::string p;
  for (const Frame& f : stack) p += "/" + (f.array ? std::to_string(f.index) : escape_pointer(f.key));
  return p.empty() ? "/" : p;
}

}  // namespace

Status parse_json_text(const std::string& text, json* out) {
  std::vector<Frame> stack;
  // A value ends an element of the enclosing array.
  auto element_done = [&] {
    if (!stack.empty() && stack.back().array) ++stack.back().index;
  };
  json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (depth >= kMaxJsonDepth) throw Refusal{path_of(stack) + ": nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
        stack.push_back(Frame{event == json::parse_event_t::array_start, 0, {}, {}});
        break;
      case json::parse_event_t::key: {
        Frame& f = stack.back();
        f.key = parsed.get<std::string>();
        if (!f.keys.insert(f.key).second) throw Refusal{path_of(stack) + ": key given twice in one object"};
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        stack.pop_back();
        element_done();
        break;
      case json::parse_event_t::value:
        element_done();
        break;
    }
    return true;
  };
  try {
    *out = json::parse(text, cb);
  } catch (const Refusal& r) {
    return Status(ErrorCode::kInvalidArgument, kNoOffset, r.what);
  } catch (const json::parse_error& e) {
    return Status(ErrorCode::kInvalidArgument, static_cast<int64_t>(e.byte) - 1,
                  std::string("not valid JSON: ") + e.what());
  } catch (const json::exception& e) {
    // A number beyond any double (out_of_range 406) and the like.
    return Status(ErrorCode::kInvalidArgument, kNoOffset, std::string("not valid JSON: ") + e.what());
  }
  return Status();
}

Status read_json_text(const std::string& path, json* out) {
  std::vector<uint8_t> bytes;
  Status s = read_file(path, &bytes);
  if (!s.ok()) return s;
  return parse_json_text(std::string(bytes.begin(), bytes.end()), out);
}

}  // namespace nnr
