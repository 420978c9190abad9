// nnr compare: each regression kind fails, an identical run passes.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace nnr
