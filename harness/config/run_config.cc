#include "config/run_config.h"

#include "config/json_text.h"
#include "pipeline/stages.h"
#include "pipeline/updates.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/settings_json.h"
#include "common/sha256.h"
#include "config/json_reader.h"

namespace nnr {
namespace fs = std::filesystem;
using json = nlohmann::json;

const char* codec_type_name(CodecType t) {
  switch (t) {
    case CodecType::kNnr: return "nnr";
    case CodecType::kAnchor: return "anchor";
    case CodecType::kExternal: return "external";
    case CodecType::kOriginal: return "original";
  }
  return "?";
}

namespace {

const std::set<std::string> kUseCaseIds = {"vgg16", "resnet50", "mobilenetv2", "dcase", "uc12b",
                                           "generic"};

std::string resolve(const std::string& base, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute() || base.empty()) return p;
  return (fs::path(base) / p).lexically_normal().string();
}

}  // namespace

bool CodecEntry::runs_on(const std::string& usecase_label) const {
  return usecases.empty() || std::find(usecases.begin(), usecases.end(), usecase_label) != usecases.end();
}

namespace {

UseCaseEntry parse_usecase(const JsonNode& n, const std::string& base, int threads) {
  n.allow_keys({"id", "label", "model", "data", "train_data", "limit", "variant", "batch_size", "seed", "arch",
                "fine_tune", "stage_options"});
  UseCaseEntry e;
  const JsonNode idn = n.at("id");
  e.options.id = idn.as_string();
  if (!kUseCaseIds.count(e.options.id))
    idn.fail("unknown use case '" + e.options.id +
             "' (expected vgg16, resnet50, mobilenetv2, dcase, uc12b or generic)");
  e.label = n.get_string("label", e.options.id);
  if (e.label.empty()) n.at("label").fail("expected a non-empty string");
  e.options.model = resolve(base, n.get_string("model", ""));
  e.options.data = resolve(base, n.get_string("data", ""));
  if (!e.options.model.empty() && !fs::exists(e.options.model))
    n.at("model").fail("file not found: " + e.options.model);
  if (!e.options.data.empty() && !fs::exists(e.options.data))
    n.at("data").fail("not found: " + e.options.data);
  e.options.train_data = resolve(base, n.get_string("train_data", ""));
  if (!e.options.train_data.empty() && !fs::exists(e.options.train_data))
    n.at("train_data").fail("not found: " + e.options.train_data);
  if (e.options.id == "generic" && e.options.model.empty())
    n.fail("use case 'generic' needs \"model\" (a .pt state dict or .npz)");
  e.options.limit = n.get_int("limit", 0, 0);
  e.options.variant = n.get_string("variant", "embedded");
  if (e.options.variant != "embedded" && e.options.variant != "full")
    n.at("variant").fail("expected \"embedded\" or \"full\"");
  e.options.batch_size = static_cast<int>(n.get_int("batch_size", 64, 1, 4096));
  e.options.seed = static_cast<uint64_t>(n.get_int("seed", 1, 0));
  e.options.threads = threads;
  if (n.has("fine_tune")) {
    const JsonNode f = n.at("fine_tune");
    f.expect_object();
    f.allow_keys({"samples", "epochs", "lr", "batch_size", "seed"});
    check_fine_tune_options(f);
    e.fine_tune = f.json();
  }
  if (n.has("stage_options")) {
    check_stage_options(n.at("stage_options"));
    e.stage_options = n.at("stage_options").json();
  }
  if (n.has("arch")) {
    const JsonNode a = n.at("arch");
    a.expect_object();
    for (auto it = a.json().begin(); it != a.json().end(); ++it)
      e.options.arch[it.key()] = a.at(it.key()).as_number();
  }
  return e;
}

// Runs settings_from_json and turns its error into a ConfigError at `at`.
void apply_settings(const json& obj, const JsonNode& at, EncoderSettings* s) {
  const Status st = settings_from_json(obj, at.path(), s);
  if (!st.ok()) {
    // The message is "<path>: <what>"; keep the path it names.
    const std::string m = st.message();
    const size_t colon = m.find(": ");
    if (colon != std::string::npos) throw ConfigError(m.substr(0, colon), m.substr(colon + 2));
    at.fail(m);
  }
}

void check_qp_range(const EncoderSettings& s, const JsonNode& at) {
  if (s.qp_density < 0 || s.qp_density > 7)
    at.fail("qp_density " + std::to_string(s.qp_density) + " out of range [0, 7]");
  // With the MPS base QP at 0 (as written), a qp must fit its (6 + qp_density)-bit offset.
  const int lim = 1 << (5 + s.qp_density);
  auto check = [&](int qp, const std::string& what) {
    if (qp < -lim || qp > lim - 1)
      at.fail(what + " " + std::to_string(qp) + " out of range [" + std::to_string(-lim) + ", " +
              std::to_string(lim - 1) + "] for qp_density " + std::to_string(s.qp_density));
  };
  check(s.qp, "qp");
  if (s.nonweight_qp && *s.nonweight_qp != 0) check(*s.nonweight_qp, "nonweight_qp");
  for (const auto& [name, qp] : s.qp_per_tensor) check(qp, "qp_per_tensor['" + name + "']");
}

std::vector<std::vector<json>> combinations(const CodecEntry& c) {
  std::vector<std::vector<json>> out(1);
  for (const auto& [key, values] : c.sweep) {
    std::vector<std::vector<json>> next;
    for (const auto& prefix : out)
      for (const auto& v : values) {
        next.push_back(prefix);
        next.back().push_back(v);
      }
    out.swap(next);
  }
  return out;
}

CodecEntry parse_codec(const JsonNode& n) {
  n.expect_object();
  const JsonNode tn = n.at("type");
  const std::string type = tn.as_string();
  CodecEntry c;
  if (type == "nnr") c.type = CodecType::kNnr;
  else if (type == "anchor") c.type = CodecType::kAnchor;
  else if (type == "external") c.type = CodecType::kExternal;
  else if (type == "original") c.type = CodecType::kOriginal;
  else tn.fail("unknown codec type '" + type + "' (expected nnr, anchor, external or original)");

  if (c.type == CodecType::kOriginal) n.allow_keys({"type", "label"});
  else if (c.type == CodecType::kExternal)
    n.allow_keys({"type", "label", "settings", "sweep", "encode", "decode", "timeout", "search", "stages", "usecases"});
  else n.allow_keys({"type", "label", "settings", "sweep", "search", "stages", "updates", "usecases"});
  c.label = n.get_string("label", type);
  if (c.label.empty() || c.label.find('/') != std::string::npos)
    n.at("label").fail("expected a non-empty label without '/'");

  if (n.has("usecases")) {
    const JsonNode u = n.at("usecases");
    u.expect_array();
    if (u.size() == 0) u.fail("expected at least one use case label");
    for (size_t i = 0; i < u.size(); ++i) c.usecases.push_back(u.at(i).as_string());
  }
  if (n.has("settings")) {
    n.at("settings").expect_object();
    c.settings = n.at("settings").json();
  }
  if (n.has("sweep")) {
    const JsonNode sw = n.at("sweep");
    sw.expect_object();
    for (auto it = sw.json().begin(); it != sw.json().end(); ++it) {
      const JsonNode vals = sw.at(it.key());
      vals.expect_array();
      if (vals.size() == 0) vals.fail("expected at least one value");
      std::vector<json> v;
      for (size_t i = 0; i < vals.size(); ++i) v.push_back(vals.at(i).json());
      c.sweep.emplace_back(it.key(), std::move(v));
    }
  }
  if (n.has("stages")) {
    check_stages(n.at("stages"));
    c.stages = n.at("stages").json();
    if (stages_end_with_lsa(c.stages) && c.type != CodecType::kNnr)
      n.at("stages").fail("\"lsa\" needs an nnr codec (its scales are coded as local-scaling block members)");
  }
  if (n.has("updates")) {
    check_updates(n.at("updates"), c.type, c.settings);
    if (n.has("stages") || n.has("search"))
      n.at("updates").fail("a sequence of updates has no \"stages\" or \"search\"");
    c.updates = n.at("updates").json();
  }
  if (n.has("search")) {
    const JsonNode sn = n.at("search");
    sn.expect_object();
    sn.allow_keys({"metric", "tolerance", "min", "qp_min", "qp_max", "patience"});
    SearchSpec sp;
    sp.metric = sn.at("metric").as_string();
    if (sp.metric.empty()) sn.at("metric").fail("expected a metric name (top1, psnr, parameter_snr_db, ...)");
    if (sn.has("tolerance") == sn.has("min")) sn.fail("expected one of \"tolerance\" (from the original) or \"min\"");
    if (sn.has("tolerance") && sn.at("tolerance").json().is_object()) {
      // One tolerance per metric, for "primary" over use cases of several tasks.
      const JsonNode t = sn.at("tolerance");
      for (auto it = t.json().begin(); it != t.json().end(); ++it) {
        const double v = t.at(it.key()).as_number();
        if (!(v >= 0) || !std::isfinite(v)) t.at(it.key()).fail("expected a number >= 0");
        sp.tolerances[it.key()] = v;
      }
      if (sp.tolerances.empty()) t.fail("expected at least one metric's tolerance");
    } else if (sn.has("tolerance")) {
      sp.tolerance = sn.at("tolerance").as_number();
      if (!(*sp.tolerance >= 0) || !std::isfinite(*sp.tolerance)) sn.at("tolerance").fail("expected a number >= 0");
    } else {
      sp.min = sn.at("min").as_number();
      if (!std::isfinite(*sp.min)) sn.at("min").fail("expected a finite number");
    }
    sp.qp_min = static_cast<int>(sn.get_int("qp_min", sp.qp_min, -4096, 4096));
    sp.qp_max = static_cast<int>(sn.get_int("qp_max", sp.qp_max, -4096, 4096));
    sp.patience = static_cast<int>(sn.get_int("patience", sp.patience, 0, 64));
    if (sp.qp_min >= sp.qp_max || sp.qp_max - sp.qp_min >= 1000)
      sn.fail("expected qp_min < qp_max, less than 1000 apart");
    for (const auto& [key, values] : c.sweep)
      if (key == "qp")
        for (const json& v : values)
          if (!v.is_number_integer() || v.get<int64_t>() < sp.qp_min || v.get<int64_t>() > sp.qp_max)
            n.at("sweep").at("qp").fail("the swept qp must lie in the search's [qp_min, qp_max]");
    c.search = sp;
  }
  if (c.type == CodecType::kExternal) {
    c.encode_command = n.at("encode").as_string();
    c.decode_command = n.at("decode").as_string();
    for (const char* ph : {"{input}", "{bitstream}"})
      if (c.encode_command.find(ph) == std::string::npos)
        n.at("encode").fail(std::string("the encode command must contain ") + ph);
    for (const char* ph : {"{bitstream}", "{outdir}"})
      if (c.decode_command.find(ph) == std::string::npos)
        n.at("decode").fail(std::string("the decode command must contain ") + ph);
    c.timeout_seconds = n.get_number("timeout", 3600);
    if (!(c.timeout_seconds > 0)) n.at("timeout").fail("expected a positive number of seconds");
  }

  // Our encoder and the anchor take the --settings schema: check the base
  // settings and every swept value, and every working point's qp range.
  if (c.type == CodecType::kNnr || c.type == CodecType::kAnchor) {
    EncoderSettings base;
    base.model_kind = ModelKind::kPyTorch;
    const JsonNode setn = n.has("settings") ? n.at("settings") : n;
    if (n.has("settings")) apply_settings(c.settings, setn, &base);
    if (n.has("sweep")) {
      const JsonNode sw = n.at("sweep");
      for (const auto& [key, values] : c.sweep) {
        const JsonNode vals = sw.at(key);
        for (size_t i = 0; i < values.size(); ++i) {
          EncoderSettings s = base;
          const JsonNode vn = vals.at(i);
          try {
            apply_settings(json{{key, values[i]}}, sw, &s);
          } catch (const ConfigError& e) {
            // Point at the value itself, not at the key.
            const std::string what = e.what();
            vn.fail(what.substr(what.find(": ") + 2));
          }
        }
      }
    }
    for (const auto& combo : combinations(c)) {
      EncoderSettings s = base;
      json point = json::object();
      for (size_t k = 0; k < c.sweep.size(); ++k) point[c.sweep[k].first] = combo[k];
      apply_settings(point, n, &s);
      check_qp_range(s, n.has("sweep") ? n.at("sweep") : setn);
      if (c.search)
        for (int qp : {c.search->qp_min, c.search->qp_max}) {
          EncoderSettings q = s;
          q.qp = qp;
          check_qp_range(q, n.at("search"));
        }
    }
  }
  return c;
}

}  // namespace

