// Context init-set selection (spec 9.6) in two steps per chunk of elements:
// the levels are binarised into one bin string per context, then each
// context's string is costed under all nine init sets. The candidates of a
// context only ever see that context's bins, so this gives the same sums as
// updating nine candidates per bin in scan order, with the estimator state
// in registers and its update and cost read from tables, and long runs of
// equal bins (most bins with DQ, which binarises the doubled levels L) costed
// in closed form.
#include "cabac/init_set_choice.h"

#include <algorithm>
#include <cstring>
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

// A run of equal bins long enough to be costed in closed form.
struct LongRun {
  size_t begin, end;
};
constexpr size_t kLongRun = 16;

void find_long_runs(const uint8_t* bins, size_t n, std::vector<LongRun>* runs) {
  runs->clear();
  size_t i = 0;
  while (i < n) {
    // Eight bins at a time: the first byte differing from a run of bins[i].
    const uint64_t pattern = bins[i] * 0x0101010101010101ull;
    size_t j = i + 1;
    while (j + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, bins + j, 8);
      const uint64_t diff = word ^ pattern;
      if (diff) {
        j += static_cast<size_t>(__builtin_ctzll(diff)) / 8;  // little-endian: lowest byte first
        break;
      }
      j += 8;
    }
    while (j < n && bins[j] == bins[i]) ++j;
    if (j - i >= kLongRun) runs->push_back({i, j});
    i = j;
  }
}

// Runs the K candidates of a group over `bins`: bin by bin between long
// runs, in closed form over them. K is a template argument so that the
// candidates live in registers.
template <int K>
void cost_group(const uint8_t* bins, size_t n, const std::vector<LongRun>& runs, const SetGroup& g,
                Candidates& cs) {
  Candidate c[3];
  for (int k = 0; k < K; ++k) {
    c[k].a = cs.a[g.sets[k]];
    c[k].b = cs.b[g.sets[k]];
  }
  const uint16_t* na = kEstimatorSteps.next_a[g.sa - 4];
  const uint16_t* nb = kEstimatorSteps.next_b[g.sb - 4];
  const uint32_t* cost = kEstimatorSteps.cost;
  const EstimatorRun& run = estimator_run(g.sa, g.sb);
  auto step_range = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      const uint32_t bin = bins[i];
      const uint32_t* ct = cost + bin;
      const uint16_t* ta = na + bin;
      const uint16_t* tb = nb + bin;
      c[0].step(ct, ta, tb);
      if (K > 1) c[1].step(ct, ta, tb);
      if (K > 2) c[2].step(ct, ta, tb);
    }
  };
  size_t done = 0;
  for (const LongRun& r : runs) {
    step_range(done, r.begin);
    for (int k = 0; k < K; ++k) {
      const RunCost rc = estimated_run_cost(run, static_cast<uint32_t>(c[k].a), static_cast<uint32_t>(c[k].b),
                                            bins[r.begin], r.end - r.begin);
      c[k].sum += rc.cost;
      c[k].a = rc.a;
      c[k].b = rc.b;
    }
    done = r.end;
  }
  step_range(done, n);
  for (int k = 0; k < K; ++k) {
    cs.a[g.sets[k]] = static_cast<uint32_t>(c[k].a);
    cs.b[g.sets[k]] = static_cast<uint32_t>(c[k].b);
    cs.acc[g.sets[k]] += c[k].sum;
  }
}

void cost_all_sets(const uint8_t* bins, size_t n, Candidates& cs, std::vector<LongRun>* runs) {
  if (n == 0) return;
  find_long_runs(bins, n, runs);
  for (const SetGroup& g : kGroups) {
    switch (g.count) {
      case 1: cost_group<1>(bins, n, *runs, g, cs); break;
      case 2: cost_group<2>(bins, n, *runs, g, cs); break;
      default: cost_group<3>(bins, n, *runs, g, cs); break;
    }
  }
}

// The bin strings of every context over a chunk of elements. An element uses
// each context at most once, so no string is longer than the chunk: strings
// are fixed slices of one buffer.
class BinStrings {
 public:
  BinStrings(int contexts, size_t chunk)
      : count_(static_cast<size_t>(contexts)), stride_(chunk), buf_(new uint8_t[count_ * stride_]), end_(count_) {
    clear();
  }
  void clear() {
    for (size_t i = 0; i < count_; ++i) end_[i] = buf_.get() + i * stride_;
  }
  void push(uint32_t ctx, uint32_t bin) { *end_[ctx]++ = static_cast<uint8_t>(bin); }
  const uint8_t* begin(size_t ctx) const { return buf_.get() + ctx * stride_; }
  size_t size(size_t ctx) const { return static_cast<size_t>(end_[ctx] - begin(ctx)); }

 private:
  size_t count_, stride_;
  std::unique_ptr<uint8_t[]> buf_;  // not zero-filled: only written slices are read
  std::vector<uint8_t*> end_;
};

// Appends the regular bins of level v (spec 6) to the strings; `sig` is the
// significance context, `c` the neighbour class, n the number of AbsGr flags.
inline void binarise_into(BinStrings& s, int64_t v, uint32_t sig, uint32_t c, int n) {
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
    for (uint64_t j = 1; j < mag; ++j, ctx += 2) s.push(ctx, 1);
    s.push(ctx, 0);
    return;
  }
  for (int j = 0; j < n; ++j, ctx += 2) s.push(ctx, 1);
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
  BinStrings bins(count, kChunk);
  size_t in_chunk = 0;
  std::vector<LongRun> runs;
  auto flush = [&] {
    for (size_t i = 0; i < static_cast<size_t>(count); ++i) cost_all_sets(bins.begin(i), bins.size(i), cand[i], &runs);
    bins.clear();
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
