#include "cabac/enc_levels_ed2.h"

#include <string>

#include "cabac/bit_estimates.h"
#include "cabac/ed2_contexts.h"
#include "cabac/tables.h"
#include "nnr/error.h"

namespace nnr {

namespace {

int neighbour_class(int64_t nb) { return nb == 0 ? 0 : (nb < 0 ? 1 : 2); }

// The k that codes L in DQ state s: floor((L + sgn(L) (s & 1)) / 2), also
// where L's parity does not fit s (then the decoder rebuilds a neighbour).
int64_t coded_k(int64_t l, uint32_t s, bool dq) {
  if (!dq || l == 0) return l;
  return (l + (l < 0 ? -int64_t(s & 1) : int64_t(s & 1))) >> 1;
}

int sig_context(uint32_t state, int c, int32_t base, bool hdsp) {
  if (hdsp) return Ed2ContextLayout::kSigHdsp + static_cast<int>(state);
  if (base != 0) return Ed2ContextLayout::kSigTca + 2 * static_cast<int>(state) + (base > 1 || base < -1);
  return Ed2ContextLayout::kSig + 3 * static_cast<int>(state) + c;
}
int sign_context(int c, int32_t base) { return base != 0 ? (base < 0 ? 51 : 52) : Ed2ContextLayout::kSign + c; }
int abs_gr_context(const Ed2ContextLayout& l, int j, int sign, int32_t base) {
  if (base == 0) return Ed2ContextLayout::kAbsGr + 2 * j + sign;
  const int64_t ab = base < 0 ? -int64_t{base} : int64_t{base};
  return l.abs_gr_tca() + 2 * j + (ab >= j ? 0 : 1);
}

// The scan of edition 2 with row skipping: visit(pos, state-before) for each
// coded position, the DQ state advanced by `advance(k)`; skipped segments
// advance the state W times with parity 0; on_row(r) at each block row start.
template <typename OnRow, typename Visit>
void scan_ed2(const ScanGeometry& g, const std::vector<uint8_t>& skip, bool dq, OnRow on_row, Visit visit) {
  const int64_t h = g.height, w = g.width;
  const int64_t bw = g.block ? g.block : w, bh = g.block ? g.block : h;
  const int64_t rows = g.block ? g.num_rows() : 1;
  uint32_t state = 0;
  for (int64_t r = 0; r < rows; ++r) {
    on_row(r, state);
    const int64_t y0 = r * bh, y1 = y0 + bh < h ? y0 + bh : h;
    for (int64_t x0 = 0; x0 < w; x0 += bw) {
      const int64_t x1 = x0 + bw < w ? x0 + bw : w;
      for (int64_t y = y0; y < y1; ++y) {
        if (!skip.empty() && skip[static_cast<size_t>(y)]) {
          if (dq)
            for (int64_t i = 0; i < w; ++i) state = kDqNextState[state][0];
          continue;
        }
        for (int64_t x = x0; x < x1; ++x) {
          const int64_t k = visit(y * w + x, state);
          if (dq) state = kDqNextState[state][k & 1];
        }
      }
    }
  }
}

// The reference encoder's init-set estimation (edition2.md 12.3): nine
// candidate estimators per context over the bins of the unbounded
// binarisation of L, with L as the neighbour.
class InitSetEstimator {
 public:
  explicit InitSetEstimator(int contexts) : cand_(static_cast<size_t>(contexts)) { reset(); }
  void reset() {
    for (auto& c : cand_)
      for (int j = 0; j < kNumInitSets; ++j) c.m[j].init(j);
  }
  void bin(int i, uint32_t b) {
    Cand& c = cand_[static_cast<size_t>(i)];
    for (int j = 0; j < kNumInitSets; ++j) {
      c.acc[j] += estimate_bin_cost(c.m[j].p(), b);
      c.m[j].update(b);
    }
  }
  int best(int i) const {
    const Cand& c = cand_[static_cast<size_t>(i)];
    int best = 0;
    uint64_t best_cost = c.acc[0];
    for (int j = 1; j < kNumInitSets; ++j) {
      const uint64_t cost = c.acc[j] + 3 * 32768;  // the flag and three bypass bins
      if (cost < best_cost) {
        best = j;
        best_cost = cost;
      }
    }
    return best;
  }

