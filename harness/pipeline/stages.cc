#include "pipeline/stages.h"

#include <Eigen/Dense>

#include <chrono>
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "common/settings_json.h"
#include "nnr/encoder.h"
#include "nnr/error.h"

namespace nnr {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

const std::set<std::string> kFineTuneKeys = {"samples", "epochs", "lr", "batch_size", "seed"};


void check_share(const JsonNode& v, bool zero_ok) {
  const double x = v.as_number();
  if (!((zero_ok ? x >= 0 : x > 0) && x < 1)) v.fail(zero_ok ? "expected a share in [0, 1)" : "expected a share in (0, 1)");
}

void check_block(const JsonNode& s) {
  if (!s.has("block")) return;
  const JsonNode b = s.at("block");
  b.expect_array();
  if (b.size() != 3) b.fail("expected three block sizes [out, in, kernel]");
  for (size_t i = 0; i < 3; ++i) b.at(i).as_int(1, 1 << 16);
}

std::set<std::string> with(std::set<std::string> a, const std::set<std::string>& b) {
  a.insert(b.begin(), b.end());
  return a;
}

FineTuneOptions fine_tune_options(const json& s) {
  FineTuneOptions o;
  o.samples = s.value("samples", int64_t{10000});
  o.epochs = s.value("epochs", 0.0);
  o.lr = s.value("lr", 1e-4);
  o.batch_size = s.value("batch_size", 64);
  o.seed = s.value("seed", uint64_t{1});
  return o;
}

std::array<int64_t, 3> block_of(const json& s) {
  std::array<int64_t, 3> b = {4, 4, 1};
  if (s.contains("block"))
    for (size_t i = 0; i < 3; ++i) b[i] = s["block"][i].get<int64_t>();
  return b;
}

json report_json(const FineTuneReport& r) {
  return {{"steps", r.steps}, {"samples", r.samples}, {"first_loss", r.first_loss}, {"last_loss", r.last_loss},
          {"seconds", r.seconds}};
}

// Loads the model that `r.params` codes (factors multiplied back) into the
// use case, for a stage that trains or measures it; `what` names the stage.
void load_reduced(const StageResult& r, const std::vector<Tensor>& original, UseCase* uc, const std::string& what) {
  if (!uc) throw Error(ErrorCode::kInvalidArgument, kNoOffset, what + " needs a use case with a network");
  std::vector<Tensor> full;
  std::string why;
  if (!recompose(r.params, original, &full, &why)) throw Error(ErrorCode::kInvalidData, kNoOffset, why);
  const Status st = uc->load_parameters(full);
  if (!st.ok()) throw Error(st.code(), kNoOffset, what + ": " + st.message());
}

// Fine-tunes `r.params` (possibly holding factors) through the use case:
// the model's tensors are recomposed and loaded, factors and masks passed,
// and the trained values put back in the coded list.
json fine_tune(StageResult& r, const std::vector<Tensor>& original, UseCase* uc, FineTuneOptions o) {
  load_reduced(r, original, uc, "fine-tuning");
  std::map<std::string, const Tensor*> by_name;
  for (const Tensor& t : r.params) by_name[t.name] = &t;
  for (const Tensor& t : original) {
    auto g = by_name.find(t.name + "_G"), h = by_name.find(t.name + "_H");
    if (!by_name.count(t.name) && g != by_name.end() && h != by_name.end())
      o.factors[t.name] = {*g->second, *h->second};
  }
  o.held = r.held;
  FineTuneReport rep;
  Status st = uc->fine_tune(o, &rep);
  if (!st.ok()) throw Error(st.code(), kNoOffset, "fine-tuning: " + st.message());
  std::map<std::string, Tensor> trained;
  for (Tensor& t : uc->parameters()) trained[t.name] = std::move(t);
  for (auto& [name, gh] : rep.factors) {
    trained[gh.first.name] = gh.first;
    trained[gh.second.name] = gh.second;
  }
  for (Tensor& t : r.params) {
    auto it = trained.find(t.name);
    if (it != trained.end() && it->second.shape == t.shape) t.f32 = it->second.f32;
  }
  return report_json(rep);
}

// Every zero of a weight is held from now on.
void hold_zeros(StageResult& r) {
  for (const Tensor& t : r.params) {
    if (!is_weight(t)) continue;
    std::vector<uint8_t>* m = nullptr;
    for (size_t i = 0; i < t.f32.size(); ++i)
      if (t.f32[i] == 0.0f) {
        if (!m) {
          m = &r.held[t.name];
          if (m->empty()) m->assign(t.f32.size(), 0);
        }
        (*m)[i] = 1;
      }
  }
}

// Names the block of weight `w` with its local scales `scale_name` and (the
// same module's) bias for settings["block_id_and_param_type"].
void name_scaled_block(const Tensor& w, const std::string& scale_name,
                       const std::map<std::string, const Tensor*>& by_name, json* ids, json* types) {
  const std::string id = w.name.size() > 6 ? w.name.substr(0, w.name.size() - 6) : w.name;
  (*ids)[w.name] = id;
  (*types)[w.name] = "weight";
  (*ids)[scale_name] = id;
  (*types)[scale_name] = "weight.ls";
  auto b = by_name.find(id + "bias");
  if (b != by_name.end() && b->second->shape.size() == 1 && b->second->shape[0] == w.shape[0]) {
    (*ids)[b->first] = id;
    (*types)[b->first] = "bias";
  }
}

// qp_allocation: the step of each weight from its sensitivity on the
// (reduced) model as it stands.
void allocate_steps(StageResult& r, const std::vector<Tensor>& original, UseCase* uc, const json& s, json* e) {
  load_reduced(r, original, uc, "qp_allocation");
  FineTuneOptions o = fine_tune_options(s);
  o.samples = s.value("samples", int64_t{2048});
  o.batch_size = s.value("batch_size", 16);
  o.mode = "sensitivity";
  o.fisher = s.value("fisher", std::string("data"));
  if (s.contains("ls_qp")) r.ls_qp = s["ls_qp"].get<int>();
  FineTuneReport rep;
  Status st = uc->fine_tune(o, &rep);
  if (!st.ok()) throw Error(st.code(), kNoOffset, "qp_allocation: " + st.message());
  // A factor (<W>_G, <W>_H) takes its weight's step.
  const auto sensitivity_of = [&](const std::string& name) -> const double* {
    auto it = rep.sensitivity.find(name);
    if (it == rep.sensitivity.end() && name.size() > 2 && (name.compare(name.size() - 2, 2, "_G") == 0 ||
                                                          name.compare(name.size() - 2, 2, "_H") == 0))
      it = rep.sensitivity.find(name.substr(0, name.size() - 2));
    return it == rep.sensitivity.end() ? nullptr : &it->second;
  };
  const double limit = std::log2(s.value("max_scale", 16.0));
  const bool per_channel = s.value("granularity", std::string("tensor")) == "channel";
  // -log2(F)/2 per weight, or per output channel of it; no gradient at all
  // (a dead weight or channel): as coarse as allowed.
  const auto log_step = [](double f) { return f > 0 ? -0.5 * std::log2(f) : std::numeric_limits<double>::infinity(); };
  std::map<std::string, std::vector<double>> raw;
  double sum = 0, elements = 0;
  for (const Tensor& t : r.params) {
    if (!is_weight(t)) continue;
    const double* f = sensitivity_of(t.name);
    if (!f) continue;
    std::vector<double>& v = raw[t.name];
    auto ch = rep.channel_sensitivity.find(t.name);
    // Factors (no local scaling with decomposition) keep one step.
    if (per_channel && ch != rep.channel_sensitivity.end() && ch->second.size() == static_cast<size_t>(t.shape[0]))
      for (double fc : ch->second) v.push_back(log_step(fc));
    else
      v.push_back(log_step(*f));
    const double per = static_cast<double>(t.numel()) / static_cast<double>(v.size());
    for (double x : v)
      if (std::isfinite(x)) sum += x * per, elements += per;
  }
  if (elements == 0) throw Error(ErrorCode::kInvalidData, kNoOffset, "qp_allocation: no weight has a gradient");
  const double mean = sum / elements;
  json steps = json::object();
  double lo = 0, hi = 0;
  int64_t channels = 0;
  for (auto& [name, v] : raw) {
    // Clipped around the global step; the weight's step is its channels'
    // geometric mean, the channels' own relative to it.
    double m = 0;
    for (double& x : v) {
      x = std::clamp(x - mean, -limit, limit);
      m += x / static_cast<double>(v.size());
      lo = std::min(lo, x), hi = std::max(hi, x);
    }
    r.step_log2[name] = m;
    steps[name] = std::round(m * 1000) / 1000;
    if (v.size() > 1) {
      for (double& x : v) x -= m;
      channels += static_cast<int64_t>(v.size());
      r.channel_step_log2[name] = v;
    }
  }
  (*e)["effect"] = {{"weights", raw.size()}, {"channels", channels}, {"step_log2_min", lo}, {"step_log2_max", hi},
                    {"step_log2", steps}};
  (*e)["training"] = report_json(rep);
}

}  // namespace

