// BD-rate against independent answers: exact cases with a closed form, and
// reference values computed with SciPy 1.10 (scipy.interpolate.
// PchipInterpolator.integrate for "pchip", numpy.polyfit of degree 3 for
// VCEG-M33's "cubic") on published test data.
#include <gtest/gtest.h>

#include <cmath>

#include "report/bd_rate.h"

namespace nnr {
namespace {

std::vector<RatePoint> curve(const std::vector<double>& rate, const std::vector<double>& metric) {
  std::vector<RatePoint> c;
  for (size_t i = 0; i < rate.size(); ++i) c.push_back({rate[i], metric[i]});
  return c;
}

TEST(BdRate, ConstantRateFactorIsExact) {
  // The same metric at 90 % of the rate everywhere: BD-rate is -10 % for any
  // interpolation, and BD-metric at equal rate is positive.
  const std::vector<double> r = {100, 200, 400, 800, 1600}, m = {30, 33.5, 36, 38.2, 40};
  std::vector<double> r2;
  for (double x : r) r2.push_back(0.9 * x);
  for (auto method : {BdInterpolation::kPchip, BdInterpolation::kCubic}) {
    const auto v = bd_rate(curve(r, m), curve(r2, m), method);
    ASSERT_TRUE(v.has_value());
    EXPECT_NEAR(*v, -10.0, 1e-9);
    const auto back = bd_rate(curve(r2, m), curve(r, m), method);
    EXPECT_NEAR(*back, 100.0 / 0.9 - 100.0, 1e-9);
  }
}

TEST(BdRate, LinearCurvesInLogRate) {
  // log10(rate) = metric / 10 vs log10(rate) = metric / 10 + 0.05 on the
  // common range: average difference 0.05, BD-rate 10^0.05 - 1.
  const std::vector<double> m1 = {30, 32, 34, 36}, m2 = {31, 33, 35, 37};
  std::vector<double> r1, r2;
  for (double x : m1) r1.push_back(std::pow(10.0, x / 10));
  for (double x : m2) r2.push_back(std::pow(10.0, x / 10 + 0.05));
  for (auto method : {BdInterpolation::kPchip, BdInterpolation::kCubic}) {
    const auto v = bd_rate(curve(r1, m1), curve(r2, m2), method);
    ASSERT_TRUE(v.has_value());
    EXPECT_NEAR(*v, (std::pow(10.0, 0.05) - 1) * 100, 1e-9);
  }
}

struct Reference {
  std::vector<double> ra, pa, rb, pb;
  double pchip, cubic;
};

TEST(BdRate, MatchesScipyOnPublishedTestData) {
  // Test data of the FAU-LMS "bjontegaard" package (x265 presets) and of
  // jascenso/bjontegaard_metrics; answers from SciPy (see the file comment).
  const Reference cases[] = {
      {{9487.76, 4593.60, 2486.44, 1358.24}, {40.037, 38.615, 36.845, 34.851},
       {9787.80, 4469.00, 2451.52, 1356.24}, {40.121, 38.651, 36.970, 34.987},
       -4.417485350589045, -4.420462706234385},
      {{686.76, 309.58, 157.11, 85.95}, {40.28, 37.18, 34.24, 31.42},
       {893.34, 407.8, 204.93, 112.75}, {40.39, 37.21, 34.17, 31.24},
       31.379878202397627, 31.397374054908767},
      {{82472.76, 26875.24, 9487.76, 4593.6, 3600, 2900}, {43.825, 41.404, 40.037, 38.615, 36.5, 35.1},
       {99896.96, 33952.04, 9787.8, 4469.0, 4040, 3300}, {44.731, 41.875, 40.121, 38.651, 37, 36.5},
       -2.9528024116427964, -0.6392886206663673},
  };
  for (const auto& c : cases) {
    const auto p = bd_rate(curve(c.ra, c.pa), curve(c.rb, c.pb), BdInterpolation::kPchip);
    const auto q = bd_rate(curve(c.ra, c.pa), curve(c.rb, c.pb), BdInterpolation::kCubic);
    ASSERT_TRUE(p && q);
    EXPECT_NEAR(*p, c.pchip, 1e-9);
    EXPECT_NEAR(*q, c.cubic, 1e-7);
  }
}

TEST(BdRate, UndefinedCasesSayWhy) {
  std::string why;
  EXPECT_FALSE(bd_rate(curve({1, 2}, {10, 11}), curve({1, 2}, {20, 21}), BdInterpolation::kPchip, &why));
  EXPECT_EQ(why, "the curves do not overlap");
  EXPECT_FALSE(bd_rate(curve({1}, {10}), curve({1, 2}, {10, 11}), BdInterpolation::kPchip, &why));
  EXPECT_NE(why.find("fewer than 2"), std::string::npos);
  EXPECT_FALSE(bd_rate(curve({1, 2, 3}, {10, 11, 12}), curve({1, 2, 3}, {10, 11, 12}), BdInterpolation::kCubic, &why));
  EXPECT_NE(why.find("fewer than 4"), std::string::npos);
  EXPECT_FALSE(bd_rate(curve({0, 2}, {10, 11}), curve({1, 2}, {10, 11}), BdInterpolation::kPchip, &why));
  EXPECT_EQ(why, "a rate is not positive");
}

TEST(Pchip, InterpolatesMonotoneDataWithoutOvershoot) {
  const Pchip p({0, 1, 2, 3}, {0, 0, 1, 1});
  for (double x = 0; x <= 3; x += 0.01) {
    EXPECT_GE(p(x), -1e-12);
    EXPECT_LE(p(x), 1 + 1e-12);
  }
  EXPECT_DOUBLE_EQ(p(2), 1.0);
  // Symmetric data: the integral over [0, 3] is exactly 1.5.
  EXPECT_NEAR(p.integrate(0, 3), 1.5, 1e-12);
}

}  // namespace
}  // namespace nnr
