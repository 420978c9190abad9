#include "common/settings_json.h"

#include <cmath>
#include <map>
#include <set>

namespace nnr {

namespace {

using json = nlohmann::json;

struct SettingsError {
  std::string path, what;
};

int get_int(const json& v, const std::string& path) {
  if (!v.is_number_integer()) throw SettingsError{path, "expected an integer"};
  const int64_t x = v.get<int64_t>();
  if (x < INT32_MIN || x > INT32_MAX) throw SettingsError{path, "integer out of range"};
  return static_cast<int>(x);
}

bool get_bool(const json& v, const std::string& path) {
  if (!v.is_boolean()) throw SettingsError{path, "expected true or false"};
  return v.get<bool>();
}

double get_number(const json& v, const std::string& path) {
  if (!v.is_number()) throw SettingsError{path, "expected a number"};
  return v.get<double>();
}

float get_float(const json& o, const char* key, const std::string& path) {
  if (!o.contains(key)) throw SettingsError{path + "/" + key, "missing"};
  const double x = get_number(o[key], path + "/" + key);
  if (!std::isfinite(x) || std::fabs(x) > 3.4e38) throw SettingsError{path + "/" + key, "expected a finite float32"};
  return static_cast<float>(x);
}

template <typename T>
std::vector<T> get_dims(const json& o, const char* key, const std::string& path, uint64_t max) {
  std::vector<T> d;
  if (!o.contains(key)) return d;
  const json& a = o[key];
  if (!a.is_array() || a.size() > 254) throw SettingsError{path + "/" + key, "expected an array of at most 254 sizes"};
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string p = path + "/" + key + "/" + std::to_string(i);
    if (!a[i].is_number_integer() || a[i].get<int64_t>() < 0 || a[i].get<uint64_t>() > max)
      throw SettingsError{p, "expected an integer in [0, " + std::to_string(max) + "]"};
    d.push_back(static_cast<T>(a[i].get<uint64_t>()));
  }
  return d;
}

// "performance_maps": {"sparsification": [{"threshold", "non_zero_ratio",
// "accuracy"}], "pruning": [{"ratio", "accuracy"}], "unification":
// [{"reshaped_tensor_dimensions", "super_block_dimensions",
// "block_dimensions", "threshold", "accuracy"}], "decomposition":
// [{"mse_threshold", "accuracy", "reduction_ratio"}]}
PerformanceMaps get_performance_maps(const json& v, const std::string& path) {
  if (!v.is_object()) throw SettingsError{path, "expected an object"};
  PerformanceMaps m;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string p = path + "/" + it.key();
    const json& a = it.value();
    if (!a.is_array() || a.size() > 254) throw SettingsError{p, "expected an array of at most 254 entries"};
    static const std::map<std::string, std::set<std::string>> keys = {
        {"sparsification", {"threshold", "non_zero_ratio", "accuracy"}},
        {"pruning", {"ratio", "accuracy"}},
        {"unification", {"reshaped_tensor_dimensions", "super_block_dimensions", "block_dimensions", "threshold", "accuracy"}},
        {"decomposition", {"mse_threshold", "accuracy", "reduction_ratio"}}};
    auto kind = keys.find(it.key());
    if (kind == keys.end()) throw SettingsError{p, "unknown map (sparsification, pruning, unification, decomposition)"};
    for (size_t i = 0; i < a.size(); ++i) {
      const std::string q = p + "/" + std::to_string(i);
      const json& e = a[i];
      if (!e.is_object()) throw SettingsError{q, "expected an object"};
      for (auto k = e.begin(); k != e.end(); ++k)
        if (!kind->second.count(k.key())) throw SettingsError{q + "/" + k.key(), "unknown key"};
      if (it.key() == "sparsification")
        m.sparsification.push_back({get_float(e, "threshold", q), get_float(e, "non_zero_ratio", q), get_float(e, "accuracy", q)});
      else if (it.key() == "pruning")
        m.pruning.push_back({get_float(e, "ratio", q), get_float(e, "accuracy", q)});
      else if (it.key() == "decomposition")
        m.decomposition.push_back({get_float(e, "mse_threshold", q), get_float(e, "accuracy", q), get_float(e, "reduction_ratio", q)});
      else
        m.unification.push_back({get_dims<uint32_t>(e, "reshaped_tensor_dimensions", q, 0xFFFFFFFFu),
                                 get_dims<uint8_t>(e, "super_block_dimensions", q, 255),
                                 get_dims<uint8_t>(e, "block_dimensions", q, 255), get_float(e, "threshold", q),
                                 get_float(e, "accuracy", q)});
    }
  }
  return m;
}

}  // namespace

