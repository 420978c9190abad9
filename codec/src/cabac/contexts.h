// The context set of one arithmetic-coded tensor (spec 7.1) and the
// context init-set signalling (7.3).
#ifndef NNR_CABAC_CONTEXTS_H
#define NNR_CABAC_CONTEXTS_H

#include <vector>

#include "cabac/context_model.h"

namespace nnr {

class ArithDecoder;

// Context indices for N = cabac_unary_length (number of AbsGr flags).
struct ContextLayout {
  int n = 11;
  static constexpr int kSig = 0;      // 3*state + c
  static constexpr int kSign = 24;    // 24 + c
  static constexpr int kAbsGr = 27;   // 27 + 2(j-1) + neg
  int prefix() const { return 27 + 2 * n; }        // EG prefix position i
  int init_flag() const { return 61 + 2 * n; }      // init-set flag context
  int count() const { return 2 * n + 63; }          // C
  // Contexts whose init set is signalled: 0 .. C-5, without 3..23 when dq is off.
  bool signalled(int i, bool dq) const { return i <= count() - 5 && (dq || i < 3 || i > 23); }
};

class TensorContexts {
 public:
  void init(int cabac_unary_length, bool dq);  // every context with set 0
  // Reads the init-set flags and (re)initialises the signalled contexts.
  void decode_init_sets(ArithDecoder& dec);
  // Block-row start: every context back to its set's initial values.
  void reset() {
    for (auto& c : ctx_) c.reset();
  }
  ContextModel* data() { return ctx_.data(); }
  const ContextLayout& layout() const { return layout_; }
  bool dq() const { return dq_; }
  std::vector<int> init_sets() const;

 private:
  ContextLayout layout_;
  bool dq_ = false;
  std::vector<ContextModel> ctx_;
};

}  // namespace nnr

#endif  // NNR_CABAC_CONTEXTS_H
