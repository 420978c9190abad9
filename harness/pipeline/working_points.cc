#include "pipeline/working_points.h"

namespace nnr {

using json = nlohmann::json;

std::string point_label(const json& point) {
  if (point.empty()) return "-";
  std::string s;
  for (auto it = point.begin(); it != point.end(); ++it) {
    if (!s.empty()) s += ",";
    s += it.key() + "=" + (it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
  }
  return s;
}

std::vector<WorkingPoint> expand_working_points(const RunConfig& config) {
  std::vector<WorkingPoint> out;
  for (size_t u = 0; u < config.usecases.size(); ++u) {
    for (size_t c = 0; c < config.codecs.size(); ++c) {
      const CodecEntry& codec = config.codecs[c];
      if (!codec.runs_on(config.usecases[u].label)) continue;
      // A search without a swept qp has no grid: its probes are its points.
      bool swept_qp = false;
      for (const auto& [key, values] : codec.sweep) swept_qp |= key == "qp";
      if (codec.search && !swept_qp) continue;
      std::vector<json> points(1, json::object());
      if (codec.type != CodecType::kOriginal) {
        for (const auto& [key, values] : codec.sweep) {
          std::vector<json> next;
          for (const auto& p : points)
            for (const auto& v : values) {
              json q = p;
              q[key] = v;
              next.push_back(std::move(q));
            }
          points.swap(next);
        }
      }
      for (auto& p : points) {
        WorkingPoint w;
        w.index = out.size();
        w.usecase = u;
        w.codec = c;
        w.settings = codec.settings;
        for (auto it = p.begin(); it != p.end(); ++it) w.settings[it.key()] = it.value();
        w.point = std::move(p);
        w.key = config.usecases[u].label + "/" + codec.label + "/" + point_label(w.point);
        out.push_back(std::move(w));
      }
    }
  }
  return out;
}

}  // namespace nnr
