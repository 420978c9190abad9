// Bjøntegaard delta rate: the average rate difference (in %) between two
// rate-metric curves over their common metric range, with log rate
// interpolated as a function of the metric. "pchip" is the piecewise cubic
// Hermite interpolation of the JCT-VC / JVET common test conditions; "cubic"
// is the single cubic polynomial fit of VCEG-M33.
#ifndef NNR_HARNESS_BD_RATE_H
#define NNR_HARNESS_BD_RATE_H

#include <optional>
#include <string>
#include <vector>

namespace nnr {

struct RatePoint {
  double rate;    // > 0 (bytes, bits, or c_r in %)
  double metric;  // higher is better (top-1, PSNR)
};

enum class BdInterpolation { kPchip, kCubic };

// BD-rate of `test` against `reference`, in percent (negative: test needs
// less rate for the same metric). Empty when it is undefined: fewer than two
// points (four for cubic) with distinct metric values on either curve, or no
// overlap of the metric ranges; `why` then says which.
std::optional<double> bd_rate(std::vector<RatePoint> reference, std::vector<RatePoint> test,
                              BdInterpolation method = BdInterpolation::kPchip, std::string* why = nullptr);

// BD-metric: the average metric difference at equal rate (BD-PSNR for PSNR).
std::optional<double> bd_metric(std::vector<RatePoint> reference, std::vector<RatePoint> test,
                                BdInterpolation method = BdInterpolation::kPchip, std::string* why = nullptr);

// Shape-preserving piecewise cubic Hermite interpolant through (x, y), x
// strictly increasing (Fritsch-Carlson derivatives, as MATLAB's pchip).
class Pchip {
 public:
  Pchip(std::vector<double> x, std::vector<double> y);
  double operator()(double x) const;
  // Exact integral over [a, b] within the data range.
  double integrate(double a, double b) const;

 private:
  double antiderivative(size_t segment, double t) const;
  std::vector<double> x_, y_, d_;
};

}  // namespace nnr

#endif  // NNR_HARNESS_BD_RATE_H
