#include "report/report_tables.h"
#include "report/report_updates.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

#include "nnr/io.h"
#include "report/bd_rate.h"
#include "report/curves.h"

namespace nnr {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// What makes a BD-rate of these two curves (in c_r order) a poor summary.
std::vector<std::string> bd_reliability(const std::string& ref_name, const std::vector<RatePoint>& ref,
                                        const std::string& test_name, const std::vector<RatePoint>& test) {
  std::vector<std::string> w;
  auto mono = [&w](const std::string& name, const std::vector<RatePoint>& c) {
    for (size_t i = 1; i < c.size(); ++i)
      if (c[i].metric < c[i - 1].metric) {
        char b[160];
        std::snprintf(b, sizeof b, "%s's curve is not monotone (%.4g at c_r %.3g %%, %.4g at %.3g %%)", name.c_str(),
                      c[i - 1].metric, c[i - 1].rate, c[i].metric, c[i].rate);
        w.push_back(b);
        return;
      }
  };
  mono(ref_name, ref);
  mono(test_name, test);
  auto range = [](const std::vector<RatePoint>& c) {
    double lo = c.front().metric, hi = lo;
    for (const RatePoint& p : c) lo = std::min(lo, p.metric), hi = std::max(hi, p.metric);
    return std::pair<double, double>(lo, hi);
  };
  const auto [rlo, rhi] = range(ref);
  const auto [tlo, thi] = range(test);
  const double lo = std::max(rlo, tlo), hi = std::min(rhi, thi);
  const double scale = std::max({std::fabs(rhi), std::fabs(thi), 1e-12});
  if (hi - lo <= 1e-3 * scale) {
    char b[160];
    std::snprintf(b, sizeof b, "the curves overlap over a metric range of only %.3g (flat: a saturated metric)",
                  hi - lo);
    w.push_back(b);
  }
  auto inside = [lo = lo, hi = hi](const std::vector<RatePoint>& c) {
    size_t n = 0;
    for (const RatePoint& p : c) n += p.metric >= lo && p.metric <= hi;
    return n;
  };
  const size_t nr = inside(ref), nt = inside(test);
  if (nr < 4 || nt < 4)
    w.push_back(std::to_string(std::min(nr, nt)) + " point(s) of " + (nr < nt ? ref_name : test_name) +
                " in the overlap of the metric ranges (4 or more make a BD-rate meaningful)");
  return w;
}


std::string fmt(double v, int prec = 4) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

std::string fmt_g(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

bool is_ok(const json& r) { return r.value("status", "") == "ok"; }

std::string file_stem(const std::string& s) {
  std::string o;
  for (char c : s) o += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  return o;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

// A record's parameter reduction: its stages' types joined by "+" (the
// coding-side ones, "qp_allocation" and "lsa", left out when asked: the
// reduced model then is the same as its anchor's), "original" for none.
std::string pipeline_of(const json& r, bool with_coding_tools = true) {
  std::string p;
  if (r.contains("stages") && r["stages"].is_array())
    for (const json& st : r["stages"]) {
      const std::string t = st.is_object() ? st.value("type", "?") : "?";
      if ((t != "lsa" && t != "qp_allocation") || with_coding_tools) p += (p.empty() ? "" : "+") + t;
    }
  return p.empty() ? "original" : p;
}

std::string point_text(const json& r) {
  const json& p = r.value("point", json::object());
  if (p.empty()) return "-";
  std::string s;
  for (auto it = p.begin(); it != p.end(); ++it) {
    if (!s.empty()) s += ",";
    s += it.key() + "=" + (it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
  }
  return s;
}

}  // namespace

std::optional<double> primary_metric_value(const json& r, const std::string& metric) {
  if (!is_ok(r)) return std::nullopt;
  if (r.contains("metrics") && r["metrics"].contains(metric) && r["metrics"][metric].is_number())
    return r["metrics"][metric].get<double>();
  if (r.contains(metric) && r[metric].is_number()) return r[metric].get<double>();
  return std::nullopt;
}

ReportOptions report_options_of(const json& results) {
  ReportOptions o;
  const json* cfg = nullptr;
  if (results.contains("run") && results["run"].contains("config")) cfg = &results["run"]["config"];
  if (cfg && cfg->contains("report")) {
    const json& r = (*cfg)["report"];
    if (r.contains("transparent_tolerance") && r["transparent_tolerance"].is_object()) {
      o.transparent_tolerance.clear();
      for (auto it = r["transparent_tolerance"].begin(); it != r["transparent_tolerance"].end(); ++it)
        if (it.value().is_number()) o.transparent_tolerance[it.key()] = it.value().get<double>();
    }
    if (r.contains("bd_reference") && r["bd_reference"].is_string()) o.bd_reference = r["bd_reference"];
  }
  return o;
}

RunReport summarize_run(const json& results, const ReportOptions& options) {
  RunReport rep;
  rep.reference_codec = options.bd_reference;
  const json& records = results["records"];
  std::vector<std::string> order;
  std::map<std::string, UseCaseSummary> by_uc;
  for (const auto& r : records) {
    if (r.contains("updates")) continue;  // sequences have a section of their own (report_updates.h)
    const std::string uc = r.value("usecase", "?");
    if (!by_uc.count(uc)) {
      order.push_back(uc);
      by_uc[uc].usecase = uc;
    }
    by_uc[uc].records.push_back(&r);
  }
  std::map<std::string, std::vector<double>> bd_all;
  std::vector<std::string> codec_order;
  for (const auto& name : order) {
    UseCaseSummary& s = by_uc[name];
    std::stable_sort(s.records.begin(), s.records.end(),
                     [](const json* a, const json* b) { return a->value("index", 0) < b->value("index", 0); });
    // The primary metric: the task's first (top-1 or PSNR); without a task,
    // the parameter SNR of the reconstruction.
    s.primary_metric = "parameter_snr_db";
    for (const json* r : s.records) {
      if (!is_ok(*r) || !r->contains("metrics") || (*r)["metrics"].empty()) continue;
      const json& m = (*r)["metrics"];
      if (m.contains("top1")) s.primary_metric = "top1";
      else if (m.contains("psnr")) s.primary_metric = "psnr";
      else s.primary_metric = m.begin().key();
      break;
    }
    auto tol = options.transparent_tolerance.find(s.primary_metric);
    s.tolerance = tol != options.transparent_tolerance.end() ? tol->second : 0.0;
    const bool has_tolerance = tol != options.transparent_tolerance.end();
    for (const json* r : s.records)
      if (r->value("codec_type", "") == "original") s.original_metric = primary_metric_value(*r, s.primary_metric);

    for (const json* r : s.records) {
      if (r->value("codec_type", "") == "original") continue;
      const std::string codec = r->value("codec", "?");
      auto it = std::find_if(s.codecs.begin(), s.codecs.end(), [&](const CodecSummary& c) { return c.codec == codec; });
      if (it == s.codecs.end()) {
        CodecSummary c;
        c.codec = codec;
        c.codec_type = r->value("codec_type", "");
        c.pipeline = pipeline_of(*r, /*with_coding_tools=*/false);
        s.codecs.push_back(std::move(c));
        it = s.codecs.end() - 1;
        if (std::find(codec_order.begin(), codec_order.end(), codec) == codec_order.end()) codec_order.push_back(codec);
      }
      const auto m = primary_metric_value(*r, s.primary_metric);
      if (!m || !(*r)["compression_ratio"].is_number() || !std::isfinite(*m)) continue;
      it->curve.push_back(CurvePoint{(*r)["compression_ratio"].get<double>(), *m, point_text(*r)});
    }
    const CodecSummary* ref = nullptr;
    for (auto& c : s.codecs) {
      std::sort(c.curve.begin(), c.curve.end(),
                [](const CurvePoint& a, const CurvePoint& b) { return a.compression_ratio < b.compression_ratio; });
      if (s.original_metric && has_tolerance)
        for (const auto& p : c.curve)
          if (p.metric >= *s.original_metric - s.tolerance) {
            c.transparent = p;
            break;
          }
      if (c.codec == options.bd_reference) ref = &c;
    }
    for (auto& c : s.codecs) {
      if (&c == ref) continue;
      if (!ref) {
        c.bd_note = "no reference codec '" + options.bd_reference + "'";
        continue;
      }
      std::vector<RatePoint> a, b;
      for (const auto& p : ref->curve) a.push_back({p.compression_ratio, p.metric});
      for (const auto& p : c.curve) b.push_back({p.compression_ratio, p.metric});
      c.bd_rate = bd_rate(a, b, BdInterpolation::kPchip, &c.bd_note);
      if (c.bd_rate) {
        bd_all[c.codec].push_back(*c.bd_rate);
        c.bd_warnings = bd_reliability(ref->codec, a, c.codec, b);
      }
    }
    rep.usecases.push_back(std::move(s));
  }
  for (const auto& codec : codec_order) {
    if (codec == options.bd_reference) continue;
    auto it = bd_all.find(codec);
    if (it == bd_all.end() || it->second.empty()) {
      rep.mean_bd_rate[codec] = std::nullopt;
      rep.bd_count[codec] = 0;
      continue;
    }
    double sum = 0;
    for (double v : it->second) sum += v;
    rep.mean_bd_rate[codec] = sum / static_cast<double>(it->second.size());
    rep.bd_count[codec] = static_cast<int>(it->second.size());
  }
  return rep;
}

namespace {

std::string metric_cell(const json& r, const std::string& key, const std::optional<double>& original) {
  const auto v = primary_metric_value(r, key);
  if (!v) return "-";
  std::string s = fmt(*v, key == "ssim" ? 4 : 2);
  if (original && r.value("codec_type", "") != "original") {
    const double d = *v - *original;
    s += " (" + std::string(d >= 0 ? "+" : "") + fmt(d, key == "ssim" ? 4 : 2) + ")";
  }
  return s;
}

}  // namespace

Status write_report(const json& results, const ReportOptions& options, const std::string& dir, ReportFiles* files) {
  std::error_code ec;
  fs::create_directories(dir + "/plots", ec);
  const RunReport rep = summarize_run(results, options);
  const json run = results.value("run", json::object());
  std::ostringstream md;
  md << "# NNR run report: " << run.value("name", "?") << "\n\n";
  if (!run.value("description", "").empty()) md << run.value("description", "") << "\n\n";
  size_t failed = 0, unverified = 0;
  for (const auto& r : results["records"]) {
    if (!is_ok(r)) ++failed;
    else if (r.contains("verified") && r["verified"].is_boolean() && !r["verified"].get<bool>()) ++unverified;
  }
  md << "| | |\n|---|---|\n";
  md << "| tool | nnr " << run.value("tool_version", "?") << " (" << run.value("git_revision", "?") << ") |\n";
  md << "| config | " << run.value("config_file", "") << " (sha256 " << run.value("config_hash", "").substr(0, 16) << "…) |\n";
  if (run.contains("machine"))
    md << "| machine | " << run["machine"].value("cpu", "?") << ", " << run["machine"].value("cores", 0) << " cores |\n";
  md << "| started / finished | " << run.value("started_at", "?") << " / " << run.value("finished_at", "?") << " |\n";
  md << "| points | " << results["records"].size() << " (" << failed << " failed, " << unverified
     << " not verified) |\n\n";
  md << "c_r is the stream size in % of the float32 parameters. Metrics are of the model with decoded "
        "parameters; the difference to the original model is in brackets. \"verified\": the decoder's "
        "output equals the encoder's own reconstruction bit for bit (n/a for external codecs). BD-rate: "
        "Bjøntegaard delta of c_r at equal primary metric against `"
     << rep.reference_codec << "`, piecewise cubic (PCHIP) interpolation; negative is smaller.\n\n";

  // Summary across use cases.
  std::vector<std::string> codecs;
  for (const auto& uc : rep.usecases)
    for (const auto& c : uc.codecs)
      if (std::find(codecs.begin(), codecs.end(), c.codec) == codecs.end()) codecs.push_back(c.codec);
  // Table III of the NNR paper: the searched transparent points.
  bool searched = false;
  for (const auto& r : results["records"]) searched |= r.value("transparent", false) && is_ok(r);
  if (searched) {
    md << "## Transparent points (searched)\n\n"
          "The smallest stream of each codec (and setting) whose metric stays within the search's tolerance of "
          "the original model (bisection over qp; `search` of the run file), as the NNR paper's Table III. Pipeline: "
          "the parameter reduction before coding (stages). c_r is relative to the original model's float32 size. "
          "Ratio: c_r over the anchor's at its transparent point on the unreduced model of the same use case.\n\n"
          "| use case | pipeline | codec | point | c_r (%) | metric | reconstructed | original | original size (bytes) | "
          "ratio to anchor |\n|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& uc : rep.usecases) {
      // The reference: the anchor's transparent point on the model as it
      // is (no stages), as the paper compares.
      std::optional<double> anchor_cr;
      for (const json* r : uc.records)
        if (r->value("transparent", false) && is_ok(*r) && r->value("codec_type", "") == "anchor" &&
            pipeline_of(*r) == "original")
          anchor_cr = anchor_cr ? std::min(*anchor_cr, (*r)["compression_ratio"].get<double>())
                                : (*r)["compression_ratio"].get<double>();
      for (const json* r : uc.records) {
        if (!r->value("transparent", false) || !is_ok(*r)) continue;
        const json sr = r->value("search", json::object());
        const std::string metric = sr.value("metric", uc.primary_metric);
        const auto v = primary_metric_value(*r, metric);
        const double cr = (*r)["compression_ratio"].get<double>();
        std::optional<double> orig;
        if (sr.contains("target") && sr.contains("tolerance"))
          orig = sr["target"].get<double>() + sr["tolerance"].get<double>();
        md << "| " << uc.usecase << " | " << pipeline_of(*r) << " | " << r->value("codec", "?") << " | "
           << point_text(*r) << " | " << fmt(cr, 3)
           << " | " << metric << " | " << (v ? fmt(*v, 2) : std::string("-")) << " | "
           << (orig ? fmt(*orig, 2) : std::string("-")) << " | " << r->value("original_bytes", 0) << " | "
           << (anchor_cr && *anchor_cr > 0 ? fmt(cr / *anchor_cr, 3) : std::string("-")) << " |\n";
      }
    }
    md << "\n";
  }

  md << updates_section(results);

  md << "## Summary\n\n| use case | metric | original |";
  for (const auto& c : codecs) md << " " << c << ": transparent c_r | " << c << ": BD-rate |";
  md << "\n|---|---|---|";
  for (size_t i = 0; i < codecs.size(); ++i) md << "---|---|";
  md << "\n";
  for (const auto& uc : rep.usecases) {
    md << "| " << uc.usecase << " | " << uc.primary_metric << " | "
       << (uc.original_metric ? fmt(*uc.original_metric, 2) : std::string("-")) << " |";
    for (const auto& name : codecs) {
      const CodecSummary* c = nullptr;
      for (const auto& x : uc.codecs)
        if (x.codec == name) c = &x;
      if (!c) {
        md << " | |";
        continue;
      }
      md << " " << (c->transparent ? fmt(c->transparent->compression_ratio, 3) + " % (" + c->transparent->point + ")" : "-")
         << " | ";
      if (name == rep.reference_codec) md << "reference |";
      else if (c->bd_rate && !c->bd_warnings.empty()) md << fmt(*c->bd_rate, 2) << " % (unreliable: see " << uc.usecase << ") |";
      else md << (c->bd_rate ? fmt(*c->bd_rate, 2) + " %" : "n/a (" + c->bd_note + ")") << " |";
    }
    md << "\n";
  }
  md << "| **mean** | | |";
  for (const auto& name : codecs) {
    md << " | ";
    if (name == rep.reference_codec) md << "reference |";
    else {
      auto it = rep.mean_bd_rate.find(name);
      if (it != rep.mean_bd_rate.end() && it->second)
        md << fmt(*it->second, 2) << " % (" << rep.bd_count.at(name) << " use cases) |";
      else md << "n/a |";
    }
  }
  md << "\n\n";

  // One section per use case.
  for (const auto& uc : rep.usecases) {
    md << "## " << uc.usecase << "\n\n";
    std::set<std::string> metric_keys;
    for (const json* r : uc.records)
      if (r->contains("metrics") && (*r)["metrics"].is_object())
        for (auto it = (*r)["metrics"].begin(); it != (*r)["metrics"].end(); ++it) metric_keys.insert(it.key());
    std::vector<std::string> keys(metric_keys.begin(), metric_keys.end());
    std::optional<double> orig_of[16];
    for (size_t k = 0; k < keys.size() && k < 16; ++k)
      for (const json* r : uc.records)
        if (r->value("codec_type", "") == "original") orig_of[k] = primary_metric_value(*r, keys[k]);
    md << "| codec | point | c_r (%) | bytes |";
    for (const auto& k : keys) md << " " << k << " |";
    md << " parameter SNR (dB) | encode (s) | decode (s) | evaluate (s) | verified |\n|---|---|---|---|";
    for (size_t k = 0; k < keys.size(); ++k) md << "---|";
    md << "---|---|---|---|---|\n";
    for (const json* r : uc.records) {
      md << "| " << r->value("codec", "?") << " | " << point_text(*r) << " | ";
      if (!is_ok(*r)) {
        md << "failed: " << r->value("error", "?") << " |\n";
        continue;
      }
      md << fmt((*r)["compression_ratio"].get<double>(), 3) << " | " << (*r)["stream_bytes"].get<uint64_t>() << " |";
      for (size_t k = 0; k < keys.size(); ++k) md << " " << metric_cell(*r, keys[k], k < 16 ? orig_of[k] : std::nullopt) << " |";
      const json times = r->value("times", json::object());
      auto t = [&](const char* k) { return times.contains(k) ? fmt(times[k].get<double>(), 3) : std::string("-"); };
      const json snr = r->value("parameter_snr_db", json());
      md << " " << (snr.is_number() ? fmt(snr.get<double>(), 2) : std::string("-")) << " | " << t("encode_s") << " | "
         << t("decode_s") << " | " << t("evaluate_s") << " | ";
      const json v = r->value("verified", json());
      md << (v.is_boolean() ? (v.get<bool>() ? "yes" : "**NO**") : "n/a") << " |\n";
    }
    md << "\n";
    std::vector<std::string> drawn;
    std::string note;
    const std::string stem = "curve_" + file_stem(uc.usecase);
    Status st = draw_curve(uc, dir + "/plots", stem, &drawn, &note);
    if (!st.ok()) return st;
    if (!note.empty()) {
      md << "_" << note << "_\n\n";
      files->notes.push_back(note);
    }
    if (!drawn.empty()) {
      md << "![" << uc.usecase << ": " << uc.primary_metric << " over c_r](plots/" << stem << ".png)\n\n";
      md << "[SVG](plots/" << stem << ".svg)\n\n";
      for (auto& d : drawn) files->plots.push_back(d);
    }
    // Beside the curves: why a BD-rate of them is not to be read alone.
    for (const auto& c : uc.codecs)
      for (const std::string& w : c.bd_warnings) {
        md << "- BD-rate of " << c.codec << " (" << (c.bd_rate ? fmt(*c.bd_rate, 2) + " %" : std::string("n/a"))
           << "): " << w << "\n";
        files->notes.push_back(uc.usecase + ": BD-rate of " + c.codec + ": " + w);
      }
    md << "\n";
  }

  // CSV: one row per record.
  std::set<std::string> all_metrics;
  for (const auto& r : results["records"])
    if (r.contains("metrics") && r["metrics"].is_object())
      for (auto it = r["metrics"].begin(); it != r["metrics"].end(); ++it) all_metrics.insert(it.key());
  std::ostringstream csv;
  csv << "usecase,codec,codec_type,point,status,original_bytes,stream_bytes,compression_ratio";
  for (const auto& m : all_metrics) csv << "," << m;
  csv << ",parameter_snr_db,weight_mse,encode_s,decode_s,evaluate_s,peak_rss_bytes,verified,stream_sha256\n";
  for (const auto& r : results["records"]) {
    auto num = [&](const json& j) { return j.is_number() ? fmt_g(j.get<double>()) : std::string(); };
    csv << csv_field(r.value("usecase", "")) << "," << csv_field(r.value("codec", "")) << ","
        << r.value("codec_type", "") << "," << csv_field(point_text(r)) << "," << r.value("status", "") << ","
        << r.value("original_bytes", json()).dump() << "," << (r.contains("stream_bytes") ? r["stream_bytes"].dump() : "")
        << "," << num(r.value("compression_ratio", json()));
    for (const auto& m : all_metrics)
      csv << "," << (r.contains("metrics") && r["metrics"].contains(m) ? num(r["metrics"][m]) : std::string());
    const json times = r.value("times", json::object());
    csv << "," << num(r.value("parameter_snr_db", json())) << "," << num(r.value("weight_mse", json())) << ","
        << num(times.value("encode_s", json())) << "," << num(times.value("decode_s", json())) << ","
        << num(times.value("evaluate_s", json())) << ","
        << (r.contains("peak_rss_bytes") ? r["peak_rss_bytes"].dump() : std::string()) << ",";
    const json v = r.value("verified", json());
    csv << (v.is_boolean() ? (v.get<bool>() ? "true" : "false") : "") << ","
        << (r.contains("stream_sha256") && r["stream_sha256"].is_string() ? r["stream_sha256"].get<std::string>() : "")
        << "\n";
  }
  files->markdown = dir + "/report.md";
  files->csv = dir + "/report.csv";
  const std::string m = md.str(), c = csv.str();
  Status st = write_file_atomic(files->markdown, reinterpret_cast<const uint8_t*>(m.data()), m.size());
  if (!st.ok()) return st;
  return write_file_atomic(files->csv, reinterpret_cast<const uint8_t*>(c.data()), c.size());
}

}  // namespace nnr
