#include "cabac/contexts.h"

#include "cabac/arith_decoder.h"

namespace nnr {

void TensorContexts::init(int cabac_unary_length, bool dq) {
  layout_.n = cabac_unary_length;
  dq_ = dq;
  ctx_.assign(layout_.count(), ContextModel{});
  for (auto& c : ctx_) c.init(0);
}

void TensorContexts::decode_init_sets(ArithDecoder& dec) {
  ContextModel& flag_ctx = ctx_[layout_.init_flag()];
  const int last = layout_.count() - 5;
  for (int i = 0; i <= last; ++i) {
    if (!layout_.signalled(i, dq_)) continue;
    if (dec.decode_bin(flag_ctx)) {
      ctx_[i].init(1 + static_cast<int>(dec.decode_bypass_bins(3)));
    } else {
      ctx_[i].init(0);
    }
  }
}

std::vector<int> TensorContexts::init_sets() const {
  std::vector<int> sets;
  sets.reserve(ctx_.size());
  for (const auto& c : ctx_) sets.push_back(c.set);
  return sets;
}

}  // namespace nnr