Status parse_run_config(const json& doc, const std::string& base_dir, RunConfig* out) {
  try {
    RunConfig c;
    const JsonNode root(doc, "");
    root.allow_keys({"name", "description", "output_root", "threads", "jobs", "usecases", "codecs",
                     "report", "keep_models", "timing_min_seconds"});
    c.name = root.at("name").as_string();
    if (c.name.empty() || c.name.find_first_of("/\\") != std::string::npos || c.name[0] == '.')
      root.at("name").fail("expected a run name usable as a folder name");
    c.description = root.get_string("description", "");
    c.base_dir = base_dir;
    c.output_root = root.get_string("output_root", "results");
    c.threads = static_cast<int>(root.get_int("threads", 2, 1, 256));
    c.jobs = static_cast<int>(root.get_int("jobs", 1, 1, 256));
    c.keep_models = root.get_bool("keep_models", false);
    c.timing_min_seconds = root.get_number("timing_min_seconds", 0.2);
    if (!(c.timing_min_seconds >= 0 && c.timing_min_seconds <= 60))
      root.at("timing_min_seconds").fail("expected seconds in [0, 60]");

    const JsonNode ucs = root.at("usecases");
    ucs.expect_array();
    if (ucs.size() == 0) ucs.fail("expected at least one use case");
    std::set<std::string> labels;
    for (size_t i = 0; i < ucs.size(); ++i) {
      c.usecases.push_back(parse_usecase(ucs.at(i), base_dir, c.threads));
      if (!labels.insert(c.usecases.back().label).second)
        ucs.at(i).fail("duplicate use case label '" + c.usecases.back().label + "' (set \"label\")");
    }
    const JsonNode cds = root.at("codecs");
    cds.expect_array();
    if (cds.size() == 0) cds.fail("expected at least one codec");
    const std::set<std::string> labels_of_usecases = labels;
    labels.clear();
    for (size_t i = 0; i < cds.size(); ++i) {
      c.codecs.push_back(parse_codec(cds.at(i)));
      if (!labels.insert(c.codecs.back().label).second)
        cds.at(i).fail("duplicate codec label '" + c.codecs.back().label + "' (set \"label\")");
    }
    // An entry's use cases are labels of this run.
    for (size_t i = 0; i < c.codecs.size(); ++i)
      for (size_t k = 0; k < c.codecs[i].usecases.size(); ++k)
        if (!labels_of_usecases.count(c.codecs[i].usecases[k]))
          cds.at(i).at("usecases").at(k).fail("no use case labelled '" + c.codecs[i].usecases[k] + "' in this run");
    // A use case's stage options must leave the stages of every codec it runs valid.
    for (size_t u = 0; u < c.usecases.size(); ++u) {
      if (c.usecases[u].stage_options.empty()) continue;
      for (size_t i = 0; i < c.codecs.size(); ++i) {
        if (c.codecs[i].stages.empty() || !c.codecs[i].runs_on(c.usecases[u].label)) continue;
        const json merged =
            stages_for_usecase(c.codecs[i].stages, c.usecases[u].fine_tune, c.usecases[u].stage_options);
        try {
          check_stages(JsonNode(merged, cds.at(i).at("stages").path()));
        } catch (const ConfigError& e) {
          ucs.at(u).at("stage_options").fail(std::string("on ") + e.what());
        }
      }
    }
    // A tolerance is counted from the original model's metric.
    bool original = false;
    for (const CodecEntry& e : c.codecs) original |= e.type == CodecType::kOriginal;
    for (size_t i = 0; i < c.codecs.size(); ++i)
      if (c.codecs[i].search && c.codecs[i].search->tolerance && !original)
        cds.at(i).at("search").at("tolerance").fail(
            "a tolerance is from the original model's metric: add {\"type\": \"original\"} to the codecs");
    if (root.has("report")) {
      const JsonNode r = root.at("report");
      r.allow_keys({"transparent_tolerance", "bd_reference"});
      if (r.has("transparent_tolerance")) {
        const JsonNode t = r.at("transparent_tolerance");
        t.expect_object();
        c.report.transparent_tolerance.clear();
        for (auto it = t.json().begin(); it != t.json().end(); ++it) {
          const double v = t.at(it.key()).as_number();
          if (v < 0) t.at(it.key()).fail("expected a non-negative tolerance");
          c.report.transparent_tolerance[it.key()] = v;
        }
      }
      if (r.has("bd_reference")) {
        c.report.bd_reference = r.at("bd_reference").as_string();
        if (!labels.count(c.report.bd_reference))
          r.at("bd_reference").fail("no codec is labelled '" + c.report.bd_reference + "'");
      }
    }
    c.source = doc;
    const std::string canon = doc.dump();
    c.hash = sha256_hex(reinterpret_cast<const uint8_t*>(canon.data()), canon.size());
    *out = std::move(c);
    return Status();
  } catch (const ConfigError& e) {
    return Status(ErrorCode::kInvalidArgument, kNoOffset, e.what());
  }
}

Status load_run_config(const std::string& path, RunConfig* out) {
  json doc;
  Status rs = read_json_text(path, &doc);
  if (!rs.ok()) return rs;
  const std::string base = fs::path(path).parent_path().string();
  Status st = parse_run_config(doc, base.empty() ? "." : base, out);
  if (st.ok()) out->file = path;
  return st;
}

}  // namespace nnr
