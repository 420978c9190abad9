// Context init-set selection (spec 9.6) in two steps per chunk of elements:
// the levels are binarised into runs of equal bins per context, then each
// context's runs are costed under all nine init sets. The candidates of a
// context only ever see that context's bins, so this gives the same sums as
// updating nine candidates per bin in scan order, with the estimator state
// in registers and its update and cost read from tables, and long runs of
// equal bins (most bins with DQ, which binarises the doubled levels L) costed
// in closed form.
#include "cabac/init_set_choice.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "cabac/binarisation.h"
#include "cabac/bit_estimates.h"
#include "cabac/context_model.h"
#include "cabac/enc_levels.h"
#include "cabac/estimator_runs.h"
#include "cabac/estimator_steps.h"
#include "cabac/tables.h"

namespace nnr {

namespace {

// The init sets grouped by their shifts (sa, sb), so that the candidates of
// a group share one pair of step tables.
struct SetGroup {
  int sa, sb;
  int count;
  int sets[3];
};
constexpr SetGroup kGroups[] = {{5, 4, 3, {0, 1, 2}}, {4, 5, 1, {3, 0, 0}}, {6, 6, 3, {4, 5, 6}}, {7, 5, 2, {7, 8, 0}}};

// The nine candidate estimators of one context (offset, doubled states as in
// EstimatorSteps) and their accumulated costs.
struct Candidates {
  uint32_t a[kNumInitSets], b[kNumInitSets];
  uint64_t acc[kNumInitSets] = {};
  Candidates() { reset(); }
  void reset() {
    for (int j = 0; j < kNumInitSets; ++j) {
      a[j] = doubled_a(kInitSets[j].a);
      b[j] = doubled_b(kInitSets[j].b);
    }
  }
};

// One candidate in registers while a bin string is costed; the tables are
// already offset by the bin.
struct Candidate {
  uint64_t a, b;  // 64-bit: used as indices without extension
  uint64_t sum = 0;
  void step(const uint32_t* cost, const uint16_t* ta, const uint16_t* tb) {
    sum += cost[b + 16 * a];
    a = ta[a];
    b = tb[b];
  }
};

// Runs at least this long are costed in closed form (about 200 instructions
// per candidate, against about 6 per bin when stepping), unless the
// progression case below applies.
constexpr uint32_t kLongRun = 16;
// Runs at least this long are tried as one arithmetic progression of p
// (about 20 instructions per candidate).
constexpr uint32_t kProgressionRun = 8;

// Runs the candidates of two groups (K1 of g1, then K2 of g2) over a
// context's runs of equal bins (entries length << 1 | bin): bin by bin for
// short runs, as a progression or in closed form for long ones. Two groups
// at a time halve the per-run overhead; the counts are template arguments
// so that the candidates live in registers.
template <int K1, int K2>
void cost_groups(const uint16_t* runs, size_t m, const SetGroup& g1, const SetGroup& g2, Candidates& cs) {
  constexpr int K = K1 + K2;
  Candidate c[K];
  auto set_of = [&](int k) { return k < K1 ? g1.sets[k] : g2.sets[k - K1]; };
  for (int k = 0; k < K; ++k) {
    c[k].a = cs.a[set_of(k)];
    c[k].b = cs.b[set_of(k)];
  }
  const uint16_t* na[2] = {kEstimatorSteps.next_a[g1.sa - 4], kEstimatorSteps.next_a[g2.sa - 4]};
  const uint16_t* nb[2] = {kEstimatorSteps.next_b[g1.sb - 4], kEstimatorSteps.next_b[g2.sb - 4]};
  const uint32_t* cost = kEstimatorSteps.cost;
  const EstimatorRun* run[2] = {&estimator_run(g1.sa, g1.sb), &estimator_run(g2.sa, g2.sb)};
  for (size_t e = 0; e < m; ++e) {
    const uint32_t bin = runs[e] & 1u, len = runs[e] >> 1;
    const uint32_t* ct = cost + bin;
    const uint16_t* ta[2] = {na[0] + bin, na[1] + bin};
    const uint16_t* tb[2] = {nb[0] + bin, nb[1] + bin};
    if (len < kProgressionRun) {
      for (uint32_t i = 0; i < len; ++i) {
#pragma GCC unroll 5
        for (int k = 0; k < K; ++k) c[k].step(ct, ta[k >= K1], tb[k >= K1]);
      }
      continue;
    }
#pragma GCC unroll 5
    for (int k = 0; k < K; ++k) {
      const int gi = k >= K1;
      uint32_t a = static_cast<uint32_t>(c[k].a), b = static_cast<uint32_t>(c[k].b);
      if (progression_run_cost(*run[gi], &a, &b, bin, len, &c[k].sum)) {
        c[k].a = a;
        c[k].b = b;
      } else if (len >= kLongRun) {
        const RunCost rc = estimated_run_cost(*run[gi], a, b, bin, len);
        c[k].sum += rc.cost;
        c[k].a = rc.a;
        c[k].b = rc.b;
      } else {
        for (uint32_t i = 0; i < len; ++i) c[k].step(ct, ta[gi], tb[gi]);
      }
    }
  }
  for (int k = 0; k < K; ++k) {
    cs.a[set_of(k)] = static_cast<uint32_t>(c[k].a);
    cs.b[set_of(k)] = static_cast<uint32_t>(c[k].b);
    cs.acc[set_of(k)] += c[k].sum;
  }
}

// Groups (5,4) x 3 with (4,5) x 1, and (6,6) x 3 with (7,5) x 2.
static_assert(kGroups[0].count == 3 && kGroups[1].count == 1 && kGroups[2].count == 3 && kGroups[3].count == 2,
              "the init sets' groups");
void cost_all_sets(const uint16_t* runs, size_t m, Candidates& cs) {
  if (m == 0) return;
  cost_groups<3, 1>(runs, m, kGroups[0], kGroups[1], cs);
  cost_groups<3, 2>(runs, m, kGroups[2], kGroups[3], cs);
}

// The bins of every context over a chunk of elements, as runs of equal bins.
// An element uses each context at most once, so a context has at most one
// run per element and no run is longer than the chunk: a context's runs are
// a fixed slice of one buffer, each run one uint16_t (length << 1 | bin).
//
// The AbsGr flags of a magnitude above n are all 1: instead of n bins such
// an element only counts itself in `big_` (per sign), and an AbsGr context
// takes the elements counted since it last looked as 1-bins before its next
// bin of its own (`settle`) and at the end of the chunk.
class BinRuns {
 public:
  BinRuns(int contexts, size_t chunk)
      : count_(static_cast<size_t>(contexts)),
        stride_(chunk),
        buf_(new uint16_t[count_ * stride_]),
        ctx_(count_) {
    for (size_t i = 0; i < count_; ++i) {
      ctx_[i].begin = ctx_[i].end = buf_.get() + i * stride_;
      // AbsGr contexts 27 + 2j + neg follow big_[neg]; others read the
      // counter that stays 0.
      const size_t abs_gr_end = static_cast<size_t>(ContextLayout::kAbsGr + 2 * abs_gr_count(contexts));
      const bool abs_gr = i >= ContextLayout::kAbsGr && i < abs_gr_end;
      ctx_[i].lazy = abs_gr ? 1 + static_cast<uint8_t>((i - ContextLayout::kAbsGr) & 1) : 0;
    }
  }

