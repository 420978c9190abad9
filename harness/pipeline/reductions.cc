#include "pipeline/reductions.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

namespace nnr {

using json = nlohmann::json;

bool is_weight(const Tensor& t) { return t.dtype == DType::kFloat32 && t.shape.size() >= 2 && t.numel() > 1; }

json sparsify(std::vector<Tensor>& params, double ratio, double threshold, bool global) {
  if (global && threshold <= 0 && ratio > 0) {
    // One cut over every weight's magnitudes: the weights that matter least
    // overall give up most, instead of each weight giving up the same share.
    std::vector<float> mag;
    for (const Tensor& t : params)
      if (is_weight(t))
        for (float v : t.f32) mag.push_back(std::fabs(v));
    const size_t k = static_cast<size_t>(std::floor(ratio * static_cast<double>(mag.size())));
    if (k == 0) return sparsify(params, 0.0, 0.0, false);
    std::nth_element(mag.begin(), mag.begin() + static_cast<std::ptrdiff_t>(k - 1), mag.end());
    // Zeroes |w| <= the k-th smallest magnitude; ties may zero a few more.
    const float cut = std::nextafter(mag[k - 1], std::numeric_limits<float>::infinity());
    json e = sparsify(params, 0.0, static_cast<double>(cut), false);
    e["scope"] = "global";
    return e;
  }
  int64_t zeroed = 0, total = 0;
  float largest = 0.0f;  // the largest magnitude set to zero
  for (Tensor& t : params) {
    if (!is_weight(t)) continue;
    const size_t n = t.f32.size();
    total += static_cast<int64_t>(n);
    if (threshold > 0) {
      for (float& v : t.f32)
        if (v != 0.0f && std::fabs(v) < threshold) largest = std::max(largest, std::fabs(v)), v = 0.0f, ++zeroed;
      continue;
    }
    const size_t k = static_cast<size_t>(std::floor(ratio * static_cast<double>(n)));
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
    largest = std::max(largest, cut);
  }
  return {{"weights_zeroed", zeroed}, {"weight_elements", total}, {"largest_zeroed", largest}};
}

namespace {

// One micro-structured block: its weight and element indices.
struct Block {
  size_t tensor;
  std::vector<size_t> elements;
  double loss = 0.0;
  int64_t out0 = 0, in0 = 0;  // its first output and input channel
};

std::vector<Block> cut_blocks(const std::vector<Tensor>& params, const std::array<int64_t, 3>& b) {
  std::vector<Block> blocks;
  for (size_t ti = 0; ti < params.size(); ++ti) {
    const Tensor& t = params[ti];
    if (!is_weight(t)) continue;
    const int64_t out = t.shape[0], in = t.shape[1], k = t.numel() / (out * in);
    for (int64_t o0 = 0; o0 < out; o0 += b[0])
      for (int64_t i0 = 0; i0 < in; i0 += b[1])
        for (int64_t k0 = 0; k0 < k; k0 += b[2]) {
          Block blk{ti, {}, 0.0, o0, i0};
          for (int64_t o = o0; o < std::min(out, o0 + b[0]); ++o)
            for (int64_t i = i0; i < std::min(in, i0 + b[1]); ++i)
              for (int64_t j = k0; j < std::min(k, k0 + b[2]); ++j)
                blk.elements.push_back(static_cast<size_t>((o * in + i) * k + j));
          blocks.push_back(std::move(blk));
        }
  }
  return blocks;
}

// The `ratio` share of blocks with the smallest loss, ties by position.
std::vector<size_t> smallest(const std::vector<Block>& blocks, double ratio) {
  std::vector<size_t> order(blocks.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return blocks[a].loss < blocks[b].loss; });
  order.resize(static_cast<size_t>(std::floor(ratio * static_cast<double>(blocks.size()))));
  return order;
}

void mark(HeldMasks* held, const Tensor& t, size_t e) {
  std::vector<uint8_t>& m = (*held)[t.name];
  if (m.empty()) m.assign(t.f32.size(), 0);
  m[e] = 1;
}

}  // namespace

json prune_blocks(std::vector<Tensor>& params, double ratio, const std::array<int64_t, 3>& block, HeldMasks* held) {
  std::vector<Block> blocks = cut_blocks(params, block);
  for (Block& b : blocks) {
    double s = 0;
    for (size_t e : b.elements) s += double(params[b.tensor].f32[e]) * params[b.tensor].f32[e];
    b.loss = s / static_cast<double>(b.elements.size());
  }
  int64_t zeroed = 0;
  const std::vector<size_t> chosen = smallest(blocks, ratio);
  for (size_t i : chosen)
    for (size_t e : blocks[i].elements) {
      Tensor& t = params[blocks[i].tensor];
      t.f32[e] = 0.0f;
      mark(held, t, e);
      ++zeroed;
    }
  return {{"blocks", blocks.size()}, {"blocks_pruned", chosen.size()}, {"weights_zeroed", zeroed}};
}

