// The init-set choice (spec 9.6) against a direct transcription of the
// rule: nine candidate estimators per context, all updated with every bin in
// scan order, reset at block-row starts.
#include <gtest/gtest.h>

#include <array>
#include <random>

#include "cabac/binarisation.h"
#include "cabac/bit_estimates.h"
#include "cabac/enc_levels.h"
#include "cabac/estimator_runs.h"
#include "cabac/estimator_steps.h"
#include "cabac/init_set_choice.h"
#include "cabac/tables.h"

namespace nnr {
namespace {

std::vector<int> reference_choice(const ScanGeometry& geom, const int32_t* levels, int n, bool dq) {
  ContextLayout layout;
  layout.n = n;
  const int count = layout.count();
  std::vector<std::array<ContextModel, kNumInitSets>> cand(static_cast<size_t>(count));
  std::vector<std::array<uint64_t, kNumInitSets>> acc(static_cast<size_t>(count));
  for (auto& a : acc) a.fill(0);
  auto init_all = [&] {
    for (auto& cs : cand)
      for (int j = 0; j < kNumInitSets; ++j) cs[j].init(j);
  };
  init_all();
  uint32_t state = 0;
  int64_t nb = 0;
  auto emit = [&](uint32_t i, uint32_t bin) {
    for (int j = 0; j < kNumInitSets; ++j) {
      acc[i][j] += estimate_bin_cost(cand[i][j].p(), bin);
      cand[i][j].update(bin);
    }
  };
  auto visit = [&](int64_t pos) {
    const int32_t l = levels[pos];
    const uint32_t c = neighbour_class(nb);
    binarise_level(l, (dq ? 3 * state : 0) + c, c, n, emit, [](uint64_t, int) {});
    if (dq) {
      int64_t k = 0;
      dq_coded_level(l, state, &k);
      state = kDqNextState[state][k & 1];
    }
    nb = l;
  };
  if (!geom.block) {
    for (int64_t pos = 0; pos < geom.numel(); ++pos) visit(pos);
  } else {
    const int64_t b = geom.block;
    for (int64_t y0 = 0; y0 < geom.height; y0 += b) {
      if (y0 > 0) init_all();
      nb = 0;
      for (int64_t x0 = 0; x0 < geom.width; x0 += b)
        for (int64_t y = y0; y < std::min(y0 + b, geom.height); ++y)
          for (int64_t x = x0; x < std::min(x0 + b, geom.width); ++x) visit(y * geom.width + x);
    }
  }
  std::vector<int> sets(static_cast<size_t>(count), 0);
  for (int i = 0; i < count; ++i) {
    if (!layout.signalled(i, dq)) continue;
    uint64_t best_cost = acc[i][0];
    for (int j = 1; j < kNumInitSets; ++j)
      if (acc[i][j] + 3 * 32768 < best_cost) {
        best_cost = acc[i][j] + 3 * 32768;
        sets[i] = j;
      }
  }
  return sets;
}

TEST(InitSetChoice, BinCostTableIsAppendixB) {
  // Spot values of Appendix B: M[1] = 310, L[1] = 237777, M[512] = 32568, L[512] = 32968.
  EXPECT_EQ(estimate_bin_cost(-4096, 0), 310u);     // t = 0 -> M[1]
  EXPECT_EQ(estimate_bin_cost(-4096, 1), 237777u);  // t = 0 -> L[1]
  EXPECT_EQ(estimate_bin_cost(-4088, 0), 310u);     // t = 1 -> M[1]
  EXPECT_EQ(estimate_bin_cost(0, 0), 32968u);       // t = 512 -> L[512]
  EXPECT_EQ(estimate_bin_cost(0, 1), 32568u);       // t = 512 -> M[512]
  EXPECT_EQ(estimate_bin_cost(4088, 1), 310u);      // t = 1023 -> M[1]
  EXPECT_EQ(estimate_bin_cost(4088, 0), 237777u);
}

TEST(InitSetChoice, RunCostSameAsSteppingBinByBin) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 20000; ++trial) {
    // A reachable state: an init set followed by random bins.
    ContextModel c;
    c.init(static_cast<int>(rng() % kNumInitSets));
    const int warm = static_cast<int>(rng() % 300);
    const uint32_t bias = static_cast<uint32_t>(rng() % 8);
    for (int i = 0; i < warm; ++i) c.update(rng() % 8 < bias ? 1u : 0u);
    const uint32_t bin = rng() & 1;
    const uint64_t count = trial % 7 == 0 ? 1 + rng() % 100000 : 1 + rng() % 3000;
    const RunCost fast = estimated_run_cost(estimator_run(c.sa, c.sb), doubled_a(c.a), doubled_b(c.b), bin, count);
    uint64_t slow = 0;
    for (uint64_t i = 0; i < count; ++i) {
      slow += estimate_bin_cost(c.p(), bin);
      c.update(bin);
    }
    ASSERT_EQ(fast.cost, slow) << "trial " << trial;
    ASSERT_EQ(fast.a, doubled_a(c.a)) << "trial " << trial;
    ASSERT_EQ(fast.b, doubled_b(c.b)) << "trial " << trial;
  }
}

TEST(InitSetChoice, SameAsNineCandidatesPerBin) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const bool dq = rng() & 1;
    const int n = trial % 5 == 0 ? static_cast<int>(1 + rng() % 30) : 11;
    const int64_t h = 1 + static_cast<int64_t>(rng() % 70), w = 1 + static_cast<int64_t>(rng() % 50);
    const ScanGeometry geom = ScanGeometry::make({h, w}, static_cast<int>(rng() % 5));
    // Levels with the spread of real weights: mostly small, some large; with
    // DQ they must follow the state machine, so pick k and form L.
    const int spread = 1 + static_cast<int>(rng() % 200);
    std::geometric_distribution<int> mag(1.0 / spread);
    std::vector<int32_t> levels(static_cast<size_t>(h * w));
    uint32_t state = 0;
    auto next_level = [&]() -> int32_t {
      int32_t k = rng() % 3 == 0 ? 0 : mag(rng);
      if (rng() % 500 == 0) k = 1 << (rng() % 28);
      if (rng() & 1) k = -k;
      if (!dq) return k;
      const int32_t l = k == 0 ? 0 : (state & 1) ? 2 * k - (k > 0 ? 1 : -1) : 2 * k;
      state = kDqNextState[state][k & 1];
      return l;
    };
    // Levels are generated in scan order so that DQ parities are consistent.
    if (!geom.block) {
      for (auto& l : levels) l = next_level();
    } else {
      const int64_t b = geom.block;
      for (int64_t y0 = 0; y0 < h; y0 += b)
        for (int64_t x0 = 0; x0 < w; x0 += b)
          for (int64_t y = y0; y < std::min(y0 + b, h); ++y)
            for (int64_t x = x0; x < std::min(x0 + b, w); ++x) levels[static_cast<size_t>(y * w + x)] = next_level();
    }
    EXPECT_EQ(choose_init_sets(geom, levels.data(), n, dq), reference_choice(geom, levels.data(), n, dq))
        << "trial " << trial;
  }
}

}  // namespace
}  // namespace nnr
