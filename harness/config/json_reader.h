// Typed access to a JSON document that names the JSON path of every error
// ("/codecs/1/sweep/qp/3: expected an integer"), for config validation.
#ifndef NNR_HARNESS_JSON_READER_H
#define NNR_HARNESS_JSON_READER_H

#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace nnr {

// A config error: the JSON path and what was expected there.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string path, const std::string& what)
      : std::runtime_error((path.empty() ? std::string("/") : path) + ": " + what),
        path_(std::move(path)) {}
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One JSON value with its path.
class JsonNode {
 public:
  JsonNode(const nlohmann::json& v, std::string path) : v_(&v), path_(std::move(path)) {}

  const nlohmann::json& json() const { return *v_; }
  const std::string& path() const { return path_; }

  bool has(const std::string& key) const { return v_->is_object() && v_->contains(key); }
  JsonNode at(const std::string& key) const;  // the key must exist
  JsonNode at(size_t i) const;
  size_t size() const { return v_->size(); }

  void expect_object() const;
  void expect_array() const;
  // Rejects keys outside `allowed`, naming the first unknown one and the allowed set.
  void allow_keys(const std::set<std::string>& allowed) const;

  std::string as_string() const;
  int64_t as_int(int64_t lo = INT64_MIN, int64_t hi = INT64_MAX) const;
  double as_number() const;
  bool as_bool() const;

  // Optional members with defaults.
  std::string get_string(const std::string& key, const std::string& def) const;
  int64_t get_int(const std::string& key, int64_t def, int64_t lo = INT64_MIN,
                  int64_t hi = INT64_MAX) const;
  double get_number(const std::string& key, double def) const;
  bool get_bool(const std::string& key, bool def) const;

  [[noreturn]] void fail(const std::string& what) const { throw ConfigError(path_, what); }

 private:
  const nlohmann::json* v_;
  std::string path_;
};

// The JSON type of a value, for messages ("a string", "an array", ...).
std::string json_type_name(const nlohmann::json& v);

}  // namespace nnr

#endif  // NNR_HARNESS_JSON_READER_H
