#include "cabac/dec_levels_ed2.h"

#include <string>

#include "cabac/ed2_contexts.h"
#include "cabac/tables.h"
#include "nnr/error.h"

namespace nnr {

namespace {

constexpr int64_t kOverreadCheckInterval = 4096;

int neighbour_class(int64_t nb) { return nb == 0 ? 0 : (nb < 0 ? 1 : 2); }

class Ed2LevelDecoder {
 public:
  Ed2LevelDecoder(ArithDecoder& dec, const Ed2TensorInput& in, Ed2Contexts& ctx)
      : dec_(dec), ctx_(ctx), n_(ctx.layout().n),
        bounded_(in.codebook_size > 0), s_(in.codebook_size), z_(in.codebook_zero_offset) {}

  // One element (edition2.md 6): k, the coded level.
  int64_t decode_k(uint32_t state, int64_t nb, int32_t base, bool hdsp) {
    if (s_ == 1) return 0;
    const int c = neighbour_class(nb);
    int sig_ctx;
    if (hdsp) sig_ctx = Ed2ContextLayout::kSigHdsp + static_cast<int>(state);
    else if (base != 0) sig_ctx = Ed2ContextLayout::kSigTca + 2 * static_cast<int>(state) + (base > 1 || base < -1);
    else sig_ctx = Ed2ContextLayout::kSig + 3 * static_cast<int>(state) + c;
    if (!dec_.decode_bin(ctx_[sig_ctx])) return 0;
    int sign;
    if (bounded_ && z_ == 0) sign = 0;
    else if (bounded_ && z_ == s_ - 1) sign = 1;
    else sign = static_cast<int>(dec_.decode_bin(ctx_[base != 0 ? (base < 0 ? 51 : 52) : Ed2ContextLayout::kSign + c]));
    // m: the largest |k| this sign allows (-1: unbounded).
    const int64_t m = bounded_ ? (sign ? z_ : s_ - 1 - z_) : -1;
    int64_t v = 1;
    if (m > 1 || m < 0) {
      const int64_t abs_base = base < 0 ? -int64_t{base} : int64_t{base};
      uint32_t g = 0;
      for (int j = 0;; ++j) {
        const int ci = base != 0 ? ctx_.layout().abs_gr_tca() + 2 * j + (abs_base >= j ? 0 : 1)
                                 : Ed2ContextLayout::kAbsGr + 2 * j + sign;
        g = dec_.decode_bin(ctx_[ci]);
        v += g;
        if (!(g == 1 && j < n_ - 1 && (m < 0 || m > v))) break;
      }
      if (g == 1 && (m < 0 || m > v)) {
        int rb = 0;
        for (int j = 0;; ++j) {
          g = dec_.decode_bin(ctx_[ctx_.layout().prefix() + j]);
          if (g) {
            v += int64_t{1} << rb;
            ++rb;
          }
          if (!(g == 1 && j < 30 && (m < 0 || m >= v + (int64_t{1} << rb)))) break;
        }
        v += dec_.decode_bypass_bins(rb);
      }
    }
    return sign ? -v : v;
  }