std::map<std::string, int> qp_per_tensor_from_steps(const std::map<std::string, double>& step_log2, int qp,
                                                    int qp_density, const std::map<std::string, int>& explicit_qps) {
  std::map<std::string, int> out = explicit_qps;
  const double per_octave = static_cast<double>(1 << qp_density);
  for (const auto& [name, v] : step_log2)
    out.emplace(name, qp + static_cast<int>(std::lround(v * per_octave)));
  return out;
}

std::vector<Tensor> with_channel_steps(const std::vector<Tensor>& params, const StageResult& r, int qp,
                                       int qp_density, const std::map<std::string, int>& qps, json* settings) {
  std::map<std::string, const Tensor*> by_name;
  for (const Tensor& t : params) by_name[t.name] = &t;
  json ids = json::object(), types = json::object();
  std::vector<Tensor> out;
  for (const Tensor& t : params) {
    out.push_back(t);
    auto c = r.channel_step_log2.find(t.name);
    auto q = qps.find(t.name);
    auto w = r.step_log2.find(t.name);
    if (c == r.channel_step_log2.end() || q == qps.end() || w == r.step_log2.end() ||
        c->second.size() != static_cast<size_t>(t.shape[0]) || t.f32.size() != static_cast<size_t>(t.numel()))
      continue;
    // A qp the entry sets itself (not the allocation's) is kept as it is.
    if (q->second != qp + static_cast<int>(std::lround(w->second * static_cast<double>(1 << qp_density)))) continue;
    // The weight's step over the one its qp gives (the qp's rounding), made
    // up in the scales.
    const double rest =
        w->second + std::log2(quantizer_step_size(qp, qp_density) / quantizer_step_size(q->second, qp_density));
    Tensor scale;
    scale.name = t.name + "_scaling";
    scale.dtype = DType::kFloat32;
    scale.shape = {t.shape[0]};
    const size_t row = t.f32.size() / c->second.size();
    for (size_t k = 0; k < c->second.size(); ++k) {
      const float sk = static_cast<float>(std::exp2(c->second[k] + rest));
      scale.f32.push_back(sk);
      for (size_t i = k * row; i < (k + 1) * row; ++i) out.back().f32[i] = t.f32[i] / sk;
    }
    name_scaled_block(t, scale.name, by_name, &ids, &types);
    if (r.ls_qp) (*settings)["qp_per_tensor"][scale.name] = *r.ls_qp;
    out.push_back(std::move(scale));
  }
  if (!ids.empty()) (*settings)["block_id_and_param_type"] = {{"block_identifier", ids}, {"parameter_type", types}};
  return out;
}