json unify_blocks(std::vector<Tensor>& params, double ratio, const std::array<int64_t, 3>& block, HeldMasks* held,
                  const std::array<int64_t, 2>& super_block) {
  std::vector<Block> blocks = cut_blocks(params, block);
  std::vector<double> mean_abs(blocks.size());
  for (size_t bi = 0; bi < blocks.size(); ++bi) {
    Block& b = blocks[bi];
    const Tensor& t = params[b.tensor];
    double m = 0;
    for (size_t e : b.elements) m += std::fabs(t.f32[e]);
    m /= static_cast<double>(b.elements.size());
    double s = 0;
    for (size_t e : b.elements) s += (std::fabs(t.f32[e]) - m) * (std::fabs(t.f32[e]) - m);
    b.loss = s / static_cast<double>(b.elements.size());
    mean_abs[bi] = m;
  }
  int64_t unified = 0;
  std::vector<size_t> chosen;
  size_t supers = 0, supers_chosen = 0;
  if (super_block[0] > 0) {
    // Super-blocks as blocks of blocks: their loss the mean of their blocks'.
    std::map<std::array<int64_t, 3>, size_t> index;
    std::vector<Block> sup;
    std::vector<std::vector<size_t>> members;
    for (size_t bi = 0; bi < blocks.size(); ++bi) {
      const Block& b = blocks[bi];
      const std::array<int64_t, 3> key = {static_cast<int64_t>(b.tensor), b.out0 / super_block[0], b.in0 / super_block[1]};
      auto [it, added] = index.emplace(key, sup.size());
      if (added) {
        sup.push_back(Block{b.tensor, {}, 0.0, 0, 0});
        members.emplace_back();
      }
      sup[it->second].loss += b.loss;
      members[it->second].push_back(bi);
    }
    for (size_t i = 0; i < sup.size(); ++i) sup[i].loss /= static_cast<double>(members[i].size());
    const std::vector<size_t> picked = smallest(sup, ratio);
    for (size_t i : picked) chosen.insert(chosen.end(), members[i].begin(), members[i].end());
    supers = sup.size();
    supers_chosen = picked.size();
  } else {
    chosen = smallest(blocks, ratio);
  }
  for (size_t i : chosen) {
    Tensor& t = params[blocks[i].tensor];
    const float q = static_cast<float>(mean_abs[i]);
    for (size_t e : blocks[i].elements) {
      t.f32[e] = t.f32[e] < 0 ? -q : (t.f32[e] > 0 ? q : 0.0f);
      mark(held, t, e);
      ++unified;
    }
  }
  json fx = {{"blocks", blocks.size()}, {"blocks_unified", chosen.size()}, {"weights_unified", unified}};
  if (super_block[0] > 0) fx["super_blocks"] = supers, fx["super_blocks_unified"] = supers_chosen;
  return fx;
}

std::vector<double> filter_importance(const float* w, int64_t rows, int64_t cols) {
  const size_t n = static_cast<size_t>(rows);
  std::vector<double> d(n * n, 0.0);
  double mean = 0.0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      double s = 0;
      for (int64_t k = 0; k < cols; ++k) {
        const double x = double(w[i * cols + k]) - w[j * cols + k];
        s += x * x;
      }
      d[i * n + j] = d[j * n + i] = std::sqrt(s);
      mean += 2 * std::sqrt(s);
    }
  mean /= static_cast<double>(n * (n - 1));
  // Transition matrix (rows sum to 1), then the equilibrium by power iteration.
  std::vector<double> p(n * n);
  for (size_t i = 0; i < n; ++i) {
    double z = 0;
    for (size_t j = 0; j < n; ++j) z += p[i * n + j] = std::exp(-(mean > 0 ? d[i * n + j] / mean : 0.0));
    for (size_t j = 0; j < n; ++j) p[i * n + j] /= z;
  }
  std::vector<double> pi(n, 1.0 / static_cast<double>(n)), next(n);
  for (int it = 0; it < 1000; ++it) {
    std::fill(next.begin(), next.end(), 0.0);
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) next[j] += pi[i] * p[i * n + j];
    double change = 0;
    for (size_t j = 0; j < n; ++j) change += std::fabs(next[j] - pi[j]);
    pi.swap(next);
    if (change < 1e-12) break;
  }
  std::vector<double> s(n);
  for (size_t i = 0; i < n; ++i) s[i] = std::exp(-1.0 / (static_cast<double>(n) * std::max(pi[i], 1e-300)));
  return s;
}

