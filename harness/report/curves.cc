#include "report/curves.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>

#include "common/subprocess.h"

namespace nnr {

namespace {

// Whether an executable of that name is in one of $PATH's folders.
bool on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    const size_t end = p.find(':', start);
    const std::string dir = p.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (access(((dir.empty() ? "." : dir) + "/" + name).c_str(), X_OK) == 0) return true;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return false;
}


std::string metric_axis(const std::string& m) {
  if (m == "top1") return "top-1 accuracy (%)";
  if (m == "top5") return "top-5 accuracy (%)";
  if (m == "psnr") return "PSNR (dB)";
  if (m == "ssim") return "SSIM";
  if (m == "parameter_snr_db") return "parameter SNR (dB)";
  return m;
}

// gnuplot string literal (double quotes; escape backslash and quote).
std::string gp_str(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

}  // namespace

Status draw_curve(const UseCaseSummary& uc, const std::string& dir, const std::string& stem,
                  std::vector<std::string>* drawn, std::string* note) {
  const std::string dat = dir + "/" + stem + ".dat";
  const std::string gp = dir + "/" + stem + ".gp";
  {
    std::ofstream f(dat);
    if (!f) return Status(ErrorCode::kIo, kNoOffset, dat + ": cannot write");
    // One gnuplot data block per codec (separated by two blank lines).
    for (const auto& c : uc.codecs) {
      f << "# " << c.codec << "\n";
      for (const auto& p : c.curve) f << p.compression_ratio << " " << p.metric << "\n";
      f << "\n\n";
    }
  }
  std::vector<const CodecSummary*> lines;
  std::vector<std::string> pipelines;
  for (const auto& c : uc.codecs)
    if (!c.curve.empty()) {
      lines.push_back(&c);
      if (std::find(pipelines.begin(), pipelines.end(), c.pipeline) == pipelines.end()) pipelines.push_back(c.pipeline);
    }
  // The zoomed view: the band of ten tolerances below the original, where
  // the transparent points are (the paper's Fig. 5 reads there).
  const bool zoomable = uc.original_metric && uc.tolerance > 0;
  auto script = [&](const std::string& terminal, const std::string& out, bool zoom = false) {
    std::string s = "set terminal " + terminal + "\nset output " + gp_str(out) + "\n";
    s += "set title " + gp_str(uc.usecase + (zoom ? " (near the original)" : "")) + "\n";
    if (zoom) {
      char b[128];
      std::snprintf(b, sizeof b, "set yrange [%.17g:%.17g]\n", *uc.original_metric - 10 * uc.tolerance,
                    *uc.original_metric + 2 * uc.tolerance);
      s += b;
    } else {
      s += "set autoscale y\n";
    }
    s += "set xlabel " + gp_str("compression ratio c_r (% of the float32 size)") + "\n";
    s += "set ylabel " + gp_str(metric_axis(uc.primary_metric)) + "\n";
    s += "set logscale x\nset grid\nset key bottom right\n";
    if (uc.original_metric) {
      char b[64];
      std::snprintf(b, sizeof b, "%.17g", *uc.original_metric);
      s += std::string("orig = ") + b + "\n";
    }
    s += "plot ";
    for (size_t i = 0; i < lines.size(); ++i) {
      // Index by position in the data file.
      size_t block = 0;
      for (size_t k = 0; k < uc.codecs.size(); ++k)
        if (&uc.codecs[k] == lines[i]) block = k;
      // As the paper's Fig. 5: one colour per pipeline (reduced model), the
      // anchor on it dashed.
      const size_t colour = static_cast<size_t>(
          std::find(pipelines.begin(), pipelines.end(), lines[i]->pipeline) - pipelines.begin());
      s += (i ? ", " : "") + gp_str(dat) + " index " + std::to_string(block) +
           " using 1:2 with linespoints linecolor " + std::to_string(colour + 1) + " pointtype " +
           std::to_string(i % 13 + 1) + " dashtype " + (lines[i]->codec_type == "anchor" ? "2" : "1") + " title " +
           gp_str(lines[i]->codec);
    }
    if (uc.original_metric) s += std::string(lines.empty() ? "" : ", ") + "orig with lines dashtype 2 title \"original\"";
    return s + "\n";
  };
  const std::string png = dir + "/" + stem + ".png", svg = dir + "/" + stem + ".svg";
  const std::string zpng = dir + "/" + stem + "_zoom.png", zsvg = dir + "/" + stem + "_zoom.svg";
  {
    std::ofstream f(gp);
    if (!f) return Status(ErrorCode::kIo, kNoOffset, gp + ": cannot write");
    f << script("pngcairo size 900,600 noenhanced", png) << script("svg size 900,600 noenhanced", svg);
    if (zoomable)
      f << script("pngcairo size 900,600 noenhanced", zpng, true) << script("svg size 900,600 noenhanced", zsvg, true);
  }
  if (lines.empty() && !uc.original_metric) {
    *note = uc.usecase + ": nothing to plot";
    return Status();
  }
  if (!on_path("gnuplot")) {
    *note = uc.usecase + ": curves not drawn: gnuplot is not installed (Debian: apt-get install gnuplot-nox); "
                         "the data and script are in " + gp;
    return Status();
  }
  const CommandResult r = run_command("gnuplot " + shell_quote(gp), 120);
  if (!r.ok()) {
    *note = uc.usecase + ": curves not drawn (gnuplot: " + r.describe(120) + "); the data and script are in " + gp;
    return Status();
  }
  drawn->push_back(png);
  drawn->push_back(svg);
  if (zoomable) {
    drawn->push_back(zpng);
    drawn->push_back(zsvg);
  }
  return Status();
}

}  // namespace nnr