  void push(uint32_t i, uint32_t bin) {
    Ctx& x = ctx_[i];
    if (bin == x.bin) {
      ++x.len;
      return;
    }
    if (x.len) *x.end++ = static_cast<uint16_t>(x.len << 1 | x.bin);
    x.bin = bin;
    x.len = 1;
  }
  // An AbsGr context: its pending 1-bins first.
  void push_abs_gr(uint32_t i, uint32_t bin) {
    settle(ctx_[i]);
    push(i, bin);
  }
  // An element whose AbsGr flags (sign `neg`) are all 1.
  void all_abs_gr_ones(uint32_t neg) { ++big_[1 + neg]; }

  // Closes every context's runs; cost(i, runs, count) sees each context's
  // runs of the chunk, then the buffer is empty again.
  template <typename Cost>
  void drain(Cost&& cost) {
    for (size_t i = 0; i < count_; ++i) {
      Ctx& x = ctx_[i];
      settle(x);
      if (x.len) *x.end++ = static_cast<uint16_t>(x.len << 1 | x.bin);
      x.len = 0;
      cost(i, x.begin, static_cast<size_t>(x.end - x.begin));
      x.end = x.begin;
    }
  }

 private:
  struct Ctx {
    uint16_t* begin;
    uint16_t* end;
    uint32_t len = 0;  // the open run: len bins equal to bin
    uint32_t bin = 0;
    uint32_t seen = 0;  // big_[lazy] when last settled
    uint8_t lazy = 0;
  };
  static int abs_gr_count(int contexts) { return (contexts - 63) / 2; }  // n, from C = 2n + 63
  void settle(Ctx& x) {
    const uint32_t d = big_[x.lazy] - x.seen;
    if (!d) return;
    x.seen = big_[x.lazy];
    if (x.bin == 1) {
      x.len += d;
      return;
    }
    if (x.len) *x.end++ = static_cast<uint16_t>(x.len << 1 | x.bin);
    x.bin = 1;
    x.len = d;
  }