json prune_filters(std::vector<Tensor>& params, double ratio, HeldMasks* held) {
  int64_t channels = 0, pruned = 0;
  for (Tensor& t : params) {
    if (!is_weight(t) || t.shape[0] < 2) continue;
    const int64_t rows = t.shape[0], cols = t.numel() / rows;
    const std::vector<double> s = filter_importance(t.f32.data(), rows, cols);
    std::vector<size_t> order(static_cast<size_t>(rows));
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return s[a] > s[b]; });
    const size_t k = static_cast<size_t>(std::floor(ratio * static_cast<double>(rows)));
    channels += rows;
    for (size_t c = 0; c < k; ++c) {
      const size_t row = order[c];
      for (int64_t j = 0; j < cols; ++j) {
        const size_t e = row * static_cast<size_t>(cols) + static_cast<size_t>(j);
        t.f32[e] = 0.0f;
        mark(held, t, e);
      }
      ++pruned;
    }
  }
  return {{"channels", channels}, {"channels_pruned", pruned}};
}

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

}  // namespace nnr

namespace nnr {

namespace {

// Keeps, along `dim` of an array of `shape`, the slices `keep` (each `factor`
// entries wide, in order).
template <typename Vec>
Vec keep_slices(const Vec& v, const std::vector<int64_t>& shape, int dim, int64_t factor,
                const std::vector<int64_t>& keep) {
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < dim; ++d) outer *= shape[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(dim) + 1; d < shape.size(); ++d) inner *= shape[d];
  const int64_t n = shape[static_cast<size_t>(dim)];
  Vec out;
  out.reserve(static_cast<size_t>(outer * static_cast<int64_t>(keep.size()) * factor * inner));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c : keep) {
      const auto first = v.begin() + static_cast<std::ptrdiff_t>((o * n + c * factor) * inner);
      out.insert(out.end(), first, first + static_cast<std::ptrdiff_t>(factor * inner));
    }
  return out;
}

// The channels (along `dim`) of a weight as rows of a channels x rest matrix.
std::vector<float> channel_rows(const Tensor& t, int dim) {
  if (dim == 0) return std::vector<float>(t.f32.begin(), t.f32.end());
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < dim; ++d) outer *= t.shape[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(dim) + 1; d < t.shape.size(); ++d) inner *= t.shape[d];
  const int64_t n = t.shape[static_cast<size_t>(dim)];
  std::vector<float> rows;
  rows.reserve(t.f32.size());
  for (int64_t c = 0; c < n; ++c)
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) rows.push_back(t.f32[static_cast<size_t>((o * n + c) * inner + i)]);
  return rows;
}

}  // namespace

json prune_filters_rebuild(std::vector<Tensor>& params, double ratio, const std::vector<models::ChannelGroup>& groups,
                           HeldMasks* held) {
  std::map<std::string, Tensor*> by_name;
  for (Tensor& t : params) by_name[t.name] = &t;
  // Every group ranked on the unpruned tensors first: a tensor can be one
  // group's producer and another's consumer.
  std::vector<std::vector<int64_t>> keeps;
  int64_t channels = 0, pruned = 0, before = 0, after = 0;
  for (const models::ChannelGroup& g : groups) {
    const Tensor& w = *by_name.at(g.producers[0].tensor);
    const int64_t n = g.channels, cols = w.numel() / n;
    const std::vector<double> s = filter_importance(channel_rows(w, g.producers[0].dim).data(), n, cols);
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), int64_t{0});
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return s[static_cast<size_t>(a)] > s[static_cast<size_t>(b)]; });
    const int64_t cut = std::min<int64_t>(n - 1, static_cast<int64_t>(std::floor(ratio * static_cast<double>(n))));
    std::vector<int64_t> keep(order.begin() + cut, order.end());
    std::sort(keep.begin(), keep.end());
    keeps.push_back(std::move(keep));
    channels += n;
    pruned += cut;
  }
  for (const Tensor& t : params) before += t.numel();
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    const models::ChannelGroup& g = groups[gi];
    for (const auto* slices : {&g.producers, &g.consumers})
      for (const models::ChannelSlice& sl : *slices) {
        Tensor& t = *by_name.at(sl.tensor);
        auto m = held->find(t.name);
        if (m != held->end() && !m->second.empty())
          m->second = keep_slices(m->second, t.shape, sl.dim, sl.factor, keeps[gi]);
        t.f32 = keep_slices(t.f32, t.shape, sl.dim, sl.factor, keeps[gi]);
        t.shape[static_cast<size_t>(sl.dim)] = static_cast<int64_t>(keeps[gi].size()) * sl.factor;
      }
  }
  for (const Tensor& t : params) after += t.numel();
  return {{"channels", channels}, {"channels_pruned", pruned}, {"groups", groups.size()},
          {"parameters_before", before}, {"parameters_after", after}};
}

}  // namespace nnr