void check_fine_tune_options(const JsonNode& s) {
  if (s.has("samples")) s.at("samples").as_int(1, int64_t{1} << 40);
  if (s.has("epochs")) {
    const double e = s.at("epochs").as_number();
    if (!(e > 0 && e <= 1000)) s.at("epochs").fail("expected a number of passes in (0, 1000]");
    if (s.has("samples")) s.fail("expected one of \"samples\" or \"epochs\"");
  }
  if (s.has("batch_size")) s.at("batch_size").as_int(1, 65536);
  if (s.has("seed")) s.at("seed").as_int(0);
  if (s.has("lr")) {
    const double lr = s.at("lr").as_number();
    if (!(lr > 0 && lr < 10)) s.at("lr").fail("expected a learning rate in (0, 10)");
  }
}

void check_stages(const JsonNode& stages) {
  stages.expect_array();
  for (size_t i = 0; i < stages.size(); ++i) {
    const JsonNode s = stages.at(i);
    s.expect_object();
    const std::string type = s.at("type").as_string();
    if (type == "sparsify") {
      s.allow_keys({"type", "ratio", "scope", "threshold", "sparsity_loss", "fine_tune"});
      if (s.has("ratio") == s.has("threshold")) s.fail("expected one of \"ratio\" or \"threshold\"");
      if (s.has("scope")) {
        const std::string scope = s.at("scope").as_string();
        if (scope != "per_weight" && scope != "global") s.at("scope").fail("expected \"per_weight\" or \"global\"");
        if (!s.has("ratio")) s.at("scope").fail("goes with \"ratio\"");
      }
      if (s.has("ratio")) check_share(s.at("ratio"), true);
      if (s.has("threshold") && !(s.at("threshold").as_number() > 0)) s.at("threshold").fail("expected a number > 0");
      if (s.has("sparsity_loss")) {
        const JsonNode l = s.at("sparsity_loss");
        l.expect_object();
        l.allow_keys(with(kFineTuneKeys, {"m"}));
        const double m = l.at("m").as_number();
        if (!(m > 0 && m < 1e6)) l.at("m").fail("expected m > 0");
        check_fine_tune_options(l);
      }
    } else if (type == "prune" || type == "unify") {
      s.allow_keys(type == "prune" ? std::set<std::string>{"type", "method", "ratio", "block", "keep_shapes", "fine_tune"}
                                   : std::set<std::string>{"type", "ratio", "block", "super_block", "fine_tune"});
      check_share(s.at("ratio"), true);
      check_block(s);
      const bool filters = s.has("method") && s.at("method").as_string() == "filters";
      if (s.has("method")) {
        const std::string m = s.at("method").as_string();
        if (m != "blocks" && m != "filters") s.at("method").fail("expected \"blocks\" or \"filters\"");
        if (m == "filters" && s.has("block")) s.at("block").fail("filter pruning takes no block");
      }
      if (s.has("super_block")) {
        const JsonNode sb = s.at("super_block");
        sb.expect_array();
        if (sb.size() != 2) sb.fail("expected two super-block sizes [out, in]");
        const std::array<int64_t, 3> b = block_of(s.json());  // checked above
        for (size_t d = 0; d < 2; ++d)
          if (sb.at(d).as_int(1, 1 << 20) % b[d] != 0)
            sb.at(d).fail("expected a multiple of the block's size " + std::to_string(b[d]));
      }
      if (s.has("keep_shapes") && !filters) s.at("keep_shapes").fail("only filter pruning rebuilds the network");
      if (filters && !(s.has("keep_shapes") && s.at("keep_shapes").as_bool()))
        for (size_t j = 0; j < stages.size(); ++j)
          if (stages.at(j).has("type") && stages.at(j).at("type").as_string() == "low_rank")
            s.fail("filter pruning that rebuilds the network and low_rank cannot be combined (give \"keep_shapes\": true)");
    } else if (type == "low_rank") {
      s.allow_keys({"type", "energy", "rank_ratio", "fine_tune"});
      if (s.has("energy") == s.has("rank_ratio")) s.fail("expected one of \"energy\" or \"rank_ratio\"");
      const JsonNode v = s.has("energy") ? s.at("energy") : s.at("rank_ratio");
      const double x = v.as_number();
      if (!(x > 0 && x <= 1)) v.fail("expected a share in (0, 1]");
    } else if (type == "fine_tune" || type == "lsa") {
      s.allow_keys(with(kFineTuneKeys, type == "lsa" ? std::set<std::string>{"type", "nonweights", "ls_qp", "weights", "weights_lr"}
                                                     : std::set<std::string>{"type"}));
      if (s.has("nonweights")) s.at("nonweights").as_bool();
      if (s.has("ls_qp")) s.at("ls_qp").as_int(-256, 255);
      if (s.has("weights")) s.at("weights").as_bool();
      if (s.has("weights_lr")) {
        const double lr = s.at("weights_lr").as_number();
        if (!(lr > 0 && lr < 10)) s.at("weights_lr").fail("expected a learning rate in (0, 10)");
      }
      check_fine_tune_options(s);
      if (type == "lsa" && i + 1 != stages.size()) s.fail("\"lsa\" works on the quantized model: it must come last");
    } else if (type == "bn_adapt") {
      s.allow_keys({"type", "samples", "batch_size", "seed"});
      check_fine_tune_options(s);
    } else if (type == "qp_allocation") {
      s.allow_keys({"type", "samples", "batch_size", "seed", "max_scale", "fisher", "granularity", "ls_qp"});
      if (s.has("ls_qp")) s.at("ls_qp").as_int(-256, 255);
      if (s.has("granularity") && s.at("granularity").as_string() != "channel" &&
          s.at("granularity").as_string() != "tensor")
        s.at("granularity").fail("expected \"channel\" (a step per output channel) or \"tensor\"");
      check_fine_tune_options(s);
      if (s.has("fisher") && s.at("fisher").as_string() != "model" && s.at("fisher").as_string() != "data")
        s.at("fisher").fail("expected \"model\" (targets drawn from the network) or \"data\" (the training labels)");
      if (s.has("max_scale")) {
        const double m = s.at("max_scale").as_number();
        if (!(m >= 1 && m <= 1024)) s.at("max_scale").fail("expected a factor in [1, 1024]");
      }
      for (size_t j = i + 1; j < stages.size(); ++j)
        if (!(stages.at(j).has("type") && stages.at(j).at("type").as_string() == "lsa"))
          s.fail("\"qp_allocation\" measures the model as coded: only \"lsa\" may follow it");
    } else {
      s.at("type").fail("unknown stage '" + type +
                        "' (known: sparsify, prune, unify, low_rank, fine_tune, bn_adapt, qp_allocation, lsa)");
    }
    if (s.has("fine_tune")) {
      const JsonNode f = s.at("fine_tune");
      f.expect_object();
      f.allow_keys(kFineTuneKeys);
      check_fine_tune_options(f);
    }
  }
}