Status settings_from_json(const json& j, const std::string& path, EncoderSettings* s) {
  try {
    if (!j.is_object()) throw SettingsError{path.empty() ? "/" : path, "expected an object"};
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      const json& v = it.value();
      const std::string p = path + "/" + k;
      if (k == "qp") s->qp = get_int(v, p);
      else if (k == "qp_density") s->qp_density = get_int(v, p);
      else if (k == "nonweight_qp") s->nonweight_qp = v.is_null() ? std::nullopt : std::optional<int>(get_int(v, p));
      else if (k == "qp_per_tensor") {
        s->qp_per_tensor.clear();
        if (!v.is_null()) {
          if (!v.is_object()) throw SettingsError{p, "expected an object of tensor name -> qp, or null"};
          for (auto q = v.begin(); q != v.end(); ++q) s->qp_per_tensor[q.key()] = get_int(q.value(), p + "/" + q.key());
        }
      } else if (k == "use_dq") s->use_dq = get_bool(v, p);
      else if (k == "codebook_mode") s->codebook_mode = get_int(v, p);
      else if (k == "scan_order") s->scan_order = get_int(v, p);
      else if (k == "lambda_scale") s->lambda_scale = get_number(v, p);
      else if (k == "param_opt") s->param_opt = get_bool(v, p);
      else if (k == "cabac_unary_length_minus1") s->cabac_unary_length_minus1 = get_int(v, p);
      else if (k == "opt_qp") s->opt_qp = get_bool(v, p);
      else if (k == "bnf") s->bnf = get_bool(v, p);
      else if (k == "general_profile_idc") s->general_profile_idc = get_int(v, p);
      else if (k == "row_skipping") s->row_skipping = get_bool(v, p);
      else if (k == "tca") s->tca = get_bool(v, p);
      else if (k == "compress_differences") s->compress_differences = get_bool(v, p);
      else if (k == "hdsp") s->hdsp = get_bool(v, p);
      else if (k == "device_id") s->device_id = get_int(v, p);
      else if (k == "int_quant_bw") {
        // false/0: off; true counts as 1, as in the reference software.
        if (v.is_boolean()) s->int_quant_bw = v.get<bool>() ? 1 : 0;
        else s->int_quant_bw = get_int(v, p);
        if (s->int_quant_bw < 0 || s->int_quant_bw > 31) throw SettingsError{p, "expected false or a bit depth 1..31"};
      }
      else if (k == "decomposed_weight_shape") {
        s->decomposed_weight_shape.clear();
        if (!v.is_null()) {
          if (!v.is_object()) throw SettingsError{p, "expected an object of weight name -> shape, or null"};
          for (auto w = v.begin(); w != v.end(); ++w) {
            const std::string wp = p + "/" + w.key();
            if (!w.value().is_array() || w.value().empty()) throw SettingsError{wp, "expected a non-empty array of dimensions"};
            std::vector<int64_t> dims;
            for (const json& d : w.value()) {
              if (!d.is_number_integer() || d.get<int64_t>() < 1) throw SettingsError{wp, "dimensions must be positive integers"};
              dims.push_back(d.get<int64_t>());
            }
            s->decomposed_weight_shape[w.key()] = dims;
          }
        }
      }
      else if (k == "ioq" || k == "lsa" || k == "fine_tune") {
        // Training- and evaluation-driven options of the reference encoder.
        if (get_bool(v, p)) throw SettingsError{p, "needs training or a task evaluator; not supported by the encoder"};
      } else if (k == "block_id_and_param_type") {
        s->has_blocks = false;
        s->block_id.clear();
        s->parameter_type.clear();
        if (!v.is_null()) {
          if (!v.is_object() || !v.contains("block_identifier") || !v.contains("parameter_type"))
            throw SettingsError{p, "expected {\"block_identifier\": {...}, \"parameter_type\": {...}} or null"};
          const json& bi = v["block_identifier"];
          const json& pt = v["parameter_type"];
          if (!bi.is_object()) throw SettingsError{p + "/block_identifier", "expected an object"};
          if (!pt.is_object()) throw SettingsError{p + "/parameter_type", "expected an object"};
          for (auto b = bi.begin(); b != bi.end(); ++b) {
            if (b.value().is_null()) s->block_id[b.key()] = std::nullopt;
            else if (b.value().is_string()) s->block_id[b.key()] = b.value().get<std::string>();
            else throw SettingsError{p + "/block_identifier/" + b.key(), "expected a string or null"};
          }
          static const std::set<std::string> types = {"weight", "bias", "bn.beta", "bn.gamma", "bn.mean",
                                                      "bn.var", "weight.ls", "unspecified", "raw"};
          for (auto t = pt.begin(); t != pt.end(); ++t) {
            if (!t.value().is_string() || !types.count(t.value().get<std::string>()))
              throw SettingsError{p + "/parameter_type/" + t.key(),
                                  "expected one of weight, bias, bn.beta, bn.gamma, bn.mean, bn.var, weight.ls, unspecified, raw"};
            s->parameter_type[t.key()] = t.value().get<std::string>();
          }
          s->has_blocks = true;
        }
      } else if (k == "block_id_and_param_type_source") {
        // informative in manifests
      } else if (k == "performance_maps") {
        s->performance_maps = get_performance_maps(v, p);
      } else if (k == "model_kind") {
        if (!v.is_string()) throw SettingsError{p, "expected \"plain\", \"pytorch\" or \"tensorflow\""};
        const std::string m = v.get<std::string>();
        if (m == "plain") s->model_kind = ModelKind::kPlain;
        else if (m == "pytorch") s->model_kind = ModelKind::kPyTorch;
        else if (m == "tensorflow") s->model_kind = ModelKind::kTensorFlow;
        else throw SettingsError{p, "expected \"plain\", \"pytorch\" or \"tensorflow\""};
      } else {
        throw SettingsError{p, "unknown key"};
      }
    }
  } catch (const SettingsError& e) {
    return Status(ErrorCode::kInvalidArgument, kNoOffset, e.path + ": " + e.what);
  }
  return Status();
}

}  // namespace nnr
