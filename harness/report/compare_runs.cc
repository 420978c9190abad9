#include "report/compare_runs.h"

#include <algorithm>
#include <cstdio>
#include <optional>

namespace nnr {
using json = nlohmann::json;

namespace {

std::string num(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

std::map<std::string, const json*> index_records(const json& doc) {
  std::map<std::string, const json*> m;
  if (doc.contains("records"))
    for (const auto& r : doc["records"]) m[r.value("key", "")] = &r;
  return m;
}

}  // namespace

Comparison compare_runs(const json& baseline, const json& run, const CompareOptions& o) {
  Comparison c;
  const auto base = index_records(baseline);
  const auto cur = index_records(run);
  // A regression of check `check`; every check made is listed.
  auto fail = [&c](const std::string& key, const std::string& check, const std::string& kind, const std::string& b,
                   const std::string& r) { c.regressions.push_back({key, kind, b, r, check}); };
  auto checked = [&c](const std::string& key, const std::string& check) { c.checks.push_back({key, check}); };
  const json bm = baseline.value("run", json::object()).value("machine", json()),
             rm = run.value("run", json::object()).value("machine", json());
  if (!bm.is_null() && !rm.is_null() && bm != rm)
    c.notes.push_back("baseline and run come from different machines (" + bm.dump() + " / " + rm.dump() +
                      "): times compare the machines as much as the code");
  for (const auto& [key, b] : base) {
    auto it = cur.find(key);
    checked(key, "status");
    if (it == cur.end()) {
      if (!o.allow_missing) fail(key, "status", "missing", "recorded", "absent");
      continue;
    }
    const json& r = *it->second;
    ++c.matched;
    const bool b_ok = b->value("status", "") == "ok";
    const bool r_ok = r.value("status", "") == "ok";
    if (!r_ok) {
      if (b_ok) fail(key, "status", "failed", "ok", r.value("error", "error"));
      continue;
    }
    if (!b_ok) {
      c.notes.push_back(key + ": fixed (failed in the baseline)");
      continue;
    }
    if (b->value("settings", json()) != r.value("settings", json())) {
      c.notes.push_back(key + ": settings differ; stream not compared");
    } else {
      const json bs = b->value("stream_sha256", json()), rs = r.value("stream_sha256", json());
      if (bs.is_string() && rs.is_string()) {
        checked(key, "stream");
        if (bs != rs)
          fail(key, "stream", "stream changed", bs.get<std::string>().substr(0, 16), rs.get<std::string>().substr(0, 16));
      }
    }
    const json bb = b->value("stream_bytes", json()), rb = r.value("stream_bytes", json());
    if (bb.is_number() && rb.is_number()) {
      checked(key, "size");
      if (rb.get<double>() > bb.get<double>())
        fail(key, "size", "stream grew", bb.dump() + " B", rb.dump() + " B");
      else if (rb.get<double>() < bb.get<double>())
        c.notes.push_back(key + ": stream shrank " + bb.dump() + " -> " + rb.dump() + " B");
    }
    const json bv = b->value("verified", json()), rv = r.value("verified", json());
    checked(key, "verified");
    if (rv.is_boolean() && !rv.get<bool>()) fail(key, "verified", "not verified", bv.dump(), "false");
    // Metrics: every metric of the baseline, higher is better.
    auto metric_of = [](const json& rec, const std::string& m) -> std::optional<double> {
      if (rec.contains("metrics") && rec["metrics"].contains(m) && rec["metrics"][m].is_number())
        return rec["metrics"][m].get<double>();
      if (rec.contains(m) && rec[m].is_number()) return rec[m].get<double>();
      return std::nullopt;
    };
    std::vector<std::string> names;
    if (b->contains("metrics"))
      for (auto m = (*b)["metrics"].begin(); m != (*b)["metrics"].end(); ++m) names.push_back(m.key());
    names.push_back("parameter_snr_db");
    for (const auto& m : names) {
      const auto bvv = metric_of(*b, m);
      if (!bvv) continue;
      const auto rvv = metric_of(r, m);
      auto t = o.metric_tolerance.find(m);
      const double tol = t == o.metric_tolerance.end() ? 0.0 : t->second;
      checked(key, "metric " + m);
      if (!rvv) fail(key, "metric " + m, "metric dropped", m + " " + num(*bvv), m + " missing");
      else if (*rvv < *bvv - tol) fail(key, "metric " + m, "metric dropped", m + " " + num(*bvv), m + " " + num(*rvv));
    }
    if (o.check_times) {
      const json bt = b->value("times", json::object()), rt = r.value("times", json::object());
      for (const char* step : {"encode_s", "decode_s"}) {
        if (!bt.contains(step) || !rt.contains(step)) continue;
        const double x = bt[step].get<double>(), y = rt[step].get<double>();
        if (std::max(x, y) < o.min_time_s) continue;
        checked(key, std::string("time ") + step);
        if (y > x * o.time_ratio)
          fail(key, std::string("time ") + step, "slower", std::string(step) + " " + num(x) + " s",
               std::string(step) + " " + num(y) + " s (x" + num(y / std::max(x, 1e-9)) + ")");
      }
    }
  }
  for (const auto& [key, r] : cur)
    if (!base.count(key)) c.notes.push_back(key + ": new point (not in the baseline)");
  return c;
}

}  // namespace nnr