json with_fine_tune_override(const json& stages, const json& fine_tune) {
  json out = stages;
  if (!fine_tune.is_object() || fine_tune.empty() || !out.is_array()) return out;
  const auto apply = [&](json& options) {
    if (fine_tune.contains("epochs")) options.erase("samples");
    if (fine_tune.contains("samples")) options.erase("epochs");
    for (auto it = fine_tune.begin(); it != fine_tune.end(); ++it) options[it.key()] = it.value();
  };
  for (json& s : out) {
    if (s.value("type", "") == "fine_tune") apply(s);
    if (s.contains("fine_tune")) apply(s["fine_tune"]);
  }
  return out;
}

json with_stage_options(const json& stages, const json& stage_options) {
  json out = stages;
  if (!stage_options.is_object() || stage_options.empty() || !out.is_array()) return out;
  // Keys of which a stage takes one: setting one drops the other.
  static const std::map<std::string, std::string> kExclusive = {
      {"ratio", "threshold"}, {"threshold", "ratio"}, {"energy", "rank_ratio"}, {"rank_ratio", "energy"},
      {"samples", "epochs"},  {"epochs", "samples"}};
  for (json& s : out) {
    const auto o = stage_options.find(s.value("type", ""));
    if (o == stage_options.end()) continue;
    for (auto it = o->begin(); it != o->end(); ++it) {
      if (const auto x = kExclusive.find(it.key()); x != kExclusive.end()) s.erase(x->second);
      s[it.key()] = it.value();
    }
  }
  return out;
}

