#include "report/bd_rate.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace nnr {

namespace {

int sign(double v) { return (v > 0) - (v < 0); }

// Endpoint derivative: the non-centred three-point formula, kept shape-preserving.
double end_slope(double h0, double h1, double del0, double del1) {
  double d = ((2 * h0 + h1) * del0 - h0 * del1) / (h0 + h1);
  if (sign(d) != sign(del0)) d = 0;
  else if (sign(del0) != sign(del1) && std::fabs(d) > std::fabs(3 * del0)) d = 3 * del0;
  return d;
}

}  // namespace

Pchip::Pchip(std::vector<double> x, std::vector<double> y) : x_(std::move(x)), y_(std::move(y)) {
  const size_t n = x_.size();
  d_.assign(n, 0.0);
  if (n < 2) return;
  std::vector<double> h(n - 1), del(n - 1);
  for (size_t k = 0; k + 1 < n; ++k) {
    h[k] = x_[k + 1] - x_[k];
    del[k] = (y_[k + 1] - y_[k]) / h[k];
  }
  if (n == 2) {
    d_[0] = d_[1] = del[0];
    return;
  }
  for (size_t k = 1; k + 1 < n; ++k) {
    if (sign(del[k - 1]) * sign(del[k]) <= 0) {
      d_[k] = 0;  // a local extremum or flat part: keep the shape
    } else {
      const double w1 = 2 * h[k] + h[k - 1], w2 = h[k] + 2 * h[k - 1];
      d_[k] = (w1 + w2) / (w1 / del[k - 1] + w2 / del[k]);
    }
  }
  d_[0] = end_slope(h[0], h[1], del[0], del[1]);
  d_[n - 1] = end_slope(h[n - 2], h[n - 3], del[n - 2], del[n - 3]);
}

double Pchip::antiderivative(size_t k, double t) const {
  // On segment k with t = x - x_k: y = y_k + d_k t + c2 t^2 + c3 t^3.
  const double h = x_[k + 1] - x_[k];
  const double del = (y_[k + 1] - y_[k]) / h;
  const double c2 = (3 * del - 2 * d_[k] - d_[k + 1]) / h;
  const double c3 = (d_[k] + d_[k + 1] - 2 * del) / (h * h);
  return t * (y_[k] + t * (d_[k] / 2 + t * (c2 / 3 + t * c3 / 4)));
}

double Pchip::operator()(double x) const {
  size_t k = static_cast<size_t>(std::upper_bound(x_.begin(), x_.end(), x) - x_.begin());
  k = std::min(std::max<size_t>(k, 1), x_.size() - 1) - 1;
  const double t = x - x_[k], h = x_[k + 1] - x_[k];
  const double del = (y_[k + 1] - y_[k]) / h;
  const double c2 = (3 * del - 2 * d_[k] - d_[k + 1]) / h;
  const double c3 = (d_[k] + d_[k + 1] - 2 * del) / (h * h);
  return y_[k] + t * (d_[k] + t * (c2 + t * c3));
}

double Pchip::integrate(double a, double b) const {
  if (b < a) return -integrate(b, a);
  double sum = 0;
  for (size_t k = 0; k + 1 < x_.size(); ++k) {
    const double lo = std::max(a, x_[k]), hi = std::min(b, x_[k + 1]);
    if (hi <= lo) continue;
    sum += antiderivative(k, hi - x_[k]) - antiderivative(k, lo - x_[k]);
  }
  return sum;
}