 private:
  struct Cand {
    ContextModel m[kNumInitSets];
    uint64_t acc[kNumInitSets] = {};
  };
  std::vector<Cand> cand_;
};

std::vector<int> choose_sets_ed2(const Ed2EncodeInput& in, const Ed2Contexts& ctx, const int32_t* levels,
                                 const std::vector<uint8_t>& skip, bool hdsp) {
  const Ed2ContextLayout& lay = ctx.layout();
  const int n = lay.n;
  InitSetEstimator est(lay.count());
  int64_t nb = 0;  // not reset at block rows (unlike edition 1)
  scan_ed2(
      in.geom, skip, in.dq, [&](int64_t r, uint32_t) {
        if (r > 0) est.reset();
      },
      [&](int64_t pos, uint32_t state) -> int64_t {
        const int64_t l = levels[pos];
        const int32_t base = in.tca_base ? in.tca_base[pos] : 0;
        const bool hd = hdsp && in.hdsp_history[pos] != 0;
        const int c = neighbour_class(nb);
        nb = l;
        const int sig = sig_context(state, c, base, hd);
        if (l == 0) {
          est.bin(sig, 0);
          return 0;
        }
        est.bin(sig, 1);
        const int neg = l < 0;
        est.bin(sign_context(c, base), static_cast<uint32_t>(neg));
        const uint64_t mag = neg ? uint64_t(-l) : uint64_t(l);
        for (int j = 0; j < n; ++j) {
          const uint32_t g = mag > uint64_t(j) + 1;
          est.bin(abs_gr_context(lay, j, neg, base), g);
          if (!g) return coded_k(l, state, in.dq);
        }
        const uint64_t rem1 = mag - uint64_t(n);  // rem + 1
        const int p = 63 - __builtin_clzll(rem1);
        for (int i = 0; i < p && i < 32; ++i) est.bin(lay.prefix() + i, 1);
        if (p < 32) est.bin(lay.prefix() + p, 0);
        return coded_k(l, state, in.dq);
      });
  std::vector<int> sets(static_cast<size_t>(lay.count()), 0);
  ctx.for_each_listed([&](int i, bool coded) {
    if (coded) sets[static_cast<size_t>(i)] = est.best(i);
  });
  return sets;
}

[[noreturn]] void bad_level(int64_t pos, const std::string& why) {
  throw Error(ErrorCode::kInvalidArgument, kNoOffset, "level at position " + std::to_string(pos) + " " + why);
}

}  // namespace

void encode_tensor_ed2(ArithEncoder& enc, const Ed2EncodeInput& in, const int32_t* levels, int32_t* decoded,
                       std::vector<RowStart>* row_starts) {
  const ScanGeometry& g = in.geom;
  const int64_t h = g.height, w = g.width, s = in.codebook_size, z = in.codebook_zero_offset;
  const bool eligible = in.edition2_syntax && w > 1 && h > 1 && s != 1;
  Ed2Contexts ctx;
  Ed2Tools tools;
  tools.dq = in.dq;
  tools.tca = in.tca_base != nullptr;
  tools.codebook_size = s;
  tools.codebook_zero_offset = z;
  ctx.init(in.cabac_unary_length, tools);
  std::vector<uint8_t> skip;
  int hist = 0;
  if (eligible) {
    if (in.parent_node_id_present) {
      hist = in.hist_dep_sig_prob_enabled_flag;
      enc.encode_bypass(static_cast<uint32_t>(hist));
    }
    enc.encode_bypass(in.row_skipping ? 1u : 0u);
    if (in.row_skipping) {
      skip.assign(static_cast<size_t>(h), 0);
      ContextModel& rsk = ctx[ctx.layout().row_skip()];
      for (int64_t y = 0; y < h; ++y) {
        bool zero = true;
        for (int64_t x = 0; x < w && zero; ++x) zero = levels[y * w + x] == 0;
        skip[static_cast<size_t>(y)] = zero;
        enc.encode_bin(zero ? 1u : 0u, rsk);
      }
    }
  }
  ctx.set_hdsp(hist != 0);
  const bool hdsp = hist && in.hdsp_history;
  std::vector<int> sets(static_cast<size_t>(ctx.layout().count()), 0);
  if (in.param_opt && s != 1) sets = choose_sets_ed2(in, ctx, levels, skip, hdsp);
  {
    ContextModel& flag = ctx[ctx.layout().init_flag()];
    ctx.for_each_listed([&](int i, bool coded) {
      const int set = sets[static_cast<size_t>(i)];
      if (coded) {
        enc.encode_bin(set > 0 ? 1u : 0u, flag);
        if (set > 0) enc.encode_bypass_bins(static_cast<uint32_t>(set - 1), 3);
      }
      ctx[i].init(coded ? set : 0);
    });
  }

  const Ed2ContextLayout& lay = ctx.layout();
  const int n = lay.n;
  const bool bounded = s > 0;
  if (row_starts) row_starts->clear();
  for (int64_t i = 0; i < g.numel(); ++i) decoded[i] = 0;  // skipped rows
  int64_t nb = 0;
  const bool several_rows = g.block && g.num_rows() >= 2;
  scan_ed2(
      g, skip, in.dq,
      [&](int64_t r, uint32_t state) {
        if (!g.block) return;
        if (r > 0) {
          ctx.reset();
          nb = 0;
        }
        ArithEncoder::Registers regs = enc.registers();
        if (r > 0 || several_rows) {
          regs.range = 256;
          enc.set_registers(regs);
        }
        if (row_starts) row_starts->push_back(RowStart{enc.shift_count(regs.bits_left), regs.low & 511u, state});
      },
      [&](int64_t pos, uint32_t state) -> int64_t {
        const int64_t l = levels[pos];
        const int64_t k = coded_k(l, state, in.dq);
        const int32_t base = in.tca_base ? in.tca_base[pos] : 0;
        const bool hd = hdsp && in.hdsp_history[pos] != 0;
        const int c = neighbour_class(nb);
        nb = k;
        int64_t rec = k;
        if (in.dq && k != 0) rec = 2 * k - (k > 0 ? 1 : -1) * int64_t(state & 1);
        if (rec > INT32_MAX || rec < INT32_MIN) bad_level(pos, "is too large to code");
        decoded[pos] = static_cast<int32_t>(rec);
        if (s == 1) {
          if (k != 0) bad_level(pos, "is not 0 in a codebook of one value");
          return k;
        }
        enc.encode_bin(k != 0, ctx[sig_context(state, c, base, hd)]);
        if (k == 0) return 0;
        const int sign = k < 0;
        if (bounded && z == 0) {
          if (sign) bad_level(pos, "is below the codebook");
        } else if (bounded && z == s - 1) {
          if (!sign) bad_level(pos, "is above the codebook");
        } else {
          enc.encode_bin(static_cast<uint32_t>(sign), ctx[sign_context(c, base)]);
        }
        const int64_t target = sign ? -k : k;
        const int64_t m = bounded ? (sign ? z : s - 1 - z) : -1;
        if (m >= 0 && target > m) bad_level(pos, "is outside the codebook");
        int64_t v = 1;
        if (m > 1 || m < 0) {
          uint32_t gr = 0;
          for (int j = 0;; ++j) {
            gr = target > v;
            enc.encode_bin(gr, ctx[abs_gr_context(lay, j, sign, base)]);
            v += gr;
            if (!(gr == 1 && j < n - 1 && (m < 0 || m > v))) break;
          }
          if (gr == 1 && (m < 0 || m > v)) {
            const uint64_t rem1 = uint64_t(target - v) + 1;
            const int want = 63 - __builtin_clzll(rem1);
            int rb = 0;
            for (int j = 0;; ++j) {
              const uint32_t gp = rb < want;
              enc.encode_bin(gp, ctx[lay.prefix() + j]);
              if (gp) {
                v += int64_t{1} << rb;
                ++rb;
              }
              if (!(gp == 1 && j < 30 && (m < 0 || m >= v + (int64_t{1} << rb)))) break;
            }
            if (rb != want) bad_level(pos, "is too large to code");
            enc.encode_bypass_bins(static_cast<uint32_t>(target - v), rb);
          } else if (target != v) {
            bad_level(pos, "is outside the codebook");
          }
        }
        return k;
      });
}

}  // namespace nnr