  size_t count_, stride_;
  std::unique_ptr<uint16_t[]> buf_;  // not zero-filled: only written slices are read
  std::vector<Ctx> ctx_;
  uint32_t big_[3] = {0, 0, 0};  // [0] stays 0; [1 + neg]: elements with all AbsGr flags 1
};

// Appends the regular bins of level v (spec 6) to the runs; `sig` is the
// significance context, `c` the neighbour class, n the number of AbsGr flags.
inline void binarise_into(BinRuns& s, int64_t v, uint32_t sig, uint32_t c, int n) {
  if (v == 0) {
    s.push(sig, 0);
    return;
  }
  s.push(sig, 1);
  const uint32_t neg = v < 0 ? 1u : 0u;
  s.push(ContextLayout::kSign + c, neg);
  const uint64_t mag = neg ? static_cast<uint64_t>(-v) : static_cast<uint64_t>(v);
  uint32_t ctx = ContextLayout::kAbsGr + neg;
  if (mag <= static_cast<uint64_t>(n)) {
    for (uint64_t j = 1; j < mag; ++j, ctx += 2) s.push_abs_gr(ctx, 1);
    s.push_abs_gr(ctx, 0);
    return;
  }
  s.all_abs_gr_ones(neg);
  const uint64_t rem1 = mag - static_cast<uint64_t>(n);  // rem + 1
  const int p = 63 - __builtin_clzll(rem1);             // floor(log2(rem + 1))
  const uint32_t prefix = static_cast<uint32_t>(27 + 2 * n);
  for (int i = 0; i < p; ++i) s.push(prefix + static_cast<uint32_t>(i), 1);
  s.push(prefix + static_cast<uint32_t>(p), 0);
}

}  // namespace

std::vector<int> choose_init_sets(const ScanGeometry& geom, const int32_t* levels,
                                  int cabac_unary_length, bool dq) {
  ContextLayout layout;
  layout.n = cabac_unary_length;
  const int count = layout.count();
  std::vector<Candidates> cand(static_cast<size_t>(count));
  // Elements binarised before their bins are costed: enough to amortise the
  // per-context work, few enough to stay in cache.
  const size_t kChunk = static_cast<size_t>(std::min<int64_t>(4096, std::max<int64_t>(1, geom.numel())));
  BinRuns bins(count, kChunk);
  size_t in_chunk = 0;
  auto flush = [&] {
    bins.drain([&](size_t i, const uint16_t* runs, size_t m) { cost_all_sets(runs, m, cand[i]); });
    in_chunk = 0;
  };

  uint32_t state = 0;
  int64_t nb = 0;
  auto visit = [&](int64_t pos) {
    const int32_t l = levels[pos];
    // With DQ the reference encoder binarises L, not k, here (and uses L as
    // the neighbour); the DQ state still follows k.
    const uint32_t c = neighbour_class(nb);
    binarise_into(bins, l, (dq ? 3 * state : 0) + c, c, cabac_unary_length);
    if (dq) {
      int64_t k = 0;
      dq_coded_level(l, state, &k);
      state = kDqNextState[state][k & 1];
    }
    nb = l;
    if (++in_chunk == kChunk) flush();
  };
  if (!geom.block) {
    for (int64_t pos = 0, end = geom.numel(); pos < end; ++pos) visit(pos);
  } else {
    const int64_t b = geom.block;
    for (int64_t y0 = 0; y0 < geom.height; y0 += b) {
      // Block rows >= 1 start from the initial estimators (accumulated costs
      // kept) and neighbour 0; the DQ state carries on.
      if (y0 > 0) {
        flush();
        for (Candidates& cs : cand) cs.reset();
      }
      nb = 0;
      const int64_t y1 = y0 + b < geom.height ? y0 + b : geom.height;
      for (int64_t x0 = 0; x0 < geom.width; x0 += b) {
        const int64_t x1 = x0 + b < geom.width ? x0 + b : geom.width;
        for (int64_t y = y0; y < y1; ++y)
          for (int64_t x = x0; x < x1; ++x) visit(y * geom.width + x);
      }
    }
  }
  flush();

  std::vector<int> sets(static_cast<size_t>(count), 0);
  for (int i = 0; i < count; ++i) {
    if (!layout.signalled(i, dq)) continue;
    int best = 0;
    uint64_t best_cost = cand[static_cast<size_t>(i)].acc[0];
    for (int j = 1; j < kNumInitSets; ++j) {
      // The running best includes the flag and three bypass bins of a set > 0.
      const uint64_t c = cand[static_cast<size_t>(i)].acc[j] + 3 * 32768;
      if (c < best_cost) {
        best = j;
        best_cost = c;
      }
    }
    sets[i] = best;
  }
  return sets;
}

}  // namespace nnr
