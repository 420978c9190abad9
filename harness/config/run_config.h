// A run file: use cases x codecs x working points (configs/README.md).
// Parsing validates everything up front; errors name the JSON path.
#ifndef NNR_HARNESS_RUN_CONFIG_H
#define NNR_HARNESS_RUN_CONFIG_H

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "nnr/error.h"
#include "nnr/usecase.h"

namespace nnr {

struct UseCaseEntry {
  std::string label;  // unique in the run; defaults to the id
  UseCaseOptions options;
  // Fine-tuning options ("fine_tune" of the entry) that replace those of every
  // stage's fine-tuning on this use case (its training budget and rate).
  nlohmann::json fine_tune = nlohmann::json::object();
  // Options per stage type ("stage_options" of the entry) set on every stage
  // of that type on this use case (the strength of each reduction).
  nlohmann::json stage_options = nlohmann::json::object();
};

enum class CodecType { kNnr, kAnchor, kExternal, kOriginal };
const char* codec_type_name(CodecType t);

// A search for the transparent point (pipeline/qp_search.h) over qp, for
// each combination of the other swept settings: the largest qp whose
// `metric` is at least the original's less `tolerance`, or at least `min`.
struct SearchSpec {
  std::string metric;  // a metric name, or "primary": each use case's first (top1, psnr, ...)
  std::optional<double> tolerance, min;
  std::map<std::string, double> tolerances;  // "tolerance": {"top1": 0.5, "psnr": 0.2}, by metric
  int qp_min = -64, qp_max = -8;
  // qps above the bisection's answer tried until this many in a row fail.
  int patience = 2;
};

struct CodecEntry {
  std::string label;  // unique in the run; defaults to the type
  CodecType type = CodecType::kNnr;
  nlohmann::json settings = nlohmann::json::object();  // base encoder settings
  // Swept settings: every combination of the listed values is a working point.
  std::vector<std::pair<std::string, std::vector<nlohmann::json>>> sweep;
  // external: command templates (see configs/README.md for the placeholders).
  std::string encode_command, decode_command;
  double timeout_seconds = 3600;
  std::optional<SearchSpec> search;
  // Parameter reduction before coding (pipeline/stages.h), in order.
  nlohmann::json stages = nlohmann::json::array();
  // A sequence of model updates instead of one model (pipeline/updates.h);
  // null when the entry codes the model once.
  nlohmann::json updates = nullptr;
  // The labels of the use cases the entry runs on; empty: all of them.
  std::vector<std::string> usecases;
  bool runs_on(const std::string& usecase_label) const;
};

struct ReportOptions {
  // Largest drop of each metric (in its unit) that still counts as
  // transparent; the primary metric of a use case decides.
  std::map<std::string, double> transparent_tolerance = {{"top1", 1.0}, {"psnr", 0.5}};
  std::string bd_reference = "anchor";  // codec label BD-rates are computed against
};

struct RunConfig {
  std::string name;
  std::string description;
  std::string file;      // the config file (empty when parsed from memory)
  std::string base_dir;  // relative paths in the config resolve against this
  std::string output_root = "results";
  int threads = 2;  // decoder and evaluation threads
  int jobs = 1;     // working points in parallel
  // Keep each point's reconstructed model in the run folder, in the form
  // the model came in: models/<point>.pt (a PyTorch state dict, for the
  // use cases and state-dict inputs) or .npz.
  bool keep_models = false;
  double timing_min_seconds = 0.2;  // see CodecContext
  std::vector<UseCaseEntry> usecases;
  std::vector<CodecEntry> codecs;
  ReportOptions report;
  nlohmann::json source;  // the document as read
  std::string hash;       // sha256 of the canonical document
};

// Reads and validates a run file. Relative paths resolve against its folder.
Status load_run_config(const std::string& path, RunConfig* out);
// Validates a document; `base_dir` resolves relative paths.
Status parse_run_config(const nlohmann::json& doc, const std::string& base_dir, RunConfig* out);

}  // namespace nnr

#endif  // NNR_HARNESS_RUN_CONFIG_H
