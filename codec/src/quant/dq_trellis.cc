#include "quant/dq_trellis.h"

#include <cfloat>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "cabac/tables.h"
#include "quant/rate_estimator.h"
#include "quant/step_size.h"

namespace nnr {

namespace {

constexpr int kZeroSlot = 4;

struct Branch {
  uint8_t ps;
  uint8_t slot;
};

// The branches into each state, in the order that decides ties (spec 9.4
// step 2). Every state has one even and one odd predecessor, so three branches.
struct BranchTable {
  Branch b[8][3] = {};
  int n[8] = {0};
  constexpr BranchTable() {
    for (int ps = 0; ps < 8; ++ps) {
      const int qid = ps & 1;
      const int even = kDqNextState[ps][0], odd = kDqNextState[ps][1];
      b[even][n[even]++] = {static_cast<uint8_t>(ps), static_cast<uint8_t>(3 * qid)};
      b[even][n[even]++] = {static_cast<uint8_t>(ps), static_cast<uint8_t>(kZeroSlot)};
      b[odd][n[odd]++] = {static_cast<uint8_t>(ps), static_cast<uint8_t>(2 - qid)};
    }
  }
};
constexpr BranchTable kBranches;
static_assert(kBranches.n[0] == 3 && kBranches.n[1] == 3 && kBranches.n[2] == 3 && kBranches.n[3] == 3 &&
                  kBranches.n[4] == 3 && kBranches.n[5] == 3 && kBranches.n[6] == 3 && kBranches.n[7] == 3,
              "every DQ state has three incoming branches");

struct Candidates {
  double dist[5];
  int64_t level[5];  // coded level k of each slot
};

inline void candidates(double x, double qscale, double ds, Candidates* c, int64_t* m_out, int* sign) {
  const int s = x < 0 ? -1 : 1;
  const double t = qscale * x * s;
  int64_t m = static_cast<int64_t>(t) - 1;  // the conversion truncates (t >= 0)
  if (m < 1) m = 1;
  c->dist[kZeroSlot] = ds * t * t;
  c->level[kZeroSlot] = 0;
  for (int64_t q = m; q < m + 4; ++q) {
    const double d = t - static_cast<double>(q);
    c->dist[q & 3] = ds * d * d;
    c->level[q & 3] = s * ((q + 1) >> 1);
  }
  *m_out = m;
  *sign = s;
}

// The coded level k held by `slot` (slot q & 3 holds q = m .. m+3), as
// candidates() computes it, without its distortions: for the trace-back.
inline int64_t slot_level(double x, double qscale, int slot) {
  const int s = x < 0 ? -1 : 1;
  const double t = qscale * x * s;
  int64_t m = static_cast<int64_t>(t) - 1;
  if (m < 1) m = 1;
  const int64_t q = m + ((slot - m) & 3);
  return s * ((q + 1) >> 1);
}

// The distortions (ds = 1) of the four level slots (slot q & 3 holds
// q = m .. m+3) and of zero, as the distortion-only recursions use them.
inline void slot_distortions(double x, double qscale, double dist[5]) {
  const double t = qscale * x * (x < 0 ? -1 : 1);
  int64_t m = static_cast<int64_t>(t) - 1;  // the conversion truncates (t >= 0)
  if (m < 1) m = 1;
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) {
    const double d = t - static_cast<double>(m + ((k - m) & 3));
    dist[k] = d * d;
  }
  dist[kZeroSlot] = t * t;
}

template <typename Visit>
void scan_order(const ScanGeometry& g, Visit visit) {
  if (!g.block) {
    for (int64_t pos = 0, total = g.numel(); pos < total; ++pos) visit(pos);
    return;
  }
  const int64_t b = g.block;
  for (int64_t y0 = 0; y0 < g.height; y0 += b) {
    const int64_t y1 = y0 + b < g.height ? y0 + b : g.height;
    for (int64_t x0 = 0; x0 < g.width; x0 += b) {
      const int64_t x1 = x0 + b < g.width ? x0 + b : g.width;
      for (int64_t y = y0; y < y1; ++y)
        for (int64_t x = x0; x < x1; ++x) visit(y * g.width + x);
    }
  }
}

void order_positions(const ScanGeometry& g, std::vector<int64_t>* order) {
  scan_order(g, [&](int64_t pos) { order->push_back(pos); });
}

#if defined(__SSE2__)
// The forward recursion for lambda_scale = 0 (no rate) on pairs of states
// (0,1), (2,3), (4,5), (6,7) in SSE2 lanes. In this order every branch k of
// both states of a pair uses the same slot, and its previous states form one
// of four pairs (0,2), (4,6), (3,1), (7,5) (checked below against the branch
// table). Same additions and comparisons as the scalar recursion, lane by
// lane: min(c1, c0) is c1 < c0 ? c1 : c0, so the first branch wins ties.
struct PairBranch {
  int prev;  // 0: (0,2), 1: (4,6), 2: (3,1), 3: (7,5)
  int slot;
};
constexpr int kPrevPairs[4][2] = {{0, 2}, {4, 6}, {3, 1}, {7, 5}};
constexpr PairBranch kPairBranches[4][3] = {{{0, 0}, {0, kZeroSlot}, {1, 2}},
                                            {{0, 2}, {1, 0}, {1, kZeroSlot}},
                                            {{2, 1}, {3, 3}, {3, kZeroSlot}},
                                            {{2, 3}, {2, kZeroSlot}, {3, 1}}};
constexpr bool pairs_match_branches() {
  for (int p = 0; p < 4; ++p)
    for (int lane = 0; lane < 2; ++lane)
      for (int k = 0; k < 3; ++k) {
        const Branch b = kBranches.b[2 * p + lane][k];
        if (b.ps != kPrevPairs[kPairBranches[p][k].prev][lane] || b.slot != kPairBranches[p][k].slot) return false;
      }
  return true;
}
static_assert(pairs_match_branches(), "state pairs follow the branch table");

// Trace bytes of both states of a pair (low byte: even state) for the
// comparison masks t1 (bits 0-1) and t2 (bits 2-3).
struct PairTraceCodes {
  uint16_t code[4][16] = {};
  constexpr PairTraceCodes() {
    for (int p = 0; p < 4; ++p)
      for (int m = 0; m < 16; ++m)
        for (int lane = 0; lane < 2; ++lane) {
          const bool t1 = (m >> lane) & 1, t2 = (m >> (2 + lane)) & 1;
          const Branch b = kBranches.b[2 * p + lane][t2 ? 2 : (t1 ? 1 : 0)];
          code[p][m] = static_cast<uint16_t>(code[p][m] | ((b.slot | (b.ps << 3)) << (8 * lane)));
        }
  }
};
constexpr PairTraceCodes kPairTrace;

void forward_distortion_only(const float* w, const ScanGeometry& geom, double qscale, uint8_t* trace,
                             double* j_out) {
  __m128d jp[4];  // the previous-state pairs of kPrevPairs
  for (int i = 0; i < 4; ++i) jp[i] = _mm_setr_pd(j_out[kPrevPairs[i][0]], j_out[kPrevPairs[i][1]]);
  scan_order(geom, [&](int64_t pos) {
    double d[5];
    slot_distortions(static_cast<double>(w[pos]), qscale, d);
    __m128d dist[5];
    for (int k = 0; k < 5; ++k) dist[k] = _mm_set1_pd(d[k]);
    __m128d jn[4];
    uint64_t codes = 0;
#pragma GCC unroll 4
    for (int p = 0; p < 4; ++p) {
      const PairBranch b0 = kPairBranches[p][0], b1 = kPairBranches[p][1], b2 = kPairBranches[p][2];
      const __m128d c0 = _mm_add_pd(jp[b0.prev], dist[b0.slot]);
      const __m128d c1 = _mm_add_pd(jp[b1.prev], dist[b1.slot]);
      const __m128d c2 = _mm_add_pd(jp[b2.prev], dist[b2.slot]);
      const __m128d best01 = _mm_min_pd(c1, c0);
      const int mask = _mm_movemask_pd(_mm_cmplt_pd(c1, c0)) | _mm_movemask_pd(_mm_cmplt_pd(c2, best01)) << 2;
      jn[p] = _mm_min_pd(c2, best01);
      codes |= static_cast<uint64_t>(kPairTrace.code[p][mask]) << (16 * p);
    }
    std::memcpy(trace, &codes, 8);  // little-endian: state 0 first
    jp[0] = _mm_unpacklo_pd(jn[0], jn[1]);  // (0, 2)
    jp[1] = _mm_unpacklo_pd(jn[2], jn[3]);  // (4, 6)
    jp[2] = _mm_unpackhi_pd(jn[1], jn[0]);  // (3, 1)
    jp[3] = _mm_unpackhi_pd(jn[3], jn[2]);  // (7, 5)
    trace += 8;
  });
  for (int i = 0; i < 4; ++i) {
    _mm_storel_pd(&j_out[kPrevPairs[i][0]], jp[i]);
    _mm_storeh_pd(&j_out[kPrevPairs[i][1]], jp[i]);
  }
}
#else
// The forward recursion for lambda_scale = 0 (no rate): the branch table
// unrolled, slot distortions computed per slot (slot q & 3 holds q = m .. m+3),
// the cheapest branch chosen without branching, the costs in registers.
// Fills trace (8 entries per element) and leaves the final costs in j_out.
void forward_distortion_only(const float* w, const ScanGeometry& geom, double qscale, uint8_t* trace,
                             double* j_out) {
  double j[8];
  for (int s = 0; s < 8; ++s) j[s] = j_out[s];
  scan_order(geom, [&](int64_t pos) {
    double dist[5];
    slot_distortions(static_cast<double>(w[pos]), qscale, dist);
    double jn[8];
#pragma GCC unroll 8
    for (int ns = 0; ns < 8; ++ns) {
      const Branch b0 = kBranches.b[ns][0], b1 = kBranches.b[ns][1], b2 = kBranches.b[ns][2];
      const double c0 = j[b0.ps] + dist[b0.slot];
      const double c1 = j[b1.ps] + dist[b1.slot];
      const double c2 = j[b2.ps] + dist[b2.slot];
      // First branch wins ties (strict comparisons).
      const bool t1 = c1 < c0;
      const double best01 = t1 ? c1 : c0;
      const bool t2 = c2 < best01;
      jn[ns] = t2 ? c2 : best01;
      const uint8_t code0 = static_cast<uint8_t>(b0.slot | (b0.ps << 3));
      const uint8_t code1 = static_cast<uint8_t>(b1.slot | (b1.ps << 3));
      const uint8_t code2 = static_cast<uint8_t>(b2.slot | (b2.ps << 3));
      trace[ns] = t2 ? code2 : (t1 ? code1 : code0);
    }
#pragma GCC unroll 8
    for (int s = 0; s < 8; ++s) j[s] = jn[s];
    trace += 8;
  });
  for (int s = 0; s < 8; ++s) j_out[s] = j[s];
}

#endif  // __SSE2__

}  // namespace

