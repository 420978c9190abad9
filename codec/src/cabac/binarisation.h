// The binarisation of a coded level (spec 6) with the context index of every
// regular bin (7.1, 7.2), shared by the encoder, the init-set choice and the
// rate estimators.
#ifndef NNR_CABAC_BINARISATION_H
#define NNR_CABAC_BINARISATION_H

#include <cstdint>

#include "cabac/contexts.h"

namespace nnr {

// Class of the neighbour value: 0 zero, 1 negative, 2 positive.
inline uint32_t neighbour_class(int64_t v) { return v == 0 ? 0u : (v < 0 ? 1u : 2u); }

// Calls emit(context_index, bin) for every regular bin of `value` and
// emit_bypass(bits, count) for the Exp-Golomb suffix. `sig_ctx` = 3*state + c,
// `c` the neighbour class, `n` the number of AbsGr flags.
template <typename Emit, typename EmitBypass>
inline void binarise_level(int64_t value, uint32_t sig_ctx, uint32_t c, int n, Emit&& emit,
                           EmitBypass&& emit_bypass) {
  if (value == 0) {
    emit(sig_ctx, 0u);
    return;
  }
  emit(sig_ctx, 1u);
  const uint32_t neg = value < 0 ? 1u : 0u;
  emit(static_cast<uint32_t>(ContextLayout::kSign) + c, neg);
  const uint64_t mag = neg ? static_cast<uint64_t>(-value) : static_cast<uint64_t>(value);
  for (int j = 1; j <= n; ++j) {
    const uint32_t flag = mag > static_cast<uint64_t>(j) ? 1u : 0u;
    emit(static_cast<uint32_t>(ContextLayout::kAbsGr + 2 * (j - 1)) + neg, flag);
    if (!flag) return;
  }
  const uint64_t rem = mag - static_cast<uint64_t>(n) - 1;
  int p = 0;
  while (p < 63 && ((rem + 1) >> (p + 1)) != 0) ++p;  // floor(log2(rem + 1))
  const uint32_t prefix = static_cast<uint32_t>(27 + 2 * n);
  for (int i = 0; i < p; ++i) emit(prefix + static_cast<uint32_t>(i), 1u);
  emit(prefix + static_cast<uint32_t>(p), 0u);
  if (p) emit_bypass(rem + 1 - (uint64_t{1} << p), p);
}

}  // namespace nnr

#endif  // NNR_CABAC_BINARISATION_H
