#include "cabac/bin_steps.h"

#include "cabac/contexts.h"
#include "cabac/tables.h"

namespace nnr {

BinSteps::BinSteps(DecContext* ctx, int n, bool dq)
    : n_(static_cast<size_t>(n)), steps_(prefix_error() + 1) {
  BinStep* const t = steps_.data();
  const auto sig_ctx = [&](uint32_t s, uint32_t c) { return ctx + (dq ? 3 * s + c : c); };
  const auto next_state = [&](uint32_t s, uint32_t mag) { return dq ? kDqNextState[s][mag & 1] : 0u; };
  DecContext* const gr_ctx = ctx + ContextLayout::kAbsGr;
  DecContext* const prefix = gr_ctx + 2 * n_;
  for (uint32_t s = 0; s < 8; ++s) {
    for (uint32_t c = 0; c < 3; ++c) {
      // Significance: 1 goes on to the sign, 0 ends a zero level.
      const uint32_t s2 = next_state(s, 0);
      const bool self = sig_ctx(s2, 0) == sig_ctx(s, c);
      t[sig(s, c)] = BinStep{ctx + ContextLayout::kSign + c, sig_ctx(s2, 0), t + sign(s), t + sig(s2, 0),
                             0, self ? BinStep::kSelf : BinStep::kPlain, 1};
    }
    // Sign: either way the first AbsGr flag, of the sign's pair.
    t[sign(s)] = BinStep{gr_ctx + 1, gr_ctx, t + gr(0, 1, s), t + gr(0, 0, s), 0, BinStep::kPlain, 0};
    for (uint32_t j = 0; j < n_; ++j) {
      for (uint32_t neg = 0; neg < 2; ++neg) {
        // AbsGr flag j: 1 goes on to flag j + 1 (or the remainder after
        // flag N - 1), 0 ends a level of magnitude j + 1.
        const uint32_t mag = j + 1;
        const uint32_t s2 = next_state(s, mag);
        const uint32_t c2 = 2 - neg;
        const int32_t l = static_cast<int32_t>(dq ? 2 * mag - (s & 1) : mag);
        const bool last = mag == n_;
        t[gr(j, neg, s)] = BinStep{last ? prefix : gr_ctx + 2 * mag + neg, sig_ctx(s2, c2),
                                   t + (last ? pre(0, neg, s) : gr(mag, neg, s)), t + sig(s2, c2),
                                   neg ? -l : l, BinStep::kPlain, 1};
      }
    }
    for (uint32_t neg = 0; neg < 2; ++neg) {
      for (uint32_t p = 0; p < 32; ++p) {
        // Prefix bin p: 1 goes on to bin p + 1, 0 to the suffix of p bins
        // (the context after it is a placeholder: the suffix step sets its own).
        const bool last = p == 31;
        t[pre(p, neg, s)] = BinStep{last ? prefix : prefix + p + 1, prefix + p,
                                    t + (last ? prefix_error() : pre(p + 1, neg, s)), t + suffix(p, neg, s),
                                    0, BinStep::kPlain, 0};
        // Suffix of p bins: |k| = N + 2^p + suffix (spec 6); the next
        // element's state by the parity of |k|, so by bin 1 / bin 0 read as
        // odd / even. level0 packs p and the level L = F |k| + G.
        const uint32_t c2 = 2 - neg;
        const uint32_t s_odd = next_state(s, 1), s_even = next_state(s, 0);
        const int f = (neg ? -1 : 1) * (dq ? 2 : 1);
        const int g = dq ? (neg ? 1 : -1) * static_cast<int>(s & 1) : 0;
        const uint32_t packed = p | (static_cast<uint32_t>(f & 255) << 8) | (static_cast<uint32_t>(g & 255) << 16);
        t[suffix(p, neg, s)] = BinStep{sig_ctx(s_odd, c2), sig_ctx(s_even, c2), t + sig(s_odd, c2),
                                       t + sig(s_even, c2), static_cast<int32_t>(packed), BinStep::kSuffix,
                                       static_cast<int64_t>(n_) + (int64_t{1} << p)};
      }
    }
  }
  t[prefix_error()] = BinStep{prefix, prefix, t + prefix_error(), t + prefix_error(), 0, BinStep::kPrefixError, 0};
}

void BinSteps::sig_state(const BinStep* step, uint32_t& s, uint32_t& c) const {
  const size_t i = static_cast<size_t>(step - steps_.data());
  s = static_cast<uint32_t>(i / 3);
  c = static_cast<uint32_t>(i % 3);
}

}  // namespace nnr