void check_stage_options(const JsonNode& n) {
  n.expect_object();
  n.allow_keys({"sparsify", "prune", "unify", "low_rank", "lsa", "fine_tune", "bn_adapt", "qp_allocation"});
  for (auto it = n.json().begin(); it != n.json().end(); ++it) {
    const JsonNode o = n.at(it.key());
    o.expect_object();
    if (o.has("type")) o.at("type").fail("the stage type is the key above");
  }
}

json stages_for_usecase(const json& stages, const json& fine_tune, const json& stage_options) {
  return with_stage_options(with_fine_tune_override(stages, fine_tune), stage_options);
}

bool stages_end_with_lsa(const json& stages) {
  return stages.is_array() && !stages.empty() && stages.back().value("type", "") == "lsa";
}

StageResult apply_stages(const json& stages, const std::vector<Tensor>& params, UseCase* uc) {
  StageResult start;
  start.params = params;
  return apply_stages(stages, params, uc, std::move(start));
}

StageResult apply_stages(const json& stages, const std::vector<Tensor>& params, UseCase* uc, StageResult r) {
  r.error.clear();
  for (const json& s : stages) {
    const auto t0 = Clock::now();
    json e = s;
    const std::string type = s.at("type").get<std::string>();
    if (type == "lsa") continue;  // per point, after quantization
    if (type == "sparsify") {
      if (s.contains("sparsity_loss")) {
        FineTuneOptions o = fine_tune_options(s["sparsity_loss"]);
        o.sparsity_m = s["sparsity_loss"]["m"].get<double>();
        e["sparsity_training"] = fine_tune(r, params, uc, o);
      }
      e["effect"] = sparsify(r.params, s.value("ratio", 0.0), s.value("threshold", 0.0),
                             s.value("scope", "per_weight") == "global");
      hold_zeros(r);
    } else if (type == "prune") {
      const double ratio = s.at("ratio").get<double>();
      if (s.value("method", "blocks") != "filters") {
        e["effect"] = prune_blocks(r.params, ratio, block_of(s), &r.held);
      } else if (s.value("keep_shapes", false)) {
        e["effect"] = prune_filters(r.params, ratio, &r.held);
      } else {
        if (!uc) throw Error(ErrorCode::kInvalidArgument, kNoOffset, "filter pruning at smaller shapes needs the use case's network (or \"keep_shapes\": true)");
        std::vector<models::ChannelGroup> groups;
        const Status st = models::channel_groups(uc->id(), r.params, &groups);
        if (!st.ok()) throw Error(st.code(), kNoOffset, "filter pruning: " + st.message());
        e["effect"] = prune_filters_rebuild(r.params, ratio, groups, &r.held);
      }
    } else if (type == "unify") {
      std::array<int64_t, 2> super_block = {0, 0};
      if (s.contains("super_block")) super_block = {s["super_block"][0].get<int64_t>(), s["super_block"][1].get<int64_t>()};
      e["effect"] = unify_blocks(r.params, s.at("ratio").get<double>(), block_of(s), &r.held, super_block);
    } else if (type == "low_rank") {
      e["effect"] = low_rank(r.params, r.settings, s.value("energy", 0.0), s.value("rank_ratio", 0.0));
    } else if (type == "fine_tune") {
      e["training"] = fine_tune(r, params, uc, fine_tune_options(s));
    } else if (type == "bn_adapt") {
      FineTuneOptions o = fine_tune_options(s);
      o.samples = s.value("samples", int64_t{2000});
      o.mode = "bn_stats";
      e["training"] = fine_tune(r, params, uc, o);
    } else if (type == "qp_allocation") {
      allocate_steps(r, params, uc, s, &e);
    }
    if (s.contains("fine_tune")) e["training"] = fine_tune(r, params, uc, fine_tune_options(s["fine_tune"]));
    e["seconds"] = std::chrono::duration<double>(Clock::now() - t0).count();
    r.log.push_back(std::move(e));
  }
  return r;
}

