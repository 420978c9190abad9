// The report's tables hold exactly the values of the records they came from;
// the transparent point and BD-rates follow from those values.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "report/bd_rate.h"
#include "report/report_tables.h"

namespace nnr {
namespace {

using json = nlohmann::json;

json record(int index, const std::string& uc, const std::string& codec, const std::string& type, int qp,
            double cr, double top1, double top5) {
  json r = {{"index", index},
            {"key", uc + "/" + codec + "/" + (type == "original" ? "-" : "qp=" + std::to_string(qp))},
            {"usecase", uc},
            {"codec", codec},
            {"codec_type", type},
            {"point", type == "original" ? json::object() : json{{"qp", qp}}},
            {"status", "ok"},
            {"original_bytes", 1000000},
            {"stream_bytes", static_cast<int64_t>(std::llround(cr * 10000))},
            {"compression_ratio", cr},
            {"metrics", {{"top1", top1}, {"top5", top5}}},
            {"times", {{"encode_s", 0.5 + index}, {"decode_s", 0.25}, {"evaluate_s", 2.0}}},
            {"verified", type == "original" || type == "nnr" || type == "anchor"},
            {"stream_sha256", type == "original" ? json(nullptr) : json(std::string(64, 'a' + index % 6))}};
  return r;
}

json sample_results() {
  json recs = json::array();
  int i = 0;
  for (const std::string uc : {"vgg16", "resnet50"}) {
    const double o = uc == "vgg16" ? 91.0 : 92.0;
    recs.push_back(record(i++, uc, "original", "original", 0, 100.0, o, 99.5));
    recs.push_back(record(i++, uc, "nnr", "nnr", -40, 12.0, o - 0.1, 99.4));
    recs.push_back(record(i++, uc, "nnr", "nnr", -36, 9.0, o - 0.6, 99.3));
    recs.push_back(record(i++, uc, "nnr", "nnr", -32, 7.0, o - 2.5, 98.0));
    recs.push_back(record(i++, uc, "anchor", "anchor", -40, 14.0, o - 0.1, 99.4));
    recs.push_back(record(i++, uc, "anchor", "anchor", -36, 10.5, o - 0.6, 99.3));
    recs.push_back(record(i++, uc, "anchor", "anchor", -32, 8.2, o - 2.5, 98.0));
  }
  json failed = record(i++, "resnet50", "anchor", "anchor", -28, 0, 0, 0);
  failed["status"] = "error";
  failed["error"] = "encoding: qp out of range";
  failed.erase("metrics");
  failed.erase("compression_ratio");
  recs.push_back(failed);
  return json{{"run", {{"name", "unit"}}}, {"records", recs}};
}

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(f, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string c;
    while (std::getline(ss, c, ',')) cells.push_back(c);
    if (!line.empty() && line.back() == ',') cells.push_back("");
    rows.push_back(cells);
  }
  return rows;
}

TEST(Report, CsvRowsEqualTheRecords) {
  const json results = sample_results();
  const auto dir = std::filesystem::temp_directory_path() / ("nnr_report_test_" + std::to_string(::getpid()));
  ReportFiles files;
  ASSERT_TRUE(write_report(results, ReportOptions(), dir.string(), &files).ok());
  const auto rows = read_csv(files.csv);
  ASSERT_EQ(rows.size(), results["records"].size() + 1);
  const auto& head = rows[0];
  auto col = [&](const std::string& name) {
    for (size_t i = 0; i < head.size(); ++i)
      if (head[i] == name) return i;
    ADD_FAILURE() << "no column " << name;
    return size_t{0};
  };
  for (size_t i = 0; i < results["records"].size(); ++i) {
    const json& r = results["records"][i];
    const auto& row = rows[i + 1];
    ASSERT_EQ(row.size(), head.size()) << "row " << i;
    EXPECT_EQ(row[col("usecase")], r["usecase"].get<std::string>());
    EXPECT_EQ(row[col("codec")], r["codec"].get<std::string>());
    EXPECT_EQ(row[col("status")], r["status"].get<std::string>());
    if (r["status"] != "ok") continue;
    EXPECT_EQ(std::stoll(row[col("stream_bytes")]), r["stream_bytes"].get<int64_t>());
    EXPECT_NEAR(std::stod(row[col("compression_ratio")]), r["compression_ratio"].get<double>(), 1e-5);
    EXPECT_NEAR(std::stod(row[col("top1")]), r["metrics"]["top1"].get<double>(), 1e-4);
    EXPECT_NEAR(std::stod(row[col("top5")]), r["metrics"]["top5"].get<double>(), 1e-4);
    EXPECT_NEAR(std::stod(row[col("encode_s")]), r["times"]["encode_s"].get<double>(), 1e-6);
    EXPECT_EQ(row[col("verified")], r["verified"].get<bool>() ? "true" : "false");
  }
  std::filesystem::remove_all(dir);
}

TEST(Report, MarkdownTablesCarryTheRecordValues) {
  const json results = sample_results();
  const auto dir = std::filesystem::temp_directory_path() / ("nnr_report_md_" + std::to_string(::getpid()));
  ReportFiles files;
  ASSERT_TRUE(write_report(results, ReportOptions(), dir.string(), &files).ok());
  std::ifstream f(files.markdown);
  const std::string md((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  // Each ok record's row: codec, point, c_r with 3 decimals, bytes, top-1 with its difference.
  EXPECT_NE(md.find("| nnr | qp=-36 | 9.000 | 90000 | 90.40 (-0.60) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| anchor | qp=-32 | 8.200 | 82000 | 89.50 (-2.50) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| anchor | qp=-28 | failed: encoding: qp out of range |"), std::string::npos) << md;
  // BD-rate of nnr vs anchor for vgg16, recomputed from the records.
  std::vector<RatePoint> a = {{14.0, 90.9}, {10.5, 90.4}, {8.2, 88.5}}, b = {{12.0, 90.9}, {9.0, 90.4}, {7.0, 88.5}};
  const double bd = *bd_rate(a, b);
  char cell[32];
  std::snprintf(cell, sizeof cell, "%.2f %%", bd);
  EXPECT_NE(md.find(cell), std::string::npos) << cell;
  std::filesystem::remove_all(dir);
}

TEST(Report, TransparentPointAndMeanBdRate) {
  const json results = sample_results();
  ReportOptions o;
  o.transparent_tolerance = {{"top1", 0.5}};
  RunReport rep = summarize_run(results, o);
  ASSERT_EQ(rep.usecases.size(), 2u);
  for (const auto& uc : rep.usecases) {
    EXPECT_EQ(uc.primary_metric, "top1");
    ASSERT_TRUE(uc.original_metric);
    for (const auto& c : uc.codecs) {
      // Within 0.5 of the original: only the qp -40 points (-0.1).
      ASSERT_TRUE(c.transparent) << c.codec;
      EXPECT_EQ(c.transparent->point, "qp=-40");
      EXPECT_DOUBLE_EQ(c.transparent->compression_ratio, c.codec == "nnr" ? 12.0 : 14.0);
    }
  }
  o.transparent_tolerance = {{"top1", 1.0}};
  rep = summarize_run(results, o);
  EXPECT_EQ(rep.usecases[0].codecs[0].transparent->point, "qp=-36");
  // The same curves in both use cases: the mean equals each.
  ASSERT_TRUE(rep.mean_bd_rate["nnr"]);
  EXPECT_NEAR(*rep.mean_bd_rate["nnr"], *rep.usecases[0].codecs[0].bd_rate, 1e-12);
  EXPECT_LT(*rep.mean_bd_rate["nnr"], 0);
  EXPECT_EQ(rep.bd_count["nnr"], 2);
}

// A BD-rate is flagged where it would mislead: 3 points per curve (the
// sample runs), a curve that falls, a metric saturated over the overlap.
TEST(Report, UnreliableBdRatesAreFlagged) {
  ReportOptions o;
  RunReport rep = summarize_run(sample_results(), o);
  const CodecSummary* nnr = nullptr;
  for (const auto& c : rep.usecases[0].codecs)
    if (c.codec == "nnr") nnr = &c;
  ASSERT_TRUE(nnr && nnr->bd_rate);
  ASSERT_EQ(nnr->bd_warnings.size(), 1u);
  EXPECT_NE(nnr->bd_warnings[0].find("3 point(s)"), std::string::npos) << nnr->bd_warnings[0];

  // Five points each, monotone, well spread: nothing to flag.
  json recs = json::array();
  int i = 0;
  recs.push_back(record(i++, "m", "original", "original", 0, 100.0, 90.0, 99.0));
  for (int k = 0; k < 5; ++k) {
    recs.push_back(record(i++, "m", "nnr", "nnr", -40 + 3 * k, 12.0 - 2 * k, 89.5 - 2 * k, 99.0));
    recs.push_back(record(i++, "m", "anchor", "anchor", -40 + 3 * k, 14.0 - 2 * k, 89.5 - 2 * k, 99.0));
  }
  json doc = {{"run", {{"name", "u"}}}, {"records", recs}};
  rep = summarize_run(doc, o);
  for (const auto& c : rep.usecases[0].codecs) EXPECT_TRUE(c.bd_warnings.empty()) << c.codec << ": " << c.bd_warnings[0];
  // The nnr curve falls once; then a metric flat to 1e-4 (saturated).
  doc["records"][3]["metrics"]["top1"] = 80.0;  // nnr at c_r 10 below its c_r 8 point
  rep = summarize_run(doc, o);
  bool falls = false;
  for (const auto& c : rep.usecases[0].codecs)
    for (const auto& w : c.bd_warnings) falls |= w.find("not monotone") != std::string::npos;
  EXPECT_TRUE(falls);
  for (size_t k = 1; k < doc["records"].size(); ++k)
    doc["records"][k]["metrics"]["top1"] = 99.44 + 1e-5 * static_cast<double>(k);
  rep = summarize_run(doc, o);
  bool flat = false;
  for (const auto& c : rep.usecases[0].codecs)
    for (const auto& w : c.bd_warnings) flat |= w.find("flat") != std::string::npos;
  EXPECT_TRUE(flat);
}

}  // namespace
}  // namespace nnr
