#include "pipeline/stages.h"

#include <Eigen/Dense>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

namespace nnr {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

bool is_weight(const Tensor& t) { return t.dtype == DType::kFloat32 && t.shape.size() >= 2 && t.numel() > 1; }

// Zeroes the smallest |w| of each weight: `ratio` of its elements.
json sparsify(std::vector<Tensor>& params, double ratio) {
  int64_t zeroed = 0, total = 0;
  for (Tensor& t : params) {
    if (!is_weight(t)) continue;
    const size_t n = t.f32.size(), k = static_cast<size_t>(std::floor(ratio * static_cast<double>(n)));
    total += static_cast<int64_t>(n);
    if (k == 0) continue;
    std::vector<float> mag(n);
    for (size_t i = 0; i < n; ++i) mag[i] = std::fabs(t.f32[i]);
    std::nth_element(mag.begin(), mag.begin() + static_cast<std::ptrdiff_t>(k - 1), mag.end());
    const float cut = mag[k - 1];
    // Ties at the cut: zero them in order until k are zero.
    size_t left = k;
    for (size_t i = 0; i < n && left; ++i)
      if (std::fabs(t.f32[i]) < cut) t.f32[i] = 0.0f, --left;
    for (size_t i = 0; i < n && left; ++i)
      if (std::fabs(t.f32[i]) == cut && t.f32[i] != 0.0f) t.f32[i] = 0.0f, --left;
    zeroed += static_cast<int64_t>(k - left);
  }
  return {{"weights_zeroed", zeroed}, {"weight_elements", total}};
}

// Low-rank factors of each weight where they are smaller.
json low_rank(std::vector<Tensor>& params, json& settings, double energy, double rank_ratio) {
  std::vector<Tensor> out;
  int64_t before = 0, after = 0, decomposed = 0;
  for (Tensor& t : params) {
    if (!is_weight(t)) {
      out.push_back(std::move(t));
      continue;
    }
    const int64_t rows = t.shape[0], cols = t.numel() / rows;
    Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> w(t.f32.data(), rows, cols);
    Eigen::BDCSVD<Eigen::MatrixXd> svd(w.cast<double>(), Eigen::ComputeThinU | Eigen::ComputeThinV);
    const Eigen::VectorXd& sv = svd.singularValues();
    const int64_t full = static_cast<int64_t>(sv.size());
    int64_t r = full;
    if (rank_ratio > 0) {
      r = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(rank_ratio * static_cast<double>(full))));
    } else {
      const double total = sv.squaredNorm();
      double kept = 0;
      for (r = 0; r < full && (total == 0 || kept < energy * total);) kept += sv[r] * sv[r], ++r;
      r = std::max<int64_t>(r, 1);
    }
    before += rows * cols;
    if (r * (rows + cols) >= rows * cols) {  // no smaller
      after += rows * cols;
      out.push_back(std::move(t));
      continue;
    }
    Tensor g, h;
    g.name = t.name + "_G";
    g.shape = {rows, r};
    h.name = t.name + "_H";
    h.shape = {r, cols};
    g.f32.resize(static_cast<size_t>(rows * r));
    h.f32.resize(static_cast<size_t>(r * cols));
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t k = 0; k < r; ++k) g.f32[static_cast<size_t>(i * r + k)] = static_cast<float>(svd.matrixU()(i, k) * sv[k]);
    for (int64_t k = 0; k < r; ++k)
      for (int64_t j = 0; j < cols; ++j) h.f32[static_cast<size_t>(k * cols + j)] = static_cast<float>(svd.matrixV()(j, k));
    settings["decomposed_weight_shape"][t.name] = t.shape;
    after += r * (rows + cols);
    ++decomposed;
    out.push_back(std::move(g));
    out.push_back(std::move(h));
  }
  params = std::move(out);
  return {{"weights_decomposed", decomposed}, {"weight_elements_before", before}, {"weight_elements_after", after}};
}

}  // namespace

void check_stages(const JsonNode& stages) {
  stages.expect_array();
  for (size_t i = 0; i < stages.size(); ++i) {
    const JsonNode s = stages.at(i);
    s.expect_object();
    const std::string type = s.at("type").as_string();
    if (type == "sparsify") {
      s.allow_keys({"type", "ratio"});
      const double r = s.at("ratio").as_number();
      if (!(r >= 0 && r < 1)) s.at("ratio").fail("expected a share in [0, 1)");
    } else if (type == "low_rank") {
      s.allow_keys({"type", "energy", "rank_ratio"});
      if (s.has("energy") == s.has("rank_ratio")) s.fail("expected one of \"energy\" or \"rank_ratio\"");
      const JsonNode v = s.has("energy") ? s.at("energy") : s.at("rank_ratio");
      const double x = v.as_number();
      if (!(x > 0 && x <= 1)) v.fail("expected a share in (0, 1]");
    } else {
      s.at("type").fail("unknown stage '" + type + "' (known: sparsify, low_rank)");
    }
  }
}

StageResult apply_stages(const json& stages, const std::vector<Tensor>& params) {
  StageResult r;
  r.params = params;
  for (const json& s : stages) {
    const auto t0 = Clock::now();
    json e = s;
    const std::string type = s.at("type").get<std::string>();
    if (type == "sparsify") e["effect"] = sparsify(r.params, s.at("ratio").get<double>());
    else if (type == "low_rank")
      e["effect"] = low_rank(r.params, r.settings, s.value("energy", 0.0), s.value("rank_ratio", 0.0));
    e["seconds"] = std::chrono::duration<double>(Clock::now() - t0).count();
    r.log.push_back(std::move(e));
  }
  return r;
}

bool recompose(const std::vector<Tensor>& decoded, const std::vector<Tensor>& original, std::vector<Tensor>* out,
               std::string* why) {
  std::map<std::string, const Tensor*> by_name;
  for (const Tensor& t : decoded) by_name[t.name] = &t;
  out->clear();
  for (const Tensor& o : original) {
    auto it = by_name.find(o.name);
    if (it != by_name.end()) {
      out->push_back(*it->second);
      continue;
    }
    auto g = by_name.find(o.name + "_G"), h = by_name.find(o.name + "_H");
    if (g == by_name.end() || h == by_name.end()) {
      *why = "no tensor '" + o.name + "' (nor its factors) in the decoded model";
      return false;
    }
    const Tensor& G = *g->second;
    const Tensor& H = *h->second;
    const int64_t rows = G.shape[0], r = G.shape[1], cols = H.shape[1];
    Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> gm(G.f32.data(), rows, r);
    Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> hm(H.f32.data(), r, cols);
    Tensor w;
    w.name = o.name;
    w.shape = o.shape;
    w.f32.resize(static_cast<size_t>(rows * cols));
    Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(w.f32.data(), rows, cols) = gm * hm;
    out->push_back(std::move(w));
  }
  return true;
}

}  // namespace nnr