json performance_maps(const StageResult& r, double accuracy) {
  json maps = json::object();
  int64_t weights = 0, nonzero = 0;
  for (const Tensor& t : r.params) {
    if (!is_weight(t)) continue;
    weights += t.numel();
    for (float v : t.f32) nonzero += v != 0.0f;
  }
  const double non_zero_ratio = weights ? static_cast<double>(nonzero) / static_cast<double>(weights) : 1.0;
  for (const json& e : r.log) {
    const std::string type = e.value("type", "");
    const json& fx = e.contains("effect") ? e["effect"] : json::object();
    if (type == "sparsify") {
      maps["sparsification"].push_back({{"threshold", fx.value("largest_zeroed", 0.0)},
                                        {"non_zero_ratio", non_zero_ratio}, {"accuracy", accuracy}});
    } else if (type == "prune") {
      maps["pruning"].push_back({{"ratio", e.value("ratio", 0.0)}, {"accuracy", accuracy}});
    } else if (type == "unify") {
      maps["unification"].push_back({{"block_dimensions", block_of(e)}, {"threshold", e.value("ratio", 0.0)},
                                     {"accuracy", accuracy}});
    } else if (type == "low_rank") {
      const double before = fx.value("weight_elements_before", 0.0), after = fx.value("weight_elements_after", 0.0);
      maps["decomposition"].push_back({{"mse_threshold", e.contains("energy") ? 1.0 - e["energy"].get<double>() : 0.0},
                                       {"accuracy", accuracy},
                                       {"reduction_ratio", before > 0 ? after / before : 1.0}});
    }
  }
  return maps;
}

