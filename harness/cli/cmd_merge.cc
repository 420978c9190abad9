// nnr merge OUT SHARD... : joins the run folders of the shards of one run.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "cli/commands.h"
#include "pipeline/results_log.h"
#include "pipeline/run_experiment.h"
#include "pipeline/working_points.h"

namespace nnr::cli {

Runner add_merge(CLI::App& app) {
  struct Opts {
    std::string out;
    std::vector<std::string> shards;
    bool allow_incomplete = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("OUT", o->out, "the merged run folder (created)")->required();
  app.add_option("SHARD", o->shards, "run folders of the shards")->required();
  app.add_flag("--allow-incomplete", o->allow_incomplete,
               "merge even if shards or points are missing; the run is marked incomplete");
  return [o]() {
    nlohmann::json meta;
    std::map<std::string, nlohmann::json> by_key;
    std::vector<std::string> hashes;
    std::set<int64_t> shard_indices;
    int64_t shard_count = -1;
    for (const auto& dir : o->shards) {
      const std::string mp = dir + "/run.json";
      std::ifstream f(mp);
      if (!f) return report_error(mp, Status(ErrorCode::kIo, kNoOffset, "missing (not a run folder)"));
      nlohmann::json m;
      try {
        m = nlohmann::json::parse(f);
      } catch (const nlohmann::json::parse_error& e) {
        return report_error(mp, Status(ErrorCode::kInvalidArgument, static_cast<int64_t>(e.byte) - 1, e.what()));
      } catch (const nlohmann::json::exception& e) {
        return report_error(mp, Status(ErrorCode::kInvalidArgument, kNoOffset, e.what()));
      }
      if (meta.is_null()) meta = m;
      else if (m.value("config_hash", "") != meta.value("config_hash", ""))
        return report_error(dir, Status(ErrorCode::kInvalidArgument, kNoOffset,
                                        "was run with another config than " + o->shards[0]));
      const nlohmann::json shard = m.value("shard", nlohmann::json::object());
      const int64_t count = shard.value("count", int64_t{1}), index = shard.value("index", int64_t{0});
      if (shard_count >= 0 && count != shard_count)
        return report_error(mp, Status(ErrorCode::kInvalidArgument, kNoOffset,
                                       "/shard/count: " + std::to_string(count) + ", but " + o->shards[0] +
                                           " is one of " + std::to_string(shard_count)));
      shard_count = count;
      shard_indices.insert(index);
      ResultsLog log(dir + "/results.jsonl");
      std::vector<nlohmann::json> records;
      Status st = log.load(&records);
      if (!st.ok()) return report_error(log.path(), st);
      for (auto& r : records) {
        const std::string key = r.value("key", "");
        auto it = by_key.find(key);
        // A point in two shards: keep a successful record over a failed one.
        if (it == by_key.end() || (it->second.value("status", "") != "ok" && r.value("status", "") == "ok"))
          by_key[key] = std::move(r);
      }
    }
    // What is missing: shards by their indices, points by the run's config.
    std::vector<std::string> missing;
    for (int64_t k = 0; k < shard_count; ++k)
      if (!shard_indices.count(k)) missing.push_back("shard " + std::to_string(k) + "/" + std::to_string(shard_count));
    size_t missing_points = 0;
    {
      RunConfig cfg;
      const std::string base = std::filesystem::path(meta.value("config_file", "")).parent_path().string();
      if (meta.contains("config") && parse_run_config(meta["config"], base.empty() ? "." : base, &cfg).ok()) {
        for (const WorkingPoint& w : expand_working_points(cfg))
          if (!by_key.count(w.key)) ++missing_points;
        if (missing_points) missing.push_back(std::to_string(missing_points) + " points");
      }
    }
    if (!missing.empty()) {
      std::string what;
      for (const std::string& m : missing) what += (what.empty() ? "" : ", ") + m;
      if (!o->allow_incomplete)
        return report_error("", Status(ErrorCode::kInvalidArgument, kNoOffset,
                                       "the shards do not make a whole run: missing " + what +
                                           " (--allow-incomplete merges them and marks the run incomplete)"));
      std::fprintf(stderr, "nnr: merge: the run is incomplete: missing %s\n", what.c_str());
      meta["incomplete"] = {{"missing", missing}};
    }
    std::error_code ec;
    std::filesystem::create_directories(o->out, ec);
    if (std::filesystem::exists(o->out + "/results.jsonl"))
      return report_error(o->out, Status(ErrorCode::kInvalidArgument, kNoOffset, "already holds results"));
    meta["shard"] = {{"index", 0}, {"count", 1}};
    meta["merged_from"] = o->shards;
    Status st = write_json_atomic(o->out + "/run.json", meta);
    if (!st.ok()) return report_error(o->out, st);
    std::vector<nlohmann::json> records;
    for (auto& [k, r] : by_key) records.push_back(std::move(r));
    ResultsLog out(o->out + "/results.jsonl");
    st = out.rewrite(records);
    if (!st.ok()) return report_error(out.path(), st);
    st = finalize_results(o->out);
    if (!st.ok()) return report_error(o->out, st);
    std::printf("merged %zu records from %zu shards into %s/results.json\n", records.size(), o->shards.size(),
                o->out.c_str());
    return 0;
  };
}

}  // namespace nnr::cli
