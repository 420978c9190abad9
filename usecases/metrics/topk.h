// Top-k classification accuracy over plain logits (torch-free, so it is tested
// on hand-made cases without libtorch).
#ifndef NNR_USECASES_METRICS_TOPK_H
#define NNR_USECASES_METRICS_TOPK_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nnr::metrics {

// The rank of `label` among `classes` logits: how many classes score strictly
// higher, plus the tied ones with a smaller index (a stable descending sort, so
// a tie never counts in the label's favour by accident of order).
int64_t label_rank(const float* logits, int64_t classes, int64_t label);

// Counts, for every k in `ks`, the samples whose label ranks below k.
// logits: n x classes, row-major. Labels outside [0, classes) never count.
class TopKCounter {
 public:
  TopKCounter(int64_t classes, std::vector<int64_t> ks);
  void add(const float* logits, const int64_t* labels, int64_t n);
  int64_t samples() const { return samples_; }
  // Percent of samples correct at ks[i] (0 when no sample was added).
  double percent(size_t i) const;

 private:
  int64_t classes_;
  std::vector<int64_t> ks_;
  std::vector<int64_t> correct_;
  int64_t samples_ = 0;
};

}  // namespace nnr::metrics

#endif
