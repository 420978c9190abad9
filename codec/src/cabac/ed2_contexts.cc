#include "cabac/ed2_contexts.h"

#include "cabac/arith_decoder.h"

namespace nnr {

void Ed2Contexts::init(int cabac_unary_length, const Ed2Tools& tools) {
  layout_.n = cabac_unary_length;
  tools_ = tools;
  ctx_.assign(static_cast<size_t>(layout_.count()), ContextModel{});
  for (auto& c : ctx_) c.init(0);
}

void Ed2Contexts::decode_init_sets(ArithDecoder& dec) {
  ContextModel& flag = ctx_[static_cast<size_t>(layout_.init_flag())];
  for_each_listed([&](int i, bool coded) {
    int set = 0;
    if (coded && dec.decode_bin(flag)) set = 1 + static_cast<int>(dec.decode_bypass_bins(3));
    ctx_[static_cast<size_t>(i)].init(set);
  });
}

std::vector<int> Ed2Contexts::init_sets() const {
  std::vector<int> sets;
  sets.reserve(ctx_.size());
  for (const auto& c : ctx_) sets.push_back(c.set);
  return sets;
}

}  // namespace nnr
