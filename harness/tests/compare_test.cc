// nnr compare: each regression kind fails, an identical run passes.
#include <gtest/gtest.h>

#include "report/compare_benchmarks.h"
#include "report/compare_runs.h"

namespace nnr {
namespace {

using json = nlohmann::json;

json baseline() {
  json recs = json::array();
  for (int qp : {-40, -36}) {
    recs.push_back({{"key", "uc/nnr/qp=" + std::to_string(qp)},
                    {"status", "ok"},
                    {"settings", {{"qp", qp}}},
                    {"stream_bytes", 1000 + qp},
                    {"stream_sha256", std::string(64, qp == -40 ? 'a' : 'b')},
                    {"verified", true},
                    {"metrics", {{"top1", 90.0}}},
                    {"times", {{"encode_s", 1.0}, {"decode_s", 0.5}}}});
  }
  return json{{"records", recs}};
}

Comparison check(const json& run) { return compare_runs(baseline(), run, CompareOptions()); }

void expect_one(const Comparison& c, const std::string& kind) {
  ASSERT_EQ(c.regressions.size(), 1u) << (c.regressions.empty() ? "" : c.regressions[0].kind);
  EXPECT_EQ(c.regressions[0].kind, kind);
  EXPECT_EQ(c.regressions[0].key, "uc/nnr/qp=-36");
}

TEST(Compare, IdenticalRunPasses) {
  const Comparison c = check(baseline());
  EXPECT_TRUE(c.passed());
  EXPECT_EQ(c.matched, 2u);
}

TEST(Compare, StreamChanged) {
  json r = baseline();
  r["records"][1]["stream_sha256"] = std::string(64, 'c');
  expect_one(check(r), "stream changed");
}

TEST(Compare, StreamGrew) {
  json r = baseline();
  r["records"][1]["stream_bytes"] = 2000;
  // A bigger stream is also a different stream.
  r["records"][1]["stream_sha256"] = std::string(64, 'b');
  expect_one(check(r), "stream grew");
}

TEST(Compare, MetricDroppedBeyondTolerance) {
  json r = baseline();
  r["records"][1]["metrics"]["top1"] = 89.95;  // within 0.1
  EXPECT_TRUE(check(r).passed());
  r["records"][1]["metrics"]["top1"] = 89.5;
  expect_one(check(r), "metric dropped");
}

TEST(Compare, NoLongerVerified) {
  json r = baseline();
  r["records"][1]["verified"] = false;
  expect_one(check(r), "not verified");
}

TEST(Compare, SlowerBeyondTheRatio) {
  json r = baseline();
  r["records"][1]["times"]["encode_s"] = 2.5;  // 2.5x: within the default 3x
  EXPECT_TRUE(check(r).passed());
  r["records"][1]["times"]["encode_s"] = 3.5;
  expect_one(check(r), "slower");
  CompareOptions o;
  o.check_times = false;
  EXPECT_TRUE(compare_runs(baseline(), r, o).passed());
}

TEST(Compare, FailedAndMissingPoints) {
  json r = baseline();
  r["records"][1]["status"] = "error";
  r["records"][1]["error"] = "decoding: truncated";
  expect_one(check(r), "failed");
  r = baseline();
  r["records"].erase(1);
  expect_one(check(r), "missing");
  CompareOptions o;
  o.allow_missing = true;
  EXPECT_TRUE(compare_runs(baseline(), r, o).passed());
}

TEST(Compare, ChangedSettingsAreNotComparedAsStreams) {
  json r = baseline();
  r["records"][1]["settings"]["use_dq"] = false;
  r["records"][1]["stream_sha256"] = std::string(64, 'd');
  const Comparison c = check(r);
  EXPECT_TRUE(c.passed());
  ASSERT_FALSE(c.notes.empty());
}

// Short steps count: a decoder three times slower at 10 ms regresses (steps
// under 0.25 s used to be skipped, and most decodes of a nightly run are).
TEST(Compare, ShortStepsAreComparedToo) {
  json run = baseline();
  for (json& r : run["records"]) {
    r["times"]["decode_s"] = 0.04;
    r["times"]["encode_s"] = 0.011;
  }
  json base = baseline();
  for (json& r : base["records"]) {
    r["times"]["decode_s"] = 0.01;
    r["times"]["encode_s"] = 0.01;
  }
  const Comparison c = compare_runs(base, run, CompareOptions());
  ASSERT_EQ(c.regressions.size(), 2u);
  EXPECT_EQ(c.regressions[0].kind, "slower");
  EXPECT_EQ(c.regressions[0].check, "time decode_s");
}

TEST(Compare, ChecksAreListedAndMachinesNoted) {
  json base = baseline(), run = baseline();
  base["run"] = {{"machine", {{"cpu", "A"}}}};
  run["run"] = {{"machine", {{"cpu", "B"}}}};
  run["records"][1]["stream_bytes"] = 2000;
  const Comparison c = compare_runs(base, run, CompareOptions());
  ASSERT_EQ(c.regressions.size(), 1u);
  EXPECT_EQ(c.regressions[0].check, "size");
  // status, stream, size, verified, metric top1, metric parameter_snr_db absent, times x2 per point
  size_t per_point = 0;
  for (const Check& k : c.checks) per_point += k.key == "uc/nnr/qp=-40";
  EXPECT_EQ(per_point, 7u);
  ASSERT_FALSE(c.notes.empty());
  EXPECT_NE(c.notes[0].find("different machines"), std::string::npos);
}

// Google Benchmark output as --benchmark_out writes it: repetitions of a
// benchmark are compared by their fastest, in any time unit.
json bench(const std::string& host, std::initializer_list<std::tuple<std::string, double, std::string>> runs) {
  json b = json::array();
  for (const auto& [name, t, unit] : runs) {
    json e = {{"name", name}, {"run_name", name}, {"run_type", "iteration"}, {"real_time", t}, {"time_unit", unit}};
    if (t < 0) e = {{"name", name}, {"run_name", name}, {"run_type", "iteration"}, {"error_occurred", true},
                    {"error_message", "nnr decode failed"}};
    b.push_back(e);
  }
  b.push_back({{"name", "x_median"}, {"run_name", "x"}, {"run_type", "aggregate"}, {"real_time", 1e9}, {"time_unit", "ms"}});
  return json{{"context", {{"host_name", host}, {"num_cpus", 2}, {"mhz_per_cpu", 2000}}}, {"benchmarks", b}};
}

TEST(CompareBenchmarks, FastestRepetitionAgainstTheRatio) {
  const json base = bench("h", {{"x", 100, "ms"}, {"x", 90, "ms"}, {"y", 2.0, "s"}, {"z", 5, "ms"}, {"w", 1, "ms"}});
  ASSERT_TRUE(is_benchmark_json(base));
  EXPECT_FALSE(is_benchmark_json(baseline()));
  // x: 130 ms against 90 (1.44x, within 1.5); y: 3.2 s against 2 (1.6x);
  // z: failed; w: missing.
  const json run = bench("h", {{"x", 150, "ms"}, {"x", 130000, "us"}, {"y", 3200, "ms"}, {"z", -1, "ms"}});
  const Comparison c = compare_benchmarks(base, run, BenchmarkCompareOptions{});
  ASSERT_EQ(c.regressions.size(), 3u);
  EXPECT_EQ(c.regressions[0].key, "w");
  EXPECT_EQ(c.regressions[0].kind, "missing");
  EXPECT_EQ(c.regressions[1].key, "y");
  EXPECT_EQ(c.regressions[1].kind, "slower");
  EXPECT_EQ(c.regressions[2].key, "z");
  EXPECT_EQ(c.regressions[2].kind, "failed");
  EXPECT_TRUE(c.notes.empty());
  BenchmarkCompareOptions loose;
  loose.time_ratio = 2;
  loose.allow_missing = true;
  EXPECT_EQ(compare_benchmarks(base, run, loose).regressions.size(), 1u);  // z still failed
}

TEST(CompareBenchmarks, AnotherMachineIsNoted) {
  const json base = bench("h1", {{"x", 100, "ms"}});
  const Comparison c = compare_benchmarks(base, bench("h2", {{"x", 40, "ms"}}), BenchmarkCompareOptions{});
  EXPECT_TRUE(c.passed());
  ASSERT_EQ(c.notes.size(), 2u);
  EXPECT_NE(c.notes[0].find("different machines"), std::string::npos);
  EXPECT_NE(c.notes[1].find("faster"), std::string::npos);
}

}  // namespace
}  // namespace nnr