namespace {

// Least-squares cubic y(x) (VCEG-M33), by the normal equations on centred x.
std::array<double, 4> cubic_fit(const std::vector<double>& x, const std::vector<double>& y, double c) {
  double a[4][5] = {};
  for (size_t i = 0; i < x.size(); ++i) {
    double p[4] = {1, x[i] - c, 0, 0};
    p[2] = p[1] * p[1];
    p[3] = p[2] * p[1];
    for (int r = 0; r < 4; ++r) {
      for (int q = 0; q < 4; ++q) a[r][q] += p[r] * p[q];
      a[r][4] += p[r] * y[i];
    }
  }
  for (int col = 0; col < 4; ++col) {
    int piv = col;
    for (int r = col + 1; r < 4; ++r)
      if (std::fabs(a[r][col]) > std::fabs(a[piv][col])) piv = r;
    for (int q = 0; q < 5; ++q) std::swap(a[col][q], a[piv][q]);
    for (int r = 0; r < 4; ++r) {
      if (r == col || a[col][col] == 0) continue;
      const double f = a[r][col] / a[col][col];
      for (int q = col; q < 5; ++q) a[r][q] -= f * a[col][q];
    }
  }
  std::array<double, 4> coef{};
  for (int r = 0; r < 4; ++r) coef[r] = a[r][r] != 0 ? a[r][4] / a[r][r] : 0;
  return coef;
}

double cubic_integral(const std::array<double, 4>& p, double c, double lo, double hi) {
  auto F = [&](double x) {
    const double t = x - c;
    return t * (p[0] + t * (p[1] / 2 + t * (p[2] / 3 + t * p[3] / 4)));
  };
  return F(hi) - F(lo);
}

// Average of y2(x) - y1(x) over the common x range, each curve interpolated
// through its (x, y) points.
std::optional<double> average_difference(std::vector<std::pair<double, double>> c1,
                                         std::vector<std::pair<double, double>> c2, BdInterpolation method,
                                         std::string* why) {
  auto prepare = [&](std::vector<std::pair<double, double>>& c) -> bool {
    std::sort(c.begin(), c.end());
    // Equal x values give no function; keep the first of each.
    c.erase(std::unique(c.begin(), c.end(), [](auto& a, auto& b) { return a.first == b.first; }), c.end());
    const size_t need = method == BdInterpolation::kCubic ? 4 : 2;
    return c.size() >= need;
  };
  if (!prepare(c1) || !prepare(c2)) {
    if (why) *why = method == BdInterpolation::kCubic ? "fewer than 4 distinct points" : "fewer than 2 distinct points";
    return std::nullopt;
  }
  const double lo = std::max(c1.front().first, c2.front().first);
  const double hi = std::min(c1.back().first, c2.back().first);
  if (!(hi > lo)) {
    if (why) *why = "the curves do not overlap";
    return std::nullopt;
  }
  auto integral = [&](const std::vector<std::pair<double, double>>& c) {
    std::vector<double> x, y;
    for (const auto& [a, b] : c) {
      x.push_back(a);
      y.push_back(b);
    }
    if (method == BdInterpolation::kPchip) return Pchip(x, y).integrate(lo, hi);
    const double centre = (x.front() + x.back()) / 2;
    return cubic_integral(cubic_fit(x, y, centre), centre, lo, hi);
  };
  return (integral(c2) - integral(c1)) / (hi - lo);
}

}  // namespace

std::optional<double> bd_rate(std::vector<RatePoint> reference, std::vector<RatePoint> test, BdInterpolation method,
                              std::string* why) {
  std::vector<std::pair<double, double>> a, b;
  for (const auto& p : reference) {
    if (!(p.rate > 0)) {
      if (why) *why = "a rate is not positive";
      return std::nullopt;
    }
    a.emplace_back(p.metric, std::log10(p.rate));
  }
  for (const auto& p : test) {
    if (!(p.rate > 0)) {
      if (why) *why = "a rate is not positive";
      return std::nullopt;
    }
    b.emplace_back(p.metric, std::log10(p.rate));
  }
  const auto avg = average_difference(std::move(a), std::move(b), method, why);
  if (!avg) return std::nullopt;
  return (std::pow(10.0, *avg) - 1.0) * 100.0;
}

std::optional<double> bd_metric(std::vector<RatePoint> reference, std::vector<RatePoint> test, BdInterpolation method,
                                std::string* why) {
  std::vector<std::pair<double, double>> a, b;
  for (const auto& p : reference) {
    if (!(p.rate > 0)) return std::nullopt;
    a.emplace_back(std::log10(p.rate), p.metric);
  }
  for (const auto& p : test) {
    if (!(p.rate > 0)) return std::nullopt;
    b.emplace_back(std::log10(p.rate), p.metric);
  }
  return average_difference(std::move(a), std::move(b), method, why);
}

}  // namespace nnr
