// Metrics against cases worked out by hand: top-k on crafted logits, PSNR on
// known errors, SSIM from its definition on single windows.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "metrics/image_quality.h"
#include "metrics/topk.h"
#include "models/arch.h"

namespace nnr {
namespace {

TEST(TopK, LabelRankCountsHigherScoresAndEarlierTies) {
  const float logits[] = {0.1f, 0.5f, 0.3f, 0.5f};
  EXPECT_EQ(metrics::label_rank(logits, 4, 1), 0);  // tied with class 3, which comes later
  EXPECT_EQ(metrics::label_rank(logits, 4, 3), 1);  // tied with class 1, which comes first
  EXPECT_EQ(metrics::label_rank(logits, 4, 2), 2);
  EXPECT_EQ(metrics::label_rank(logits, 4, 0), 3);
}

TEST(TopK, CraftedBatch) {
  // 6 classes, 4 samples. Ranks of the labels: 0, 2, 5, 4; plus one label
  // outside the classes, which never counts.
  const std::vector<float> logits = {
      9, 1, 2, 3, 4, 5,   // label 0: rank 0
      1, 9, 8, 2, 3, 4,   // label 2: class 1 higher -> rank 1
      6, 5, 4, 3, 2, 1,   // label 5: rank 5
      1, 2, 3, 4, 5, 6,   // label 1: rank 4 (6, 5, 4, 3 above)
      1, 2, 3, 4, 5, 6,   // label 7: out of range
  };
  const std::vector<int64_t> labels = {0, 2, 5, 1, 7};
  metrics::TopKCounter c(6, {1, 2, 5});
  c.add(logits.data(), labels.data(), 5);
  EXPECT_EQ(c.samples(), 5);
  EXPECT_DOUBLE_EQ(c.percent(0), 20.0);  // sample 0 only
  EXPECT_DOUBLE_EQ(c.percent(1), 40.0);  // + sample 1 (rank 1)
  EXPECT_DOUBLE_EQ(c.percent(2), 60.0);  // + sample 3 (rank 4); sample 2 (rank 5) and 4 never
}

TEST(Psnr, KnownErrors) {
  std::vector<float> a(100, 0.0f), b(100, 0.1f);
  EXPECT_NEAR(metrics::psnr(a.data(), b.data(), 100), 20.0, 1e-5);  // MSE 0.01, peak 1
  std::vector<float> c(64, 10.0f), d(64, 11.0f);
  EXPECT_NEAR(metrics::psnr(c.data(), d.data(), 64, 255.0), 20.0 * std::log10(255.0), 1e-9);
  // Half the values off by 0.2: MSE 0.02.
  std::vector<float> e(10, 0.5f), f = e;
  for (int i = 0; i < 5; ++i) f[i] = 0.7f;
  EXPECT_NEAR(metrics::psnr(e.data(), f.data(), 10), 10.0 * std::log10(1.0 / 0.02), 1e-5);
  EXPECT_EQ(metrics::psnr(a.data(), a.data(), 100), std::numeric_limits<double>::infinity());
}

TEST(Ssim, ConstantImagesGiveTheLuminanceTerm) {
  const int h = 16, w = 20;
  std::vector<float> a(h * w, 0.5f), b(h * w, 0.25f);
  const double c1 = 0.01 * 0.01;
  // No variance: the contrast-structure term is C2/C2 = 1 in every window.
  EXPECT_NEAR(metrics::ssim(a.data(), b.data(), 1, h, w), (2 * 0.5 * 0.25 + c1) / (0.25 + 0.0625 + c1), 1e-9);
  EXPECT_NEAR(metrics::ssim(a.data(), a.data(), 1, h, w), 1.0, 1e-12);
}

// One 11x11 window: SSIM from the definition with the Gaussian weights.
double one_window_ssim(const std::vector<float>& x, const std::vector<float>& y) {
  double wsum = 0, mx = 0, my = 0;
  std::vector<double> wts(121);
  for (int i = 0; i < 11; ++i)
    for (int j = 0; j < 11; ++j) {
      wts[i * 11 + j] = std::exp(-((i - 5) * (i - 5) + (j - 5) * (j - 5)) / (2 * 1.5 * 1.5));
      wsum += wts[i * 11 + j];
    }
  for (int k = 0; k < 121; ++k) {
    mx += wts[k] / wsum * x[k];
    my += wts[k] / wsum * y[k];
  }
  double vx = 0, vy = 0, cov = 0;
  for (int k = 0; k < 121; ++k) {
    vx += wts[k] / wsum * (x[k] - mx) * (x[k] - mx);
    vy += wts[k] / wsum * (y[k] - my) * (y[k] - my);
    cov += wts[k] / wsum * (x[k] - mx) * (y[k] - my);
  }
  const double c1 = 1e-4, c2 = 9e-4;
  return (2 * mx * my + c1) * (2 * cov + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
}

TEST(Ssim, SingleWindowMatchesDefinition) {
  std::vector<float> x(121), y(121), z(121);
  for (int k = 0; k < 121; ++k) {
    x[k] = (k % 2) ? 0.2f : 0.4f;  // checkerboard-like
    y[k] = 2 * x[k];               // contrast and luminance doubled
    z[k] = 1.0f - x[k];            // inverted: negative structure term
  }
  EXPECT_NEAR(metrics::ssim(x.data(), y.data(), 1, 11, 11), one_window_ssim(x, y), 1e-9);
  EXPECT_NEAR(metrics::ssim(x.data(), z.data(), 1, 11, 11), one_window_ssim(x, z), 1e-9);
  EXPECT_LT(metrics::ssim(x.data(), z.data(), 1, 11, 11), 0.0);
}

TEST(Ssim, ChannelsAreAveraged) {
  const int h = 12, w = 12;
  std::vector<float> ref(2 * h * w, 0.5f), test = ref;
  for (int i = h * w; i < 2 * h * w; ++i) test[i] = 0.25f;  // second channel darker
  const double c1 = 1e-4, second = (2 * 0.5 * 0.25 + c1) / (0.25 + 0.0625 + c1);
  EXPECT_NEAR(metrics::ssim(ref.data(), test.data(), 2, h, w), (1.0 + second) / 2.0, 1e-9);
}

TEST(Arch, DefaultsOverridesAndErrors) {
  models::Arch a;
  ASSERT_TRUE(models::resolve_arch("resnet50", "full", {}, &a).ok());
  EXPECT_EQ(models::arch_int(a, "num_classes"), 1000);
  EXPECT_EQ(models::arch_int(a, "input_size"), 224);
  ASSERT_TRUE(models::resolve_arch("mobilenetv2", "embedded", {{"width_mult", 0.75}}, &a).ok());
  EXPECT_DOUBLE_EQ(a.at("width_mult"), 0.75);
  Status s = models::resolve_arch("vgg16", "embedded", {{"depth", 3}}, &a);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'depth'"), std::string::npos) << s.message();
  EXPECT_FALSE(models::resolve_arch("vgg16", "embedded", {{"num_classes", 2.5}}, &a).ok());
  EXPECT_FALSE(models::resolve_arch("vgg16", "tiny", {}, &a).ok());
  EXPECT_FALSE(models::resolve_arch("alexnet", "full", {}, &a).ok());
}

}  // namespace
}  // namespace nnr
