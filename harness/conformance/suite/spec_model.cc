#include "conformance/suite/spec_model.h"

#include <cmath>
#include <stdexcept>

namespace nnr::suite {

namespace {

int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// NNCodec's DQ state numbering (4.4): next[state][parity of k].
constexpr int kNext[8][2] = {{0, 2}, {7, 5}, {1, 3}, {6, 4}, {2, 0}, {5, 7}, {3, 1}, {4, 6}};

}  // namespace

bool is_block_scanned(const std::vector<int64_t>& shape, int scan_order) {
  if (scan_order == 0 || shape.size() < 2) return false;
  const int64_t h = shape[0], w = numel(shape) / (h ? h : 1);
  return h > 1 && w > 1;
}

std::vector<int64_t> scan_positions(const std::vector<int64_t>& shape, int scan_order) {
  const int64_t n = numel(shape);
  std::vector<int64_t> pos;
  pos.reserve(static_cast<size_t>(n));
  if (!is_block_scanned(shape, scan_order)) {
    for (int64_t i = 0; i < n; ++i) pos.push_back(i);
    return pos;
  }
  const int64_t h = shape[0], w = n / h, b = int64_t{4} << scan_order;
  for (int64_t by = 0; by < h; by += b)
    for (int64_t bx = 0; bx < w; bx += b)
      for (int64_t y = by; y < std::min(by + b, h); ++y)
        for (int64_t x = bx; x < std::min(bx + b, w); ++x) pos.push_back(y * w + x);
  return pos;
}

std::vector<int64_t> reconstruction_levels(const std::vector<int64_t>& k, const std::vector<int64_t>& shape,
                                           int scan_order, bool dq) {
  const std::vector<int64_t> pos = scan_positions(shape, scan_order);
  if (pos.size() != k.size()) throw std::logic_error("level count does not match the shape");
  std::vector<int64_t> l(k.size());
  int state = 0;
  for (size_t n = 0; n < k.size(); ++n) {
    const int64_t v = k[n];
    int64_t level = v;
    if (dq) {
      const int64_t sg = v > 0 ? 1 : (v < 0 ? -1 : 0);
      level = v == 0 ? 0 : (state % 2 == 0 ? 2 * v : 2 * v - sg);
      state = kNext[state][v & 1];
    }
    l[static_cast<size_t>(pos[n])] = level;
  }
  return l;
}

double step_size_of(int qp, int qp_density) {
  const int64_t k = int64_t{1} << qp_density;
  const int64_t mul = k + (qp & (k - 1));
  const int shift = static_cast<int>(std::floor(static_cast<double>(qp) / static_cast<double>(k)));
  return std::ldexp(static_cast<double>(mul), shift - qp_density);
}

std::vector<float> uniform_values(const std::vector<int64_t>& levels, int qp, int qp_density) {
  const float step = static_cast<float>(step_size_of(qp, qp_density));
  std::vector<float> v(levels.size());
  for (size_t i = 0; i < levels.size(); ++i) {
    const float l = static_cast<float>(levels[i]);
    v[i] = l * step;
  }
  return v;
}

std::vector<float> codebook_values(const std::vector<int64_t>& levels, const IntegerCodebook& cb, int qp,
                                   int qp_density) {
  const double step = step_size_of(qp, qp_density);
  std::vector<float> v(levels.size());
  for (size_t i = 0; i < levels.size(); ++i) {
    const int64_t idx = levels[i] + cb.cb_zero_offset;
    if (idx < 0 || idx >= static_cast<int64_t>(cb.values.size()))
      throw std::logic_error("codebook index outside the codebook");
    // Exact in binary64 for |Codebook| < 2^45 (Delta has at most 8 significant bits).
    v[i] = static_cast<float>(static_cast<double>(cb.values[static_cast<size_t>(idx)]) * step);
  }
  return v;
}

void apply_ls(ValueVector<float>& w, const ValueVector<float>& ls) {
  const size_t rows = ls.size(), row = rows ? w.size() / rows : 0;
  for (size_t r = 0; r < rows; ++r)
    for (size_t i = 0; i < row; ++i) w[r * row + i] = w[r * row + i] * ls[r];
}

std::vector<int64_t> codebook_from_fields(int64_t zero_value, int64_t z, const std::vector<int64_t>& left,
                                          const std::vector<int64_t>& right) {
  std::vector<int64_t> cb(static_cast<size_t>(z) + 1 + right.size());
  cb[static_cast<size_t>(z)] = zero_value;
  for (int64_t j = z - 1, i = 0; j >= 0; --j, ++i) cb[static_cast<size_t>(j)] = cb[static_cast<size_t>(j + 1)] - left[static_cast<size_t>(i)] - 1;
  for (size_t i = 0; i < right.size(); ++i) cb[static_cast<size_t>(z) + 1 + i] = cb[static_cast<size_t>(z) + i] + right[i] + 1;
  return cb;
}

}  // namespace nnr::suite
