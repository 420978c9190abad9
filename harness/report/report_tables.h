// The report of a run: per use case a table of every working point (c_r and
// the metrics of the reconstructed vs the original model, as Table III of the
// NNR overview paper), the transparent working point of each codec, and the
// BD-rate of each codec against the reference codec; written as report.md
// and report.csv, with curves drawn by curves.cc.
#ifndef NNR_HARNESS_REPORT_TABLES_H
#define NNR_HARNESS_REPORT_TABLES_H

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/run_config.h"
#include "nnr/error.h"

namespace nnr {

struct CurvePoint {
  double compression_ratio;  // c_r in %
  double metric;             // the use case's primary metric
  std::string point;         // the working point's label
};

struct CodecSummary {
  std::string codec;
  std::string codec_type;  // nnr, anchor, external
  // The parameter reduction before coding: its stages' types joined by "+"
  // (local scaling left out, so that an NNR pipeline with it and the anchor
  // on the same reduced model share one), "original" for none.
  std::string pipeline = "original";
  std::vector<CurvePoint> curve;  // ordered by c_r
  // Smallest c_r whose primary metric stays within tolerance of the original.
  std::optional<CurvePoint> transparent;
  std::optional<double> bd_rate;  // vs the reference codec, in %
  std::string bd_note;            // why there is none
  // Why a BD-rate that was computed may mislead: a curve that is not
  // monotone, curves flat over their overlap (a saturated metric), fewer
  // than 4 points of a curve in the overlap.
  std::vector<std::string> bd_warnings;
};

struct UseCaseSummary {
  std::string usecase;
  std::string primary_metric;  // "top1", "psnr", or "parameter_snr_db" without a task
  std::optional<double> original_metric;
  double tolerance = 0;
  std::vector<const nlohmann::json*> records;  // in point order
  std::vector<CodecSummary> codecs;            // in config order of first appearance
};

struct RunReport {
  std::string reference_codec;
  std::vector<UseCaseSummary> usecases;
  std::map<std::string, std::optional<double>> mean_bd_rate;  // codec -> mean over use cases
  std::map<std::string, int> bd_count;                        // use cases the mean is over
};

// Builds the summaries from a results document (`results.json`).
RunReport summarize_run(const nlohmann::json& results, const ReportOptions& options);

// The report options of the run's config (defaults where it has none).
ReportOptions report_options_of(const nlohmann::json& results);

struct ReportFiles {
  std::string markdown, csv;
  std::vector<std::string> plots;
  std::vector<std::string> notes;  // e.g. that gnuplot is missing
};

// Writes report.md, report.csv and the curves into `dir`.
Status write_report(const nlohmann::json& results, const ReportOptions& options, const std::string& dir,
                    ReportFiles* files);

// The primary metric value of a record (nullopt when it has none).
std::optional<double> primary_metric_value(const nlohmann::json& record, const std::string& metric);

}  // namespace nnr

#endif  // NNR_HARNESS_REPORT_TABLES_H
