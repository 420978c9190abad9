#include "pipeline/run_experiment.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "codecs/codec_adapter.h"
#include "nnr/decoder.h"
#include "nnr/io.h"
#include "nnr/usecase.h"
#include "pipeline/qp_search.h"
#include "pipeline/results_log.h"
#include "pipeline/stages.h"
#include "pipeline/updates.h"
#include "pipeline/run_metadata.h"
#include "common/file_names.h"
#include "common/settings_json.h"
#include "common/interrupt.h"
#include "pipeline/working_points.h"

namespace nnr {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

using clock_type = std::chrono::steady_clock;
double since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

std::string format_duration(double s) {
  char b[32];
  const long t = static_cast<long>(s + 0.5);
  if (t >= 3600) std::snprintf(b, sizeof b, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else std::snprintf(b, sizeof b, "%ldm%02lds", t / 60, t % 60);
  return b;
}

int64_t total_values(const std::vector<Tensor>& ts) {
  int64_t n = 0;
  for (const auto& t : ts) n += t.numel();
  return n;
}

// Mean squared error of decoded vs original values, matched by name; -1 when
// the decoded set does not match (e.g. folded batch norm).
double parameter_mse(const std::vector<Tensor>& original, const std::vector<Tensor>& decoded) {
  std::map<std::string, const Tensor*> by_name;
  for (const auto& t : decoded) by_name[t.name] = &t;
  double sum = 0;
  int64_t n = 0;
  for (const auto& o : original) {
    auto it = by_name.find(o.name);
    if (it == by_name.end() || it->second->shape != o.shape) return -1;
    const Tensor& d = *it->second;
    for (int64_t i = 0; i < o.numel(); ++i) {
      const double a = o.dtype == DType::kFloat32 ? o.f32[i] : o.i32[i];
      const double b = d.dtype == DType::kFloat32 ? d.f32[i] : d.i32[i];
      sum += (a - b) * (a - b);
    }
    n += o.numel();
  }
  return n ? sum / static_cast<double>(n) : 0.0;
}

// What every point of one use case shares: the model (evaluated one point at
// a time) and its original parameters.
struct UseCaseState {
  std::unique_ptr<UseCase> usecase;
  std::vector<Tensor> original;
  uint64_t original_bytes = 0;
  double mean_square = 0;  // of the original parameters, for the parameter SNR
  bool state_dict = false;  // kept models as PyTorch state dicts (else .npz)
  nlohmann::json fine_tune = nlohmann::json::object();  // the entry's fine-tuning options
  nlohmann::json stage_options = nlohmann::json::object();  // and its options per stage type
  std::mutex eval_mutex;
  // The reduced models, by their stages (computed once for all the points).
  std::map<std::string, std::shared_ptr<const StageResult>> reduced;
  std::recursive_mutex reduced_mutex;
  // The snapshots of update sequences, by their "updates" (steps, fine-tuning).
  std::map<std::string, std::shared_ptr<const UpdateSnapshots>> snapshots;
};

// The snapshots an "updates" entry codes (made once per use case and spec).
std::shared_ptr<const UpdateSnapshots> update_snapshots(const CodecEntry& codec, UseCaseState& uc) {
  json key = codec.updates;
  key.erase("mode");
  std::lock_guard<std::recursive_mutex> lock(uc.reduced_mutex);
  auto it = uc.snapshots.find(key.dump());
  if (it == uc.snapshots.end()) {
    std::lock_guard<std::mutex> eval(uc.eval_mutex);
    auto s = std::make_shared<UpdateSnapshots>(make_update_snapshots(codec.updates, uc.original, uc.usecase.get()));
    it = uc.snapshots.emplace(key.dump(), s).first;
  }
  if (!it->second->error.empty()) throw Error(ErrorCode::kInvalidArgument, kNoOffset, it->second->error);
  return it->second;
}

json effective_stages(const CodecEntry& codec, const UseCaseState& uc) {
  return stages_for_usecase(codec.stages, uc.fine_tune, uc.stage_options);
}

// The result of `stages` (without a trailing lsa) on the use case, computed
// once and kept (a failure too, so that every point names it). A trailing
// qp_allocation starts from the stages before it, so that entries with and
// without it share the reduction they have in common.
std::shared_ptr<const StageResult> reduced_for(const json& stages, UseCaseState& uc) {
  const std::string key = stages.dump();
  std::lock_guard<std::recursive_mutex> lock(uc.reduced_mutex);
  auto it = uc.reduced.find(key);
  if (it != uc.reduced.end()) return it->second;
  auto r = std::make_shared<StageResult>();
  try {
    if (!stages.empty() && stages.back().value("type", "") == "qp_allocation") {
      json prefix = stages;
      prefix.erase(prefix.size() - 1);
      std::shared_ptr<const StageResult> base;
      if (!prefix.empty()) {
        base = reduced_for(prefix, uc);
        if (!base->error.empty()) throw Error(ErrorCode::kInvalidArgument, kNoOffset, base->error.substr(8));
      }
      std::lock_guard<std::mutex> eval(uc.eval_mutex);
      StageResult start;
      if (base) start = *base;
      else start.params = uc.original;
      *r = apply_stages(json::array({stages.back()}), uc.original, uc.usecase.get(), std::move(start));
    } else {
      // Training stages use the model, which evaluations share.
      std::lock_guard<std::mutex> eval(uc.eval_mutex);
      *r = apply_stages(stages, uc.original, uc.usecase.get());
      // The reduced model's performance, for the stream's performance maps.
      double accuracy = 0.0;
      if (uc.usecase->has_task()) {
        std::vector<Tensor> full;
        std::string why;
        if (!recompose(r->params, uc.original, &full, &why)) throw Error(ErrorCode::kInvalidData, kNoOffset, why);
        Status st = uc.usecase->load_parameters(full);
        UseCaseMetrics m;
        if (st.ok()) st = uc.usecase->evaluate(&m);
        if (!st.ok()) throw Error(st.code(), kNoOffset, "evaluating the reduced model: " + st.message());
        const std::vector<std::string> names = uc.usecase->metric_names();
        if (!names.empty() && m.values.count(names[0]))
          accuracy = names[0] == "psnr" ? m.values[names[0]] : m.values[names[0]] / 100.0;
        for (const auto& [k, v] : m.values) r->metrics[k] = v;
      }
      const json maps = performance_maps(*r, accuracy);
      if (!maps.empty()) r->settings["performance_maps"] = maps;
    }
  } catch (const std::exception& e) {
    r->params.clear();
    r->error = std::string("stages: ") + e.what();
  }
  return uc.reduced.emplace(key, r).first->second;
}

// The parameters a codec entry codes: its stages' result. Keyed without a
// trailing "lsa" (applied per point): entries that differ only by it share
// the reduced model.
std::shared_ptr<const StageResult> reduced_model(const CodecEntry& codec, UseCaseState& uc) {
  json stages = effective_stages(codec, uc);
  if (stages_end_with_lsa(stages)) stages.erase(stages.size() - 1);
  std::shared_ptr<const StageResult> r = reduced_for(stages, uc);
  if (!r->error.empty()) throw Error(ErrorCode::kInvalidArgument, kNoOffset, r->error);
  return r;
}

class Progress {
 public:
  Progress(const RunOptions& o, size_t total) : o_(o), total_(total), start_(clock_type::now()) {}
  void starting(const std::string& key) {
    std::lock_guard<std::mutex> l(m_);
    if (!o_.tty) return;
    std::fprintf(o_.log, "\r\033[K[%zu/%zu] %s ...", done_ + 1, total_, key.c_str());
    std::fflush(o_.log);
  }
  void finished(const std::string& line) {
    std::lock_guard<std::mutex> l(m_);
    ++done_;
    const double el = since(start_);
    const double eta = done_ ? el / static_cast<double>(done_) * static_cast<double>(total_ - done_) : 0;
    std::fprintf(o_.log, "%s[%zu/%zu] %s  (elapsed %s, %zu left, ETA %s)\n", o_.tty ? "\r\033[K" : "", done_,
                 total_, line.c_str(), format_duration(el).c_str(), total_ - done_, format_duration(eta).c_str());
    std::fflush(o_.log);
  }

 private:
  const RunOptions& o_;
  size_t total_, done_ = 0;
  clock_type::time_point start_;
  std::mutex m_;
};

std::string metrics_text(const json& m) {
  std::string s;
  for (auto it = m.begin(); it != m.end(); ++it) {
    char b[64];
    std::snprintf(b, sizeof b, " %s %.4g", it.key().c_str(), it.value().get<double>());
    s += b;
  }
  return s;
}

json run_point(const RunConfig& cfg, const WorkingPoint& w, UseCaseState& uc, const std::string& out_dir,
               int decode_threads, bool measure_memory) {
  const CodecEntry& codec = cfg.codecs[w.codec];
  const UseCaseEntry& use = cfg.usecases[w.usecase];
  json r;
  r["index"] = w.index;
  r["key"] = w.key;
  r["usecase"] = use.label;
  r["usecase_id"] = use.options.id;
  r["codec"] = codec.label;
  r["codec_type"] = codec_type_name(codec.type);
  r["point"] = w.point;
  r["settings"] = w.settings;
  r["original_bytes"] = uc.original_bytes;
  r["parameters"] = total_values(uc.original);
  json times = json::object();
  if (measure_memory) reset_peak_rss();
  const auto t_point = clock_type::now();
  try {
    std::vector<Tensor> decoded;
    if (!codec.updates.is_null()) {
      // A sequence of model updates: every step's stream, the last model.
      std::shared_ptr<const UpdateSnapshots> snaps = update_snapshots(codec, uc);
      CodecContext ctx;
      ctx.work_dir = out_dir + "/work/" + std::to_string(w.index);
      ctx.threads = decode_threads;
      ctx.timing_min_seconds = cfg.timing_min_seconds;
      UpdateRun run = code_updates(codec, w.settings, *snaps, ctx);
      std::error_code ec;
      fs::remove_all(ctx.work_dir, ec);
      json u = codec.updates;
      u["stream_sequence"] = run.steps;
      u["fine_tune_log"] = snaps->log;
      u["last_snapshot_metrics"] = snaps->last_metrics;
      r["updates"] = u;
      r["stages"] = json::array();
      r["stream_bytes"] = run.total_bytes;
      r["stream_sha256"] = nullptr;
      r["verified"] = run.verified;
      if (!run.verified) r["verify_detail"] = run.verify_detail;
      times["encode_s"] = run.encode_seconds;
      times["decode_s"] = run.decode_seconds;
      // c_r: of every model the sequence carries.
      r["original_bytes"] = uc.original_bytes * snaps->models.size();
      const double mse = parameter_mse(snaps->models.back(), run.last_model);
      r["weight_mse"] = mse >= 0 ? json(mse) : json(nullptr);
      decoded = std::move(run.last_model);
    } else if (codec.type == CodecType::kOriginal) {
      r["stream_bytes"] = uc.original_bytes;
      r["stream_sha256"] = nullptr;
      r["verified"] = true;
      r["weight_mse"] = 0.0;
    } else {
      std::unique_ptr<CodecAdapter> adapter = make_codec_adapter(codec);
      CodecContext ctx;
      ctx.work_dir = out_dir + "/work/" + std::to_string(w.index);
      ctx.threads = decode_threads;
      ctx.timing_min_seconds = cfg.timing_min_seconds;
      CodecRun run;
      // Parameter reduction first, where the entry has stages.
      std::shared_ptr<const StageResult> reduced;
      json settings = w.settings;
      const std::vector<Tensor>* coded = &uc.original;
      std::vector<Tensor> channel_scaled;
      if (!codec.stages.empty()) {
        reduced = reduced_model(codec, uc);
        coded = &reduced->params;
        for (auto it = reduced->settings.begin(); it != reduced->settings.end(); ++it) settings[it.key()] = it.value();
        if (!reduced->step_log2.empty() && (codec.type == CodecType::kNnr || codec.type == CodecType::kAnchor)) {
          // qp_allocation: each weight's qp follows the point's qp.
          EncoderSettings es;
          const Status sst = settings_from_json(settings, "/settings", &es);
          if (!sst.ok()) throw Error(sst.code(), kNoOffset, sst.message());
          const std::map<std::string, int> qps =
              qp_per_tensor_from_steps(reduced->step_log2, es.qp, es.qp_density, es.qp_per_tensor);
          settings["qp_per_tensor"] = qps;
          r["qp_per_tensor"] = qps;
          if (!reduced->channel_step_log2.empty() && codec.type == CodecType::kNnr) {
            // A step per output channel, carried as local scaling.
            channel_scaled = with_channel_steps(*coded, *reduced, es.qp, es.qp_density, qps, &settings);
            coded = &channel_scaled;
          }
        }
        r["stages"] = reduced->log;
        if (!reduced->metrics.empty()) r["reduced_metrics"] = reduced->metrics;
      } else {
        r["stages"] = json::array();
      }
      int64_t zeros = 0, count = 0;
      for (const Tensor& t : *coded) {
        count += t.numel();
        for (float v : t.f32) zeros += v == 0.0f;
        for (int32_t v : t.i32) zeros += v == 0;
      }
      r["parameters"] = count;
      r["zero_fraction"] = count ? static_cast<double>(zeros) / static_cast<double>(count) : 0.0;
      const Status st = adapter->run(*coded, settings, ctx, &run);
      times["encode_s"] = run.encode_seconds;
      times["decode_s"] = run.decode_seconds;
      if (run.encode_runs > 1) times["encode_runs"] = run.encode_runs;
      if (run.decode_runs > 1) times["decode_runs"] = run.decode_runs;
      if (!st.ok()) throw Error(st.code(), st.byte_offset(), st.message());
      std::error_code ec;
      fs::remove_all(ctx.work_dir, ec);
      r["stream_bytes"] = run.stream_bytes;
      r["stream_sha256"] = run.stream_sha256;
      r["verified"] = run.verified ? json(*run.verified) : json(nullptr);
      if (run.verified && !*run.verified) r["verify_detail"] = run.verify_detail;
      if (!run.notices.empty()) r["notices"] = run.notices;
      if (reduced) {
        // The model's own tensors again: factors multiplied back.
        std::vector<Tensor> full;
        std::string why;
        if (!recompose(run.decoded, uc.original, &full, &why)) throw Error(ErrorCode::kInvalidData, kNoOffset, why);
        run.decoded = std::move(full);
      }
      if (stages_end_with_lsa(codec.stages)) {
        // Local scaling adaptation: scales trained on the quantized model,
        // then the model coded again with them as block members.
        json lsa_log;
        std::vector<Tensor> scaled;
        {
          std::lock_guard<std::mutex> lock(uc.eval_mutex);
          scaled = apply_lsa(effective_stages(codec, uc).back(), *coded, run.decoded, *uc.usecase, &settings, &lsa_log);
        }
        lsa_log["stream_bytes_before"] = run.stream_bytes;
        r["stages"].push_back(lsa_log);
        CodecRun again;
        const Status st2 = adapter->run(scaled, settings, ctx, &again);
        times["encode_s"] = run.encode_seconds + again.encode_seconds;
        times["decode_s"] = again.decode_seconds;
        if (!st2.ok()) throw Error(st2.code(), st2.byte_offset(), st2.message());
        fs::remove_all(ctx.work_dir, ec);
        for (const Tensor& t : again.decoded)
          if (t.name.size() > 8 && t.name.compare(t.name.size() - 8, 8, "_scaling") == 0)
            throw Error(ErrorCode::kInvalidData, kNoOffset,
                        "local scales were not applied by the decoder ('" + t.name + "' not in a block)");
        std::vector<Tensor> full;
        std::string why;
        if (!recompose(again.decoded, uc.original, &full, &why)) throw Error(ErrorCode::kInvalidData, kNoOffset, why);
        again.decoded = std::move(full);
        r["stream_bytes"] = again.stream_bytes;
        r["stream_sha256"] = again.stream_sha256;
        r["verified"] = again.verified ? json(*again.verified) : json(nullptr);
        if (again.verified && !*again.verified) r["verify_detail"] = again.verify_detail;
        run = std::move(again);
      }
      const double mse = parameter_mse(uc.original, run.decoded);
      if (!run.performance_maps.empty()) r["performance_maps"] = run.performance_maps;
      r["weight_mse"] = mse >= 0 ? json(mse) : json(nullptr);
      if (mse > 0 && uc.mean_square > 0) r["parameter_snr_db"] = 10.0 * std::log10(uc.mean_square / mse);
      decoded = std::move(run.decoded);
      if (cfg.keep_models) {
        // The reconstructed model, in the form it came in.
        const std::string rel = "models/" + tensor_file_base(w.key) + (uc.state_dict ? ".pt" : ".npz");
        std::error_code ec;
        fs::create_directories(out_dir + "/models", ec);
        const Status ks = uc.state_dict ? write_torch_state_dict(out_dir + "/" + rel, decoded)
                                        : write_npz(out_dir + "/" + rel, decoded);
        if (!ks.ok()) throw Error(ks.code(), kNoOffset, "keeping the model: " + ks.message());
        r["model_file"] = rel;
      }
    }
    const double original_bytes = r["original_bytes"].get<double>();
    r["compression_ratio"] = original_bytes > 0 ? 100.0 * r["stream_bytes"].get<double>() / original_bytes : 0.0;
    json metrics = json::object();
    int64_t samples = 0;
    if (uc.usecase->has_task()) {
      std::lock_guard<std::mutex> lock(uc.eval_mutex);
      Status st = uc.usecase->load_parameters(codec.type == CodecType::kOriginal ? uc.original : decoded);
      if (!st.ok()) throw Error(st.code(), kNoOffset, "loading the decoded parameters: " + st.message());
      UseCaseMetrics m;
      st = uc.usecase->evaluate(&m);
      if (!st.ok()) throw Error(st.code(), kNoOffset, "evaluation: " + st.message());
      for (const auto& [k, v] : m.values) metrics[k] = v;
      samples = m.samples;
      times["evaluate_s"] = m.seconds;
    }
    r["metrics"] = metrics;
    r["samples"] = samples;
    r["status"] = "ok";
    apply_verification(r);
  } catch (const std::exception& e) {
    r["status"] = "error";
    r["error"] = e.what();
  }
  times["total_s"] = since(t_point);
  r["times"] = times;
  if (measure_memory) r["peak_rss_bytes"] = peak_rss_bytes();
  r["finished_at"] = utc_timestamp();
  return r;
}

json run_document(const RunConfig& cfg, const RunOptions& o) {
  json run;
  run["name"] = cfg.name;
  run["description"] = cfg.description;
  run["config_file"] = cfg.file;
  run["config_hash"] = cfg.hash;
  run["config"] = cfg.source;
  run["tool_version"] = version_string();
  run["git_revision"] = tool_git_revision();
  run["machine"] = machine_description();
  run["started_at"] = utc_timestamp();
  run["shard"] = {{"index", o.shard_index}, {"count", o.shard_count}};
  return run;
}

}  // namespace

void apply_verification(json& r) {
  if (r.value("status", "") != "ok" || !r.contains("verified") || !r["verified"].is_boolean() ||
      r["verified"].get<bool>())
    return;
  r["status"] = "error";
  r["error"] = "the decoded parameters differ from the encoder's reconstruction" +
               (r.contains("verify_detail") && r["verify_detail"].is_string()
                    ? ": " + r["verify_detail"].get<std::string>()
                    : std::string());
}

Status finalize_results(const std::string& out_dir) {
  json run;
  const std::string meta = out_dir + "/run.json";
  if (!fs::exists(meta)) return Status(ErrorCode::kIo, kNoOffset, meta + ": missing (not a run folder)");
  {
    std::ifstream f(meta);
    try {
      run = json::parse(f);
    } catch (const json::parse_error& e) {
      return Status(ErrorCode::kInvalidArgument, static_cast<int64_t>(e.byte) - 1, meta + ": " + e.what());
    } catch (const json::exception& e) {
      return Status(ErrorCode::kInvalidArgument, kNoOffset, meta + ": " + e.what());
    }
  }
  ResultsLog log(out_dir + "/results.jsonl");
  std::vector<json> records;
  Status st = log.load(&records);
  if (!st.ok()) return Status(st.code(), st.byte_offset(), st.describe(log.path()));
  // The last record of a key wins (a retried point replaces its failure).
  std::map<std::string, json> by_key;
  for (auto& r : records) {
    const std::string key = r.value("key", "");  // before the move below
    by_key[key] = std::move(r);
  }
  std::vector<json> sorted;
  for (auto& [k, r] : by_key) sorted.push_back(std::move(r));
  std::sort(sorted.begin(), sorted.end(),
            [](const json& a, const json& b) { return a.value("index", 0) < b.value("index", 0); });
  run["finished_at"] = utc_timestamp();
  json doc = {{"run", run}, {"records", sorted}};
  return write_json_atomic(out_dir + "/results.json", doc);
}

namespace {

// A record's value of `metric` (in "metrics", or at the top level as
// parameter_snr_db is).
std::optional<double> metric_of(const json& r, const std::string& metric) {
  if (r.contains("metrics") && r["metrics"].is_object() && r["metrics"].contains(metric) &&
      r["metrics"][metric].is_number())
    return r["metrics"][metric].get<double>();
  if (r.contains(metric) && r[metric].is_number()) return r[metric].get<double>();
  return std::nullopt;
}

}  // namespace

// The searches of use case u (pipeline/qp_search.h): for each codec with a
// search and each combination of its swept settings other than qp, a
// bisection over qp from the points recorded so far; a probe is a point
// like any other (recorded, so a resumed run does not run it again), and
// the chosen point's record is written again with "transparent": true.
static Status run_searches(const RunConfig& cfg, size_t u, size_t static_points, const RunOptions& o, UseCaseState& state,
                    const std::string& out_dir, ResultsLog& log, std::map<std::string, json>& known,
                    RunSummary* sum) {
  const UseCaseEntry& use = cfg.usecases[u];
  size_t group = 0;  // across the run's searches, for shards and point indices
  for (size_t uu = 0; uu < u; ++uu)
    for (const CodecEntry& c : cfg.codecs)
      if (c.search) {
        size_t n = 1;
        for (const auto& [k, v] : c.sweep)
          if (k != "qp") n *= v.size();
        group += n;
      }
  for (size_t ci = 0; ci < cfg.codecs.size(); ++ci) {
    const CodecEntry& codec = cfg.codecs[ci];
    if (!codec.search) continue;
    const SearchSpec& sp = *codec.search;
    // The combinations of the other swept settings.
    std::vector<json> combos(1, json::object());
    for (const auto& [key, values] : codec.sweep) {
      if (key == "qp") continue;
      std::vector<json> next;
      for (const json& p : combos)
        for (const json& v : values) {
          json q = p;
          q[key] = v;
          next.push_back(std::move(q));
        }
      combos.swap(next);
    }
    for (const json& combo : combos) {
      const size_t g = group++;
      if (static_cast<int>(g % static_cast<size_t>(o.shard_count)) != o.shard_index) continue;
      if (!codec.runs_on(use.label)) continue;
      auto key_of = [&](int qp) {
        json p = combo;
        p["qp"] = qp;
        return use.label + "/" + codec.label + "/" + point_label(p);
      };
      const std::string what = use.label + "/" + codec.label + (combo.empty() ? "" : "/" + point_label(combo));
      // "primary": the use case's first metric, with its tolerance.
      std::string metric = sp.metric;
      if (metric == "primary") {
        const std::vector<std::string> names = state.usecase->metric_names();
        metric = names.empty() ? "parameter_snr_db" : names[0];
      }
      std::optional<double> tolerance = sp.tolerance;
      if (!sp.tolerances.empty()) {
        auto t = sp.tolerances.find(metric);
        if (t == sp.tolerances.end()) {
          std::fprintf(o.log, "nnr: %s: no search: no tolerance for %s\n", what.c_str(), metric.c_str());
          continue;
        }
        tolerance = t->second;
      }
      double target = 0;
      if (sp.min) {
        target = *sp.min;
      } else {
        std::optional<double> orig;
        for (const CodecEntry& c : cfg.codecs)
          if (c.type == CodecType::kOriginal) {
            auto it = known.find(use.label + "/" + c.label + "/-");
            if (it != known.end() && it->second.value("status", "") == "ok") orig = metric_of(it->second, metric);
          }
        if (!orig) {
          std::fprintf(o.log, "nnr: %s: no search: the original model has no %s here\n", what.c_str(),
                       metric.c_str());
          continue;
        }
        target = *orig - *tolerance;
      }
      std::map<int, QpProbe> seen;
      for (int qp = sp.qp_min; qp <= sp.qp_max; ++qp) {
        auto it = known.find(key_of(qp));
        if (it == known.end()) continue;
        const auto m = metric_of(it->second, metric);
        seen[qp] = QpProbe{it->second.value("status", "") == "ok" && m.has_value(), m.value_or(0.0)};
      }
      Status failure;
      const QpSearch s = bisect_qp(sp.qp_min, sp.qp_max, target, seen, [&](int qp) -> QpProbe {
        if (!failure.ok() || interrupt_signal()) return QpProbe{};
        WorkingPoint w;
        w.index = static_points + g * 1000 + static_cast<size_t>(qp - sp.qp_min);
        w.usecase = u;
        w.codec = ci;
        w.point = combo;
        w.point["qp"] = qp;
        w.settings = codec.settings;
        for (auto it = w.point.begin(); it != w.point.end(); ++it) w.settings[it.key()] = it.value();
        w.key = key_of(qp);
        json r = run_point(cfg, w, state, out_dir, cfg.threads, true);
        if (interrupt_signal() && r.value("status", "") != "ok") return QpProbe{};
        r["searched"] = true;
        failure = log.append(r);
        known[w.key] = r;
        ++sum->done;
        if (r.value("status", "") != "ok") ++sum->failed;
        const auto m = metric_of(r, metric);
        std::fprintf(o.log, "nnr: search %s: qp %d: %s\n", what.c_str(), qp,
                     m ? (metric + " " + std::to_string(*m) + (*m >= target ? " (transparent)" : "")).c_str()
                       : r.value("error", std::string("no metric")).c_str());
        return QpProbe{r.value("status", "") == "ok" && m.has_value(), m.value_or(0.0)};
      }, sp.patience);
      if (!failure.ok()) return failure;
      if (interrupt_signal()) return Status();
      if (!s.chosen) {
        std::fprintf(o.log, "nnr: search %s: no qp in [%d, %d] is transparent (%s >= %g)\n", what.c_str(),
                     sp.qp_min, sp.qp_max, metric.c_str(), target);
        continue;
      }
      json r = known.at(key_of(*s.chosen));
      if (r.value("transparent", false)) continue;  // chosen in an earlier run
      r["transparent"] = true;
      json info = {{"metric", metric},         {"target", target},          {"qp_min", sp.qp_min},
                   {"qp_max", sp.qp_max},      {"patience", sp.patience},   {"probed", s.probed.size()}};
      if (tolerance) info["tolerance"] = *tolerance;
      r["search"] = info;
      Status a = log.append(r);
      if (!a.ok()) return a;
      known[r.value("key", "")] = r;
      std::fprintf(o.log, "nnr: search %s: transparent at qp %d (c_r %.3f%%, %zu points run)\n", what.c_str(),
                   *s.chosen, r.value("compression_ratio", 0.0), s.probed.size());
    }
  }
  return Status();
}

Status run_experiment(const RunConfig& cfg, const RunOptions& o, RunSummary* summary) {
  const auto t_run = clock_type::now();
  RunSummary sum;
  sum.out_dir = o.out_dir.empty() ? cfg.output_root + "/" + cfg.name : o.out_dir;
  if (o.shard_count < 1 || o.shard_index < 0 || o.shard_index >= o.shard_count)
    return Status(ErrorCode::kInvalidArgument, kNoOffset, "shard index must lie in [0, shard count)");
  std::error_code ec;
  fs::create_directories(sum.out_dir, ec);
  if (ec) return Status(ErrorCode::kIo, kNoOffset, sum.out_dir + ": " + ec.message());
  const std::string meta_path = sum.out_dir + "/run.json";
  ResultsLog log(sum.out_dir + "/results.jsonl");

  // A run folder belongs to one config: resuming with another is an error.
  if (fs::exists(meta_path) || fs::exists(log.path())) {
    if (!o.resume)
      return Status(ErrorCode::kInvalidArgument, kNoOffset,
                    sum.out_dir + " already holds a run; use --resume to continue it or --output for a new folder");
    json old;
    std::ifstream f(meta_path);
    try {
      old = json::parse(f);
    } catch (const std::exception&) {
      return Status(ErrorCode::kInvalidArgument, kNoOffset, meta_path + ": unreadable run metadata");
    }
    if (old.value("config_hash", "") != cfg.hash)
      return Status(ErrorCode::kInvalidArgument, kNoOffset,
                    "the config differs from the one " + sum.out_dir + " was started with; use another --output");
  } else {
    Status st = write_json_atomic(meta_path, run_document(cfg, o));
    if (!st.ok()) return st;
  }

  std::vector<json> records;
  size_t dropped = 0;
  Status st = log.load(&records, &dropped);
  if (!st.ok()) return Status(st.code(), st.byte_offset(), st.describe(log.path()));
  if (dropped) std::fprintf(o.log, "nnr: %s: dropped an incomplete last record (%zu bytes)\n", log.path().c_str(), dropped);
  if (o.retry_failed) {
    const size_t before = records.size();
    records.erase(std::remove_if(records.begin(), records.end(),
                                 [](const json& r) { return r.value("status", "") != "ok"; }),
                  records.end());
    if (records.size() != before) {
      st = log.rewrite(records);
      if (!st.ok()) return st;
    }
  }
  std::set<std::string> finished;
  for (const auto& r : records) finished.insert(r.value("key", ""));
  // Every record by key (the last wins), for the searches.
  std::map<std::string, json> known;
  std::mutex known_mutex;
  for (const auto& r : records) known[r.value("key", "")] = r;

  const std::vector<WorkingPoint> all = expand_working_points(cfg);
  std::vector<const WorkingPoint*> pending;
  for (const auto& w : all) {
    if (static_cast<int>(w.index % static_cast<size_t>(o.shard_count)) != o.shard_index) continue;
    ++sum.points;
    if (finished.count(w.key)) ++sum.skipped;
    else pending.push_back(&w);
  }
  if (sum.skipped) std::fprintf(o.log, "nnr: resuming: %zu of %zu points already recorded\n", sum.skipped, sum.points);

  Progress progress(o, pending.size());
  const int jobs_wanted = std::max(1, o.jobs ? o.jobs : cfg.jobs);
  for (size_t u = 0; u < cfg.usecases.size(); ++u) {
    std::vector<const WorkingPoint*> todo;
    for (const auto* w : pending)
      if (w->usecase == u) todo.push_back(w);
    bool searches = false;
    for (const CodecEntry& c : cfg.codecs) searches |= c.search.has_value() && c.runs_on(cfg.usecases[u].label);
    if (todo.empty() && !searches) continue;

    UseCaseState state;
    state.fine_tune = cfg.usecases[u].fine_tune;
    state.stage_options = cfg.usecases[u].stage_options;
    st = make_usecase(cfg.usecases[u].options, &state.usecase);
    if (st.ok()) {
      const std::string& model = cfg.usecases[u].options.model;
      const std::string ext = fs::path(model).extension().string();
      state.state_dict = cfg.usecases[u].options.id != "generic" || ext == ".pt" || ext == ".pth";
      state.original = state.usecase->parameters();
      double sq = 0;
      for (const auto& t : state.original) {
        state.original_bytes += static_cast<uint64_t>(t.numel()) * 4;
        for (float v : t.f32) sq += static_cast<double>(v) * v;
        for (int32_t v : t.i32) sq += static_cast<double>(v) * v;
      }
      const int64_t n = total_values(state.original);
      state.mean_square = n ? sq / static_cast<double>(n) : 0.0;
      std::fprintf(o.log, "nnr: %s: %s\n", cfg.usecases[u].label.c_str(), state.usecase->describe().c_str());
    }
    if (!st.ok()) {
      // Every point of this use case fails with the reason; the run goes on.
      for (const auto* w : todo) {
        json r = {{"index", w->index}, {"key", w->key}, {"usecase", cfg.usecases[u].label},
                  {"usecase_id", cfg.usecases[u].options.id}, {"codec", cfg.codecs[w->codec].label},
                  {"codec_type", codec_type_name(cfg.codecs[w->codec].type)}, {"point", w->point},
                  {"settings", w->settings}, {"status", "error"}, {"error", "use case: " + st.message()},
                  {"finished_at", utc_timestamp()}};
        Status a = log.append(r);
        if (!a.ok()) return a;
        ++sum.done;
        ++sum.failed;
        progress.finished(w->key + ": error: use case: " + st.message());
      }
      continue;
    }

    // Several points at once only where memory allows (a point holds a few
    // copies of the parameters besides the model).
    int jobs = jobs_wanted;
    const uint64_t per_point = state.original_bytes * 6 + (64u << 20);
    const uint64_t avail = available_memory_bytes();
    if (avail && jobs > 1 && per_point * static_cast<uint64_t>(jobs) > avail * 8 / 10) {
      jobs = std::max<int>(1, static_cast<int>(avail * 8 / 10 / per_point));
      std::fprintf(o.log, "nnr: %s: %d jobs (memory)\n", cfg.usecases[u].label.c_str(), jobs);
    }
    jobs = std::max(1, std::min<int>(jobs, static_cast<int>(todo.size())));
    const int decode_threads = std::max(1, cfg.threads / jobs);

    std::atomic<size_t> next{0};
    Status first_error;
    std::mutex err_mutex;
    auto worker = [&]() {
      for (;;) {
        if (interrupt_signal()) return;  // no new point once asked to stop
        const size_t i = next.fetch_add(1);
        if (i >= todo.size()) return;
        const WorkingPoint& w = *todo[i];
        progress.starting(w.key);
        json r = run_point(cfg, w, state, sum.out_dir, decode_threads, jobs == 1);
        if (interrupt_signal() && r.value("status", "") != "ok") {
          // Stopped in the middle (an external codec's process group was
          // ended): not a result; --resume runs the point again.
          std::error_code ec;
          fs::remove_all(sum.out_dir + "/work/" + std::to_string(w.index), ec);
          return;
        }
        Status a = log.append(r);
        if (!a.ok()) {
          std::lock_guard<std::mutex> l(err_mutex);
          if (first_error.ok()) first_error = a;
          next = todo.size();
          return;
        }
        {
          std::lock_guard<std::mutex> l(known_mutex);
          known[w.key] = r;
        }
        std::string line = w.key;
        if (r["status"] == "ok") {
          char b[96];
          std::snprintf(b, sizeof b, ": c_r %.3f%%", r["compression_ratio"].get<double>());
          line += b + metrics_text(r["metrics"]);
          if (r["verified"].is_boolean() && !r["verified"].get<bool>()) line += " NOT VERIFIED";
        } else {
          line += ": error: " + r["error"].get<std::string>();
        }
        {
          std::lock_guard<std::mutex> l(err_mutex);
          ++sum.done;
          if (r["status"] != "ok") ++sum.failed;
        }
        progress.finished(line);
      }
    };
    std::vector<std::thread> threads;
    for (int j = 1; j < jobs; ++j) threads.emplace_back(worker);
    worker();
    for (auto& t : threads) t.join();
    if (!first_error.ok()) return first_error;
    if (searches && !interrupt_signal()) {
      st = run_searches(cfg, u, all.size(), o, state, sum.out_dir, log, known, &sum);
      if (!st.ok()) return st;
    }
  }

  st = finalize_results(sum.out_dir);
  sum.seconds = since(t_run);
  sum.interrupted = interrupt_signal();
  *summary = sum;
  return st;
}

}  // namespace nnr
