#include "config/json_reader.h"

namespace nnr {

std::string json_type_name(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "an integer";
    case nlohmann::json::value_t::number_float: return "a number";
    default: return "an unsupported value";
  }
}

namespace {
std::string escape_key(const std::string& k) {
  // RFC 6901: '~' -> "~0", '/' -> "~1".
  std::string out;
  for (char c : k) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}
}  // namespace

JsonNode JsonNode::at(const std::string& key) const {
  expect_object();
  const std::string p = path_ + "/" + escape_key(key);
  if (!v_->contains(key)) throw ConfigError(p, "missing (required)");
  return JsonNode((*v_)[key], p);
}

JsonNode JsonNode::at(size_t i) const {
  expect_array();
  return JsonNode((*v_)[i], path_ + "/" + std::to_string(i));
}

void JsonNode::expect_object() const {
  if (!v_->is_object()) fail("expected an object, found " + json_type_name(*v_));
}

void JsonNode::expect_array() const {
  if (!v_->is_array()) fail("expected an array, found " + json_type_name(*v_));
}

void JsonNode::allow_keys(const std::set<std::string>& allowed) const {
  expect_object();
  for (auto it = v_->begin(); it != v_->end(); ++it) {
    if (allowed.count(it.key())) continue;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    throw ConfigError(path_ + "/" + escape_key(it.key()), "unknown key (expected one of: " + list + ")");
  }
}

std::string JsonNode::as_string() const {
  if (!v_->is_string()) fail("expected a string, found " + json_type_name(*v_));
  return v_->get<std::string>();
}

int64_t JsonNode::as_int(int64_t lo, int64_t hi) const {
  if (!v_->is_number_integer()) fail("expected an integer, found " + json_type_name(*v_));
  const int64_t x = v_->get<int64_t>();
  if (x < lo || x > hi)
    fail("value " + std::to_string(x) + " out of range [" + std::to_string(lo) + ", " +
         std::to_string(hi) + "]");
  return x;
}

double JsonNode::as_number() const {
  if (!v_->is_number()) fail("expected a number, found " + json_type_name(*v_));
  return v_->get<double>();
}

bool JsonNode::as_bool() const {
  if (!v_->is_boolean()) fail("expected true or false, found " + json_type_name(*v_));
  return v_->get<bool>();
}

std::string JsonNode::get_string(const std::string& key, const std::string& def) const {
  return has(key) ? at(key).as_string() : def;
}
int64_t JsonNode::get_int(const std::string& key, int64_t def, int64_t lo, int64_t hi) const {
  return has(key) ? at(key).as_int(lo, hi) : def;
}
double JsonNode::get_number(const std::string& key, double def) const {
  return has(key) ? at(key).as_number() : def;
}
bool JsonNode::get_bool(const std::string& key, bool def) const {
  return has(key) ? at(key).as_bool() : def;
}

}  // namespace nnr
