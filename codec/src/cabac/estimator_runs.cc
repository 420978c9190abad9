#include "cabac/estimator_runs.h"

#include <algorithm>
#include <mutex>

#include "cabac/bit_estimates.h"
#include "cabac/tables.h"

namespace nnr {

namespace {

constexpr int kP = 8192;  // p + 4096 for p = b + 16a in -4096 .. 4095

// Step sizes of p while both estimators move towards the bin: 16 da + db,
// 16 da, db with da = 64 >> sa (sa 4..7), db = 64 >> sb (sb 4..6).
constexpr int kStrides[] = {1, 2, 4, 16, 17, 32, 36, 64, 66};
constexpr int kNumStrides = sizeof(kStrides) / sizeof(kStrides[0]);

// S[d][bin][x] = EST(x - 4096, bin) + S[d][bin][x - stride d]: sums of the
// cost along an arithmetic progression of p are differences of two entries.
// (Fits uint32: 8192 * 237777 < 2^32.)
struct StrideSums {
  uint32_t s[kNumStrides][2][kP];
  StrideSums() {
    for (int d = 0; d < kNumStrides; ++d)
      for (uint32_t bin = 0; bin < 2; ++bin)
        for (int x = 0; x < kP; ++x)
          s[d][bin][x] = estimate_bin_cost(x - 4096, bin) + (x >= kStrides[d] ? s[d][bin][x - kStrides[d]] : 0);
  }
};

const StrideSums& stride_sums() {
  static const StrideSums* t = new StrideSums();  // built on first use, never freed
  return *t;
}

int stride_index(int d) {
  for (int i = 0; i < kNumStrides; ++i)
    if (kStrides[i] == d) return i;
  return -1;
}

// Sum of EST over n values of p: p0, p0 + step, ..., step = dir * d.
uint64_t progression(int p0, int dir, int d, uint64_t n, uint32_t bin) {
  if (n == 0) return 0;
  const uint32_t* s = stride_sums().s[stride_index(d)][bin];
  const int x0 = p0 + 4096;
  const int x1 = x0 + dir * d * static_cast<int>(n - 1);
  const int lo = std::min(x0, x1), hi = std::max(x0, x1);
  return static_cast<uint64_t>(s[hi]) - (lo >= d ? s[lo - d] : 0u);
}

int step_of(int x, int s, int shift_in, int shift) { return kProbUpdate[16 + ((s * x) >> shift_in)] >> shift; }

}  // namespace

uint64_t estimated_run_cost(int* a_io, int* b_io, int sa, int sb, uint32_t bin, uint64_t count) {
  int a = *a_io, b = *b_io;
  const int s = bin ? 1 : -1;
  uint64_t sum = 0;
  // Until each estimator either moves towards the bin or cannot move at
  // all, step bin by bin (a handful of large steps, or ~100 small ones).
  while (count > 0) {
    const bool a_settled = s * a >= 0 || step_of(a, s, 3, sa) == 0;
    const bool b_settled = s * b >= 0 || step_of(b, s, 7, sb) == 0;
    if (a_settled && b_settled) break;
    sum += estimate_bin_cost(b + 16 * a, bin);
    a += s * step_of(a, s, 3, sa);
    b += s * step_of(b, s, 7, sb);
    --count;
  }
  if (count == 0) {
    *a_io = a;
    *b_io = b;
    return sum;
  }
  // Now s*a >= 0 gives steps of 64 >> sa until s*a >= 120 (table index 31,
  // step 0), likewise b by 64 >> sb until s*b >= 1920; a frozen estimator
  // keeps its value.
  const int da = s * a >= 0 ? (64 >> sa) : 0;
  const int db = s * b >= 0 ? (64 >> sb) : 0;
  const uint64_t na = da > 0 && s * a < 120 ? static_cast<uint64_t>((120 - s * a + da - 1) / da) : 0;
  const uint64_t nb = db > 0 && s * b < 1920 ? static_cast<uint64_t>((1920 - s * b + db - 1) / db) : 0;
  const uint64_t m1 = std::min({na, nb, count});               // both move
  const uint64_t m2 = std::min(std::max(na, nb), count);       // one moves
  const int p0 = b + 16 * a;
  sum += progression(p0, s, 16 * da + db, m1, bin);
  const int p1 = p0 + s * (16 * da + db) * static_cast<int>(m1);
  sum += progression(p1, s, na > nb ? 16 * da : db, m2 - m1, bin);
  const int a_end = a + s * da * static_cast<int>(std::min(count, na));
  const int b_end = b + s * db * static_cast<int>(std::min(count, nb));
  sum += (count - m2) * estimate_bin_cost(b_end + 16 * a_end, bin);  // both at rest
  *a_io = a_end;
  *b_io = b_end;
  return sum;
}

}  // namespace nnr
