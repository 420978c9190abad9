// The context set of an edition-2 tensor (general_profile_idc 1) and its
// init-set signalling, as NNCodec 2.0 codes them (codec/docs/edition2.md 4, 5):
// 4N + 90 contexts, with groups for temporal context adaptation (TCA),
// history-dependent significance (HDSP) and row skipping; the signalled list
// depends on the tools in use and on the codebook's bounds.
#ifndef NNR_CABAC_ED2_CONTEXTS_H
#define NNR_CABAC_ED2_CONTEXTS_H

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cabac/context_model.h"

namespace nnr {

class ArithDecoder;

struct Ed2ContextLayout {
  int n = 11;  // cabac_unary_length_minus1 + 1 AbsGr flags
  static constexpr int kSig = 0;        // 3 state + c
  static constexpr int kSigTca = 24;    // 24 + 2 state + (|b| > 1)
  static constexpr int kSigHdsp = 40;   // 40 + state
  static constexpr int kSign = 48;      // 48 + c
  static constexpr int kSignTca = 51;   // 51 (b < 0), 52 (b > 0)
  static constexpr int kAbsGr = 53;     // 53 + 2j + (k < 0)
  int abs_gr_tca() const { return 53 + 2 * n; }  // + 2j + (|b| < j)
  int prefix() const { return 53 + 4 * n; }      // EG0 prefix bin i
  int init_flag() const { return 87 + 4 * n; }
  int row_skip() const { return 89 + 4 * n; }
  int count() const { return 4 * n + 90; }
};

// Which tools shape a tensor's context list.
struct Ed2Tools {
  bool dq = false;
  bool tca = false;   // temporal context adaptation in use for this tensor
  bool hdsp = false;  // hist_dep_sig_prob_enabled_flag
  int64_t codebook_size = 0;         // S: 0 = levels unbounded
  int64_t codebook_zero_offset = 0;  // Z
};

class Ed2Contexts {
 public:
  void init(int cabac_unary_length, const Ed2Tools& tools);  // every context with set 0
  void set_hdsp(bool hdsp) { tools_.hdsp = hdsp; }
  // Reads the init-set flags (the grouped list) and sets those contexts.
  void decode_init_sets(ArithDecoder& dec);
  void reset() {
    for (auto& c : ctx_) c.reset();
  }
  ContextModel& operator[](int i) { return ctx_[static_cast<size_t>(i)]; }
  const Ed2ContextLayout& layout() const { return layout_; }
  std::vector<int> init_sets() const;

  // Calls f(context, coded) for the signalled list in its order.
  template <typename F>
  void for_each_listed(F&& f) const;

 private:
  Ed2ContextLayout layout_;
  Ed2Tools tools_;
  std::vector<ContextModel> ctx_;
};

template <typename F>
void Ed2Contexts::for_each_listed(F&& f) const {
  const int n = layout_.n;
  const int64_t s = tools_.codebook_size, z = tools_.codebook_zero_offset;
  const bool any = s != 1;  // a size-1 codebook codes nothing
  const bool dq = tools_.dq;
  for (int i = 0; i < (dq ? 24 : 3); ++i) f(Ed2ContextLayout::kSig + i, any);
  if (tools_.tca)
    for (int i = 0; i < (dq ? 16 : 2); ++i) f(Ed2ContextLayout::kSigTca + i, any);
  if (tools_.hdsp)
    for (int i = 0; i < (dq ? 8 : 1); ++i) f(Ed2ContextLayout::kSigHdsp + i, any);
  // With a one-sided codebook the sign is never coded.
  const bool sign = any && !(s > 0 && (z == 0 || z == s - 1));
  for (int i = 0; i < (tools_.tca ? 5 : 3); ++i) f(Ed2ContextLayout::kSign + i, sign);
  // The largest |level| the codebook allows; the bounds below are the
  // reference software's, kept literally (they let a few unreachable
  // contexts through).
  const int64_t max_abs = s > 0 ? (z > s - 1 - z ? z : s - 1 - z) : -1;
  for (int a = 0; a < 2 * n; ++a) f(Ed2ContextLayout::kAbsGr + a, max_abs < 0 || a < 2 * max_abs);
  if (tools_.tca)
    for (int a = 0; a < 2 * n; ++a) f(layout_.abs_gr_tca() + a, max_abs < 0 || a < 2 * (max_abs - 1));
  int64_t level = n - 1;
  for (int i = 0; i < 31; ++i) {
    level += int64_t{1} << i;
    f(layout_.prefix() + i, max_abs < 0 || level < max_abs);
  }
}

}  // namespace nnr

#endif  // NNR_CABAC_ED2_CONTEXTS_H
