#include "metrics/topk.h"

namespace nnr::metrics {

int64_t label_rank(const float* logits, int64_t classes, int64_t label) {
  const float v = logits[label];
  int64_t rank = 0;
  for (int64_t c = 0; c < classes; ++c)
    if (logits[c] > v || (logits[c] == v && c < label)) ++rank;
  return rank;
}

TopKCounter::TopKCounter(int64_t classes, std::vector<int64_t> ks)
    : classes_(classes), ks_(std::move(ks)), correct_(ks_.size(), 0) {}

void TopKCounter::add(const float* logits, const int64_t* labels, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    ++samples_;
    const int64_t label = labels[i];
    if (label < 0 || label >= classes_) continue;
    const int64_t rank = label_rank(logits + i * classes_, classes_, label);
    for (size_t j = 0; j < ks_.size(); ++j)
      if (rank < ks_[j]) ++correct_[j];
  }
}

double TopKCounter::percent(size_t i) const {
  return samples_ == 0 ? 0.0 : 100.0 * static_cast<double>(correct_[i]) / static_cast<double>(samples_);
}

}  // namespace nnr::metrics