bool quantize_dq_trellis(const float* w, const ScanGeometry& geom, int qp, int qp_density,
                         double lambda_scale, int cabac_unary_length_minus1, int32_t* levels) {
  const int64_t n = geom.numel();
  // Overflow rule of the reference encoder (spec 9.5).
  {
    // round(x) > 2^31 - 3 or < -2^31 - 2, with round half away from zero.
    const float scale = 1.0f / step_size(qp, qp_density);
    for (int64_t i = 0; i < n; ++i) {
      const double x = static_cast<double>(scale * w[i]);
      if (x >= 2147483645.5 || x <= -2147483650.5) return false;
    }
  }
  const double delta = step_size_exact(qp, qp_density);
  const double qscale = 1.0 / delta;
  const bool rd = lambda_scale > 0;
  const double ds = rd ? 32768.0 / (lambda_scale * 4.0 * (std::log(2.0) / 6.0) * 0.7) : 1.0;

  // Rate estimators: one per state, in two banks (previous / current element).
  std::vector<RateEstimator> bank[2];
  if (rd) {
    for (auto& b : bank) {
      b.resize(8);
      for (uint32_t s = 0; s < 8; ++s) b[s].init(cabac_unary_length_minus1, s);
    }
  }
  int cur = 0;

  double j[8], jn[8];
  j[0] = 0;
  for (int s = 1; s < 8; ++s) j[s] = 0.5 * DBL_MAX;
  // Trace-back: per element and state, the chosen slot (3 bits) and previous
  // state (3 bits); every entry is written by the forward pass, so the
  // buffer is left uninitialised.
  std::unique_ptr<uint8_t[]> trace(new uint8_t[static_cast<size_t>(n) * 8]);
  // The positions in scan order, needed only for block scans (else i -> i).
  std::vector<int64_t> order;
  if (geom.block) order.reserve(static_cast<size_t>(n));
  int64_t visited = 0;

  Candidates c;
  if (!rd) {
    forward_distortion_only(w, geom, qscale, trace.get(), j);
    if (geom.block) order_positions(geom, &order);
  } else {
    scan_order(geom, [&](int64_t pos) {
      int64_t m;
      int sign;
      candidates(static_cast<double>(w[pos]), qscale, ds, &c, &m, &sign);
      const int prev = cur;
      cur ^= 1;
      uint8_t* tr = &trace[static_cast<size_t>(visited) * 8];
      for (int ns = 0; ns < 8; ++ns) {
        double best = 0;
        int best_k = -1;
        for (int k = 0; k < kBranches.n[ns]; ++k) {
          const Branch& br = kBranches.b[ns][k];
          double cost = j[br.ps] + c.dist[br.slot];
          if (rd) cost += static_cast<double>(bank[prev][br.ps].rate(c.level[br.slot]));
          if (best_k < 0 || cost < best) {
            best = cost;
            best_k = k;
          }
        }
        const Branch& br = kBranches.b[ns][best_k];
        jn[ns] = best;
        tr[ns] = static_cast<uint8_t>(br.slot | (br.ps << 3));
        if (rd) {
          RateEstimator& e = bank[cur][ns];
          e.copy_contexts_from(bank[prev][br.ps]);
          e.code(c.level[br.slot], static_cast<uint32_t>(ns));
          e.set_neighbour(c.level[br.slot]);
        }
      }
      for (int s = 0; s < 8; ++s) j[s] = jn[s];
      if (geom.block) order.push_back(pos);
      ++visited;
    });
  }

  int s = 0;
  for (int k = 1; k < 8; ++k)
    if (j[k] < j[s]) s = k;
  for (size_t i = static_cast<size_t>(n); i-- > 0;) {
    const int64_t pos = geom.block ? order[i] : static_cast<int64_t>(i);
    const uint8_t tr = trace[i * 8 + static_cast<size_t>(s)];
    const int slot = tr & 7, ps = tr >> 3;
    const int64_t level = slot != kZeroSlot ? slot_level(static_cast<double>(w[pos]), qscale, slot) : 0;
    int64_t l = 0;
    if (level != 0) l = 2 * level - (level > 0 ? 1 : -1) * (ps & 1);
    if (l > INT32_MAX || l < INT32_MIN) return false;
    levels[pos] = static_cast<int32_t>(l);
    s = ps;
  }
  return true;
}

}  // namespace nnr
