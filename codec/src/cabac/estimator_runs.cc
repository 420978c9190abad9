#include "cabac/estimator_runs.h"

#include <algorithm>

#include "cabac/bit_estimates.h"
#include "cabac/estimator_steps.h"

namespace nnr {

namespace {

constexpr int kP = 8192;  // p + 4096 for p = b + 16a in -4096 .. 4095

// Step sizes of p while estimators move towards the bin: 16 da + db, 16 da,
// db with da = 64 >> sa (sa 4..7), db = 64 >> sb (sb 4..6).
constexpr int kStrides[] = {1, 2, 4, 16, 17, 32, 36, 64, 66};
constexpr int kNumStrides = sizeof(kStrides) / sizeof(kStrides[0]);

int stride_index(int d) {
  for (int i = 0; i < kNumStrides; ++i)
    if (kStrides[i] == d) return i;
  return -1;
}

// S[d][bin][x] = EST(x - 4096, bin) + S[d][bin][x - stride d]: the cost along
// an arithmetic progression of p is a difference of two entries (fits uint32:
// 8192 * 237777 < 2^32). And the EstimatorRun of every (sa, sb).
struct RunTables {
  uint32_t s[kNumStrides][2][kP];
  EstimatorRun runs[4][3];
  RunTables() {
    for (int d = 0; d < kNumStrides; ++d)
      for (uint32_t bin = 0; bin < 2; ++bin)
        for (int x = 0; x < kP; ++x)
          s[d][bin][x] = estimate_bin_cost(x - 4096, bin) + (x >= kStrides[d] ? s[d][bin][x - kStrides[d]] : 0);
    for (int sa = 4; sa <= 7; ++sa)
      for (int sb = 4; sb <= 6; ++sb) {
        EstimatorRun& r = runs[sa - 4][sb - 4];
        r.sa = sa;
        r.sb = sb;
        r.da = 64 >> sa;
        r.db = 64 >> sb;
        r.next_a = kEstimatorSteps.next_a[sa - 4];
        r.next_b = kEstimatorSteps.next_b[sb - 4];
        for (uint32_t bin = 0; bin < 2; ++bin) {
          // A stride without a table (and 0) gives no prefix sums: nullptr.
          auto sums = [&](int d) -> const uint32_t* {
            const int i = d > 0 ? stride_index(d) : -1;
            return i >= 0 ? s[i][bin] : nullptr;
          };
          r.sums_both[bin] = sums(16 * r.da + r.db);
          r.sums_a[bin] = sums(16 * r.da);
          r.sums_b[bin] = sums(r.db);
        }
      }
  }
};

const RunTables& run_tables() {
  static const RunTables* t = new RunTables();  // built on first use, never freed
  return *t;
}

// Sum of EST over n values of p: p0, p0 + step, ..., step = dir * d, from the
// prefix sums s of stride d.
inline uint64_t progression(const uint32_t* s, int p0, int dir, int d, uint64_t n) {
  if (n == 0) return 0;
  const int x0 = p0 + 4096;
  const int x1 = x0 + dir * d * static_cast<int>(n - 1);
  const int lo = std::min(x0, x1), hi = std::max(x0, x1);
  return static_cast<uint64_t>(s[hi]) - (lo >= d ? s[lo - d] : 0u);
}

}  // namespace

const EstimatorRun& estimator_run(int sa, int sb) { return run_tables().runs[sa - 4][sb - 4]; }

RunCost estimated_run_cost(const EstimatorRun& t, uint32_t A, uint32_t B, uint32_t bin, uint64_t count) {
  const uint32_t* cost = kEstimatorSteps.cost + bin;
  const uint16_t* ta = t.next_a + bin;
  const uint16_t* tb = t.next_b + bin;
  uint64_t sum = 0;
  // Until each estimator either moves towards the bin (a >= 0 for bin 1,
  // a <= 0 for bin 0; A = 256 is a = 0) or cannot move at all, step bin by
  // bin (a handful of large steps, or ~100 small ones).
  while (count > 0) {
    const bool a_settled = (bin ? A >= 256 : A <= 256) || ta[A] == A;
    const bool b_settled = (bin ? B >= 4096 : B <= 4096) || tb[B] == B;
    if (a_settled && b_settled) break;
    sum += cost[B + 16 * A];
    A = ta[A];
    B = tb[B];
    --count;
  }
  if (count > 0) {
    // Now s*a >= 0 gives steps of da until s*a >= 120 (table index 31, step
    // 0), likewise b by db until s*b >= 1920; a frozen estimator keeps its value.
    const int s = bin ? 1 : -1;
    const int a = static_cast<int>(A / 2) - 128, b = static_cast<int>(B / 2) - 2048;
    const int da = s * a >= 0 ? t.da : 0;
    const int db = s * b >= 0 ? t.db : 0;
    // Steps until rest, rounded up; da = 2^(6 - sa) and db = 2^(6 - sb), so
    // shifts instead of divisions.
    const uint64_t na = da > 0 && s * a < 120 ? static_cast<uint64_t>((120 - s * a + da - 1) >> (6 - t.sa)) : 0;
    const uint64_t nb = db > 0 && s * b < 1920 ? static_cast<uint64_t>((1920 - s * b + db - 1) >> (6 - t.sb)) : 0;
    const uint64_t m1 = std::min({na, nb, count});          // both move
    const uint64_t m2 = std::min(std::max(na, nb), count);  // one moves
    const int p0 = b + 16 * a;
    sum += progression(t.sums_both[bin], p0, s, 16 * da + db, m1);
    const int p1 = p0 + s * (16 * da + db) * static_cast<int>(m1);
    if (na > nb)
      sum += progression(t.sums_a[bin], p1, s, 16 * da, m2 - m1);
    else
      sum += progression(t.sums_b[bin], p1, s, db, m2 - m1);
    const int a_end = a + s * da * static_cast<int>(std::min(count, na));
    const int b_end = b + s * db * static_cast<int>(std::min(count, nb));
    sum += (count - m2) * estimate_bin_cost(b_end + 16 * a_end, bin);  // both at rest
    A = doubled_a(a_end);
    B = doubled_b(b_end);
  }
  return RunCost{sum, A, B};
}

}  // namespace nnr
