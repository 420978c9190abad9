#include "metrics/image_quality.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace nnr::metrics {

double psnr(const float* ref, const float* test, int64_t count, double peak) {
  double se = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    const double d = static_cast<double>(ref[i]) - static_cast<double>(test[i]);
    se += d * d;
  }
  if (count == 0 || se == 0.0) return std::numeric_limits<double>::infinity();
  const double mse = se / static_cast<double>(count);
  return 10.0 * std::log10(peak * peak / mse);
}

namespace {

// Normalised 1-D Gaussian of `size` taps.
std::vector<double> gaussian(int64_t size, double sigma) {
  std::vector<double> g(static_cast<size_t>(size));
  const double centre = (static_cast<double>(size) - 1.0) / 2.0;
  double sum = 0.0;
  for (int64_t i = 0; i < size; ++i) {
    const double x = static_cast<double>(i) - centre;
    g[static_cast<size_t>(i)] = std::exp(-x * x / (2.0 * sigma * sigma));
    sum += g[static_cast<size_t>(i)];
  }
  for (double& v : g) v /= sum;
  return g;
}

// "Valid" separable filtering of an h x w plane: out is (h-wh+1) x (w-ww+1).
std::vector<double> filter_valid(const std::vector<double>& in, int64_t h, int64_t w,
                                 const std::vector<double>& gh, const std::vector<double>& gw) {
  const int64_t wh = static_cast<int64_t>(gh.size()), ww = static_cast<int64_t>(gw.size());
  const int64_t oh = h - wh + 1, ow = w - ww + 1;
  std::vector<double> rows(static_cast<size_t>(h * ow));
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < ow; ++x) {
      double s = 0.0;
      for (int64_t k = 0; k < ww; ++k) s += gw[static_cast<size_t>(k)] * in[static_cast<size_t>(y * w + x + k)];
      rows[static_cast<size_t>(y * ow + x)] = s;
    }
  std::vector<double> out(static_cast<size_t>(oh * ow));
  for (int64_t y = 0; y < oh; ++y)
    for (int64_t x = 0; x < ow; ++x) {
      double s = 0.0;
      for (int64_t k = 0; k < wh; ++k) s += gh[static_cast<size_t>(k)] * rows[static_cast<size_t>((y + k) * ow + x)];
      out[static_cast<size_t>(y * ow + x)] = s;
    }
  return out;
}

}  // namespace

double ssim(const float* ref, const float* test, int64_t channels, int64_t height, int64_t width,
            double peak) {
  if (channels <= 0 || height <= 0 || width <= 0) return 1.0;
  const double c1 = (0.01 * peak) * (0.01 * peak), c2 = (0.03 * peak) * (0.03 * peak);
  const std::vector<double> gh = gaussian(std::min<int64_t>(11, height), 1.5);
  const std::vector<double> gw = gaussian(std::min<int64_t>(11, width), 1.5);
  const int64_t plane = height * width;
  double total = 0.0;
  for (int64_t c = 0; c < channels; ++c) {
    std::vector<double> x(static_cast<size_t>(plane)), y(x.size()), xx(x.size()), yy(x.size()), xy(x.size());
    for (int64_t i = 0; i < plane; ++i) {
      const double a = ref[c * plane + i], b = test[c * plane + i];
      x[static_cast<size_t>(i)] = a;
      y[static_cast<size_t>(i)] = b;
      xx[static_cast<size_t>(i)] = a * a;
      yy[static_cast<size_t>(i)] = b * b;
      xy[static_cast<size_t>(i)] = a * b;
    }
    const auto mx = filter_valid(x, height, width, gh, gw), my = filter_valid(y, height, width, gh, gw);
    const auto sxx = filter_valid(xx, height, width, gh, gw), syy = filter_valid(yy, height, width, gh, gw);
    const auto sxy = filter_valid(xy, height, width, gh, gw);
    double sum = 0.0;
    for (size_t i = 0; i < mx.size(); ++i) {
      const double vx = sxx[i] - mx[i] * mx[i], vy = syy[i] - my[i] * my[i], cov = sxy[i] - mx[i] * my[i];
      sum += ((2.0 * mx[i] * my[i] + c1) * (2.0 * cov + c2)) /
             ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
    }
    total += sum / static_cast<double>(mx.size());
  }
  return total / static_cast<double>(channels);
}

}  // namespace nnr::metrics