std::vector<Tensor> apply_lsa(const json& stage, const std::vector<Tensor>& coded, const std::vector<Tensor>& decoded,
                              UseCase& uc, json* settings, json* log) {
  const auto t0 = Clock::now();
  Status st = uc.load_parameters(decoded);
  if (!st.ok()) throw Error(st.code(), kNoOffset, "local scaling adaptation: " + st.message());
  FineTuneOptions o = fine_tune_options(stage);
  o.lr = stage.value("lr", 1e-3);
  o.mode = "scales";
  o.nonweights = stage.value("nonweights", false);
  std::map<std::string, const Tensor*> by_name;
  for (const Tensor& t : coded) by_name[t.name] = &t;
  // The scales a weight is already coded with (channel steps): its model
  // coordinates are the coded values times them.
  const auto per_channel = [&](const Tensor& t, bool multiply) {
    Tensor r = t;
    auto sc = by_name.find(t.name + "_scaling");
    if (sc == by_name.end() || sc->second->f32.empty() || r.f32.size() % sc->second->f32.size() != 0) return r;
    const size_t row = r.f32.size() / sc->second->f32.size();
    for (size_t i = 0; i < r.f32.size(); ++i) {
      const float k = sc->second->f32[i / row];
      r.f32[i] = multiply ? r.f32[i] * k : r.f32[i] / k;
    }
    return r;
  };
  EncoderSettings es;
  if (stage.value("weights", false)) {
    // The weights train too, through the encoder's own quantizer (the
    // decoder's reconstruction, bit for bit): each step codes the masters
    // as the point does and the network runs on what a decoder would see.
    es.model_kind = ModelKind::kPyTorch;
    st = settings_from_json(*settings, "/settings", &es);
    if (!st.ok()) throw Error(st.code(), kNoOffset, "local scaling adaptation: " + st.message());
    // The weights coded as they are (not factors).
    std::map<std::string, std::vector<int64_t>> model_shape;
    for (const Tensor& t : decoded) model_shape[t.name] = t.shape;
    for (const Tensor& t : coded)
      if (t.shape.size() >= 2 && !t.f32.empty() && model_shape.count(t.name) && model_shape[t.name] == t.shape)
        o.masters[t.name] = per_channel(t, true);
    o.masters_lr = stage.value("weights_lr", 1e-4);
    o.requantize = [&](std::map<std::string, Tensor>* w) -> Status {
      std::vector<Tensor> in;
      for (const Tensor& t : coded) {
        auto m = w->find(t.name);
        in.push_back(m == w->end() ? t : per_channel(m->second, false));
        in.back().name = t.name;
      }
      EncodeResult enc;
      Status e = encode(in, es, &enc);
      if (!e.ok()) return e;
      for (Tensor& r : enc.reconstruction)
        if (auto m = w->find(r.name); m != w->end()) m->second.f32 = std::move(r.f32);
      return Status();
    };
  }
  FineTuneReport rep;
  st = uc.fine_tune(o, &rep);
  if (!st.ok()) throw Error(st.code(), kNoOffset, "local scaling adaptation: " + st.message());
  // With "nonweights": the trained biases and batch-norm parameters replace
  // the coded ones (the weights stay as they were before quantization).
  std::map<std::string, Tensor> tuned;
  if (o.nonweights)
    for (Tensor& t : uc.parameters())
      if (t.shape.size() < 2) tuned[t.name] = std::move(t);
  std::map<std::string, const Tensor*> scales;
  for (const Tensor& s : rep.scales) scales[s.name] = &s;
  std::vector<Tensor> out;
  int64_t scaled = 0;
  json ids = json::object(), types = json::object();
  int64_t nonweights_tuned = 0;
  int64_t weights_tuned = 0;
  for (const Tensor& t : coded) {
    // Scales already coded (channel steps of qp_allocation) are trained on.
    if (scales.count(t.name) && by_name.count(t.name.substr(0, t.name.size() - 8))) continue;
    out.push_back(t);
    if (auto m = rep.masters.find(t.name); m != rep.masters.end() && m->second.f32.size() == t.f32.size()) {
      out.back().f32 = per_channel(m->second, false).f32;
      ++weights_tuned;
    }
    if (auto n = tuned.find(t.name); n != tuned.end() && n->second.shape == t.shape) {
      out.back().f32 = n->second.f32;
      ++nonweights_tuned;
    }
    auto it = scales.find(t.name + "_scaling");
    if (it == scales.end()) continue;  // only weights coded as they are (not factors)
    out.push_back(*it->second);
    if (auto before = by_name.find(it->first); before != by_name.end() && before->second->f32.size() == out.back().f32.size())
      for (size_t k = 0; k < out.back().f32.size(); ++k) out.back().f32[k] *= before->second->f32[k];
    ++scaled;
    name_scaled_block(t, it->second->name, by_name, &ids, &types);
  }
  (*settings)["block_id_and_param_type"] = {{"block_identifier", ids}, {"parameter_type", types}};
  if (stage.contains("ls_qp"))
    for (auto it = types.begin(); it != types.end(); ++it)
      if (it.value() == "weight.ls") (*settings)["qp_per_tensor"][it.key()] = stage["ls_qp"];
  json e = stage;
  e["training"] = report_json(rep);
  e["effect"] = {{"weights_scaled", scaled}};
  if (o.nonweights) e["effect"]["nonweights_tuned"] = nonweights_tuned;
  if (o.requantize) e["effect"]["weights_tuned"] = weights_tuned;
  e["seconds"] = std::chrono::duration<double>(Clock::now() - t0).count();
  *log = std::move(e);
  return out;
}

bool recompose(const std::vector<Tensor>& decoded, const std::vector<Tensor>& original, std::vector<Tensor>* out,
               std::string* why) {
  std::map<std::string, const Tensor*> by_name;
  for (const Tensor& t : decoded) by_name[t.name] = &t;
  out->clear();
  for (const Tensor& o : original) {
    auto it = by_name.find(o.name);
    if (it != by_name.end()) {
      out->push_back(*it->second);
      continue;
    }
    auto g = by_name.find(o.name + "_G"), h = by_name.find(o.name + "_H");
    if (g == by_name.end() || h == by_name.end()) {
      *why = "no tensor '" + o.name + "' (nor its factors) in the decoded model";
      return false;
    }
    const Tensor& G = *g->second;
    const Tensor& H = *h->second;
    const int64_t rows = G.shape[0], r = G.shape[1], cols = H.shape[1];
    Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> gm(G.f32.data(), rows, r);
    Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> hm(H.f32.data(), r, cols);
    Tensor w;
    w.name = o.name;
    w.shape = o.shape;
    w.f32.resize(static_cast<size_t>(rows * cols));
    Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(w.f32.data(), rows, cols) = gm * hm;
    out->push_back(std::move(w));
  }
  return true;
}

}  // namespace nnr
