#include "quant/urq.h"

#include <cmath>

#include "quant/rate_estimator.h"
#include "quant/step_size.h"

namespace nnr {

bool quantize_urq(const float* w, size_t n, int qp, int qp_density, int32_t* levels) {
  const float delta = step_size(qp, qp_density);
  const float scale = 1.0f / delta;  // binary32 division
  for (size_t i = 0; i < n; ++i) {
    const float prod = scale * w[i];                     // binary32 product
    const double l = std::round(static_cast<double>(prod));  // half away from zero
    if (!(l <= 2147483647.0 && l >= -2147483648.0)) return false;
    levels[i] = static_cast<int32_t>(l);
  }
  return true;
}

bool quantize_rdoq(const float* w, const ScanGeometry& geom, int qp, int qp_density,
                   double lambda_scale, int cabac_unary_length_minus1, int32_t* levels) {
  // The nearest-neighbour level must fit first (same overflow rule as URQ).
  const size_t n = static_cast<size_t>(geom.numel());
  if (!quantize_urq(w, n, qp, qp_density, levels)) return false;
  const double delta = step_size_exact(qp, qp_density);
  const double qscale = 1.0 / delta;
  const double lambda_f = lambda_scale * std::log(2.0) / 6.0;
  const double ds = 32768.0 / lambda_f;
  RateEstimator est;
  est.init(cabac_unary_length_minus1, 0);
  for_each_in_scan(
      geom, [&](int64_t) {},
      [&](int64_t pos) {
        const double a = std::fabs(static_cast<double>(w[pos])) * qscale;
        const double ra = std::round(a);
        int64_t best = 0;
        double best_cost = ds * a * a + static_cast<double>(est.rate(0));
        const int64_t hi = static_cast<int64_t>(ra);
        const int64_t lo = hi - 1 > 1 ? hi - 1 : 1;
        uint64_t rates[2];
        if (lo <= hi) est.positive_rates(static_cast<uint64_t>(lo), static_cast<uint64_t>(hi), rates);
        for (int64_t q = lo; q <= hi; ++q) {
          const double d = a - static_cast<double>(q);
          const double cost = ds * d * d + static_cast<double>(rates[q - lo]);
          if (cost < best_cost) {
            best = q;
            best_cost = cost;
          }
        }
        const int64_t l = w[pos] < 0 ? -best : best;
        levels[pos] = static_cast<int32_t>(l);
        est.code(l, 0);
        est.set_neighbour(l);
      });
  return true;
}

}  // namespace nnr