 private:
  ArithDecoder& dec_;
  Ed2Contexts& ctx_;
  int n_;
  bool bounded_;
  int64_t s_, z_;
};

[[noreturn]] void level_error(int64_t l) {
  throw Error(ErrorCode::kInvalidBitstream, kNoOffset,
              "level " + std::to_string(l) + " does not fit int32");
}

}  // namespace

void decode_tensor_ed2(ArithDecoder& dec, const Ed2TensorInput& in, int32_t* levels,
                       Ed2TensorSyntax* syntax, RowMark* marks) {
  const ScanGeometry& g = in.geom;
  const int64_t h = g.height, w = g.width;
  const int64_t s = in.codebook_size;
  // Row skipping and HDSP exist only for a 2-D view with several rows and
  // columns, and not for a codebook of one value.
  const bool eligible = w > 1 && h > 1 && s != 1;
  Ed2Contexts ctx;
  Ed2Tools tools;
  tools.dq = in.dq;
  tools.tca = in.tca_base != nullptr;
  tools.codebook_size = s;
  tools.codebook_zero_offset = in.codebook_zero_offset;
  ctx.init(in.cabac_unary_length, tools);  // row-skip context in set 0 too
  Ed2TensorSyntax syn;
  std::vector<uint8_t> skip;
  if (eligible) {
    if (in.parent_node_id_present) syn.hist_dep_sig_prob_enabled_flag = static_cast<int>(dec.decode_bypass());
    syn.row_skip_enabled_flag = static_cast<int>(dec.decode_bypass());
    if (syn.row_skip_enabled_flag) {
      skip.resize(static_cast<size_t>(h));
      ContextModel& rsk = ctx[ctx.layout().row_skip()];
      for (int64_t r = 0; r < h; ++r) {
        skip[static_cast<size_t>(r)] = static_cast<uint8_t>(dec.decode_bin(rsk));
        syn.skipped_rows += skip[static_cast<size_t>(r)];
        if ((r & 4095) == 4095 && dec.overread())
          throw Error(ErrorCode::kTruncated, kNoOffset, "arithmetic segment ends in the row_skip_flag bins");
      }
    }
  }
  // The HDSP group joins the init-set list only now that its flag is known.
  ctx.set_hdsp(syn.hist_dep_sig_prob_enabled_flag != 0);
  ctx.decode_init_sets(dec);
  const bool hdsp = syn.hist_dep_sig_prob_enabled_flag && in.hdsp_history != nullptr;
  Ed2LevelDecoder ld(dec, in, ctx);

  const int64_t bw = g.block ? g.block : w;  // block width (the whole row for a row-major scan)
  const int64_t bh = g.block ? g.block : h;
  const int64_t block_rows = g.block ? g.num_rows() : 1;
  if (g.block && block_rows >= 2) dec.range_reset();
  uint32_t state = 0;
  int64_t nb = 0;
  int64_t since_check = 0;
  for (int64_t r = 0; r < block_rows; ++r) {
    if (r > 0) {
      ctx.reset();
      nb = 0;
      dec.range_reset();
    }
    if (marks) marks[r] = RowMark{dec.shift_count(), dec.window(), state};
    const int64_t y0 = r * bh, y1 = y0 + bh < h ? y0 + bh : h;
    for (int64_t x0 = 0; x0 < w; x0 += bw) {
      const int64_t x1 = x0 + bw < w ? x0 + bw : w;
      for (int64_t y = y0; y < y1; ++y) {
        int32_t* const row = levels + y * w;
        if (!skip.empty() && skip[static_cast<size_t>(y)]) {
          for (int64_t x = x0; x < x1; ++x) row[x] = 0;
          // The reference software advances the DQ state by the full row
          // width for every skipped row segment, whatever its length.
          if (in.dq)
            for (int64_t i = 0; i < w; ++i) state = kDqNextState[state][0];
          continue;
        }
        for (int64_t x = x0; x < x1; ++x) {
          const int64_t pos = y * w + x;
          const int32_t base = in.tca_base ? in.tca_base[pos] : 0;
          const bool hd = hdsp && in.hdsp_history[pos] != 0;
          const int64_t k = ld.decode_k(state, nb, base, hd);
          nb = k;
          int64_t l = k;
          if (in.dq) {
            if (k != 0) l = 2 * k - (k > 0 ? 1 : -1) * static_cast<int64_t>(state & 1);
            state = kDqNextState[state][k & 1];
          }
          if (l > INT32_MAX || l < INT32_MIN) level_error(l);
          row[x] = static_cast<int32_t>(l);
        }
        since_check += x1 - x0;
        if (since_check >= kOverreadCheckInterval) {
          since_check = 0;
          if (dec.overread())
            throw Error(ErrorCode::kTruncated, kNoOffset, "arithmetic segment ends before the tensor's levels");
        }
      }
    }
  }
  syn.init_sets = ctx.init_sets();
  if (syntax) *syntax = std::move(syn);
}

}  // namespace nnr
