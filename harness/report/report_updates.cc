#include "report/report_updates.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

namespace nnr {

using json = nlohmann::json;

namespace {

std::string fmt(double v, int prec) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

bool is_ok(const json& r) { return r.value("status", "") == "ok"; }

// The sum of a sequence's streams, for the comparison columns.
std::optional<double> total_of(const std::vector<const json*>& records, const json& point, const std::string& codec_type,
                               const std::string& mode) {
  for (const json* r : records) {
    if (!is_ok(*r) || r->value("codec_type", "") != codec_type) continue;
    if ((*r)["updates"].value("mode", "") != mode || r->value("point", json()) != point) continue;
    return (*r)["stream_bytes"].get<double>();
  }
  return std::nullopt;
}

std::string point_text(const json& p) {
  if (!p.is_object() || p.empty()) return "-";
  std::string s;
  for (auto it = p.begin(); it != p.end(); ++it) s += (s.empty() ? "" : ", ") + it.key() + "=" + it.value().dump();
  return s;
}

}  // namespace

std::string updates_section(const json& results) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const json*>> by_uc;
  size_t steps = 0;
  for (const auto& r : results["records"]) {
    if (!r.contains("updates")) continue;
    const std::string uc = r.value("usecase", "?");
    if (!by_uc.count(uc)) order.push_back(uc);
    by_uc[uc].push_back(&r);
    if (r["updates"].contains("stream_sequence")) steps = std::max(steps, r["updates"]["stream_sequence"].size());
  }
  if (order.empty()) return "";
  std::ostringstream md;
  md << "## Model updates\n\n"
        "Each use case's model and its snapshots after further fine-tuning steps (on other training samples each "
        "step), coded as a sequence of streams: `scratch` codes every model alone; `full` codes every model as an "
        "update of the streams before it (edition 2; with TCA the contexts follow the parent's levels); `diff` "
        "codes the first model, then each the difference to the model decoded so far. Bytes per stream, their "
        "sum, the sum over the NNR sequence coded from scratch (edition 1) and over the anchor from scratch at the "
        "same point, and the primary metric of the last decoded model beside the uncoded last snapshot's.\n\n";
  for (const std::string& uc : order) {
    const std::vector<const json*>& recs = by_uc[uc];
    md << "### " << uc << "\n\n| entry | codec | mode | point |";
    for (size_t k = 0; k < steps; ++k) md << " step " << k << " |";
    md << " total (bytes) | vs scratch | vs anchor | last model | last snapshot | verified |\n|---|---|---|---|";
    for (size_t k = 0; k < steps; ++k) md << "---|";
    md << "---|---|---|---|---|---|\n";
    for (const json* r : recs) {
      const json& u = (*r)["updates"];
      md << "| " << r->value("codec", "?") << " | " << r->value("codec_type", "?") << " | " << u.value("mode", "?")
         << " | " << point_text(r->value("point", json())) << " |";
      if (!is_ok(*r)) {
        for (size_t k = 0; k < steps; ++k) md << " - |";
        md << " failed: " << r->value("error", "?") << " | | | | | |\n";
        continue;
      }
      const json seq = u.value("stream_sequence", json::array());
      for (size_t k = 0; k < steps; ++k)
        md << " " << (k < seq.size() ? std::to_string(seq[k].value("stream_bytes", uint64_t{0})) : "-") << " |";
      const double total = (*r)["stream_bytes"].get<double>();
      const json pt = r->value("point", json());
      const auto scratch = total_of(recs, pt, "nnr", "scratch");
      const auto anchor = total_of(recs, pt, "anchor", "scratch");
      md << " " << static_cast<uint64_t>(total) << " | "
         << (scratch && *scratch > 0 ? fmt(total / *scratch, 3) : std::string("-")) << " | "
         << (anchor && *anchor > 0 ? fmt(total / *anchor, 3) : std::string("-")) << " |";
      // The primary metric: the task's first, as the use case reports it.
      const json m = r->value("metrics", json::object());
      const json last = u.value("last_snapshot_metrics", json::object());
      std::string key;
      for (const char* k : {"top1", "psnr"})
        if (m.contains(k)) {
          key = k;
          break;
        }
      if (key.empty() && !m.empty()) key = m.begin().key();
      md << " " << (key.empty() ? "-" : key + " " + fmt(m[key].get<double>(), 2)) << " | "
         << (!key.empty() && last.contains(key) ? fmt(last[key].get<double>(), 2) : std::string("-")) << " | ";
      const json v = r->value("verified", json());
      md << (v.is_boolean() ? (v.get<bool>() ? "yes" : "**NO**") : "n/a") << " |\n";
    }
    md << "\n";
  }
  return md.str();
}

}  // namespace nnr
