// The reference encoder's per-tensor qp heuristic for weights (spec 9.2,
// `opt_qp`): larger and narrower weight tensors get a finer step.
#ifndef NNR_ENC_OPT_QP_H
#define NNR_ENC_OPT_QP_H

#include <map>
#include <string>
#include <vector>

#include "nnr/tensor.h"

namespace nnr {

// One weight of the model: a tensor, or a decomposed weight (G and H).
struct OptQpWeight {
  const Tensor* tensor = nullptr;  // the weight, or G of a decomposed weight
  const Tensor* h = nullptr;       // H of a decomposed weight, else null
  int qp = 0;                      // its qp so far (H's qp for a decomposed weight)
};

// New qp of every weight, by tensor name (G and H of a decomposed weight both
// get H's). Throws nnr::Error(kInvalidArgument) if no weight varies at all.
std::map<std::string, int> optimise_weight_qps(const std::vector<OptQpWeight>& weights);

}  // namespace nnr

#endif  // NNR_ENC_OPT_QP_H
