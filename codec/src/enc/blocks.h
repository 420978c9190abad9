// Grouping of a model's tensors into NNR_PT_BLOCK units (spec 3.3) and
// batch-norm folding (9.9).
#ifndef NNR_ENC_BLOCKS_H
#define NNR_ENC_BLOCKS_H

#include <memory>
#include <string>
#include <vector>

#include "dec/ndu_members.h"
#include "nnr/encoder.h"

namespace nnr {

// A tensor to code: the input's own (not copied: a model can be large), or
// one of the plan's (made by batch-norm folding).
class PlannedTensor {
 public:
  PlannedTensor() = default;
  explicit PlannedTensor(const Tensor& input) : input_(&input) {}
  static PlannedTensor made(Tensor t) {
    PlannedTensor p;
    p.made_ = std::make_shared<Tensor>(std::move(t));
    return p;
  }

  // Values to code (after any folding).
  const Tensor& tensor() const { return made_ ? *made_ : *input_; }
  // The tensor to change: a copy of the input's the first time.
  Tensor& own() {
    if (!made_) made_ = std::make_shared<Tensor>(*input_);
    return *made_;
  }

  std::string type;  // parameter type (spec 3.2)
  MemberRole role = MemberRole::kSingle;

 private:
  const Tensor* input_ = nullptr;
  std::shared_ptr<Tensor> made_;
};

// One NDU to write: a single tensor, or the members of a block in coding
// order (LS, BI, BN beta, gamma, mean, var, W) with its cpt.
struct PlannedUnit {
  std::vector<PlannedTensor> members;
  bool block = false;
  int cpt = 0;
  // With NNR_CPT_DC: the decomposed weight's shape (tensor_dimensions),
  // decomposition_rank r and g_number_of_rows g; members G [g, r], H [r, c].
  std::vector<int64_t> weight_dims;
  int64_t decomposition_rank = 0;
  int64_t g_number_of_rows = 0;
};

// Suffixes naming the factors of a decomposed weight W = G * H: tensors
// `<W name>_G` and `<W name>_H` stand for `<W name>` (the reference
// software's names for them).
constexpr const char* kDecompositionG = "_G";
constexpr const char* kDecompositionH = "_H";

// The units of a model in model order. Throws nnr::Error(kInvalidArgument)
// naming the tensor when the block information does not fit the tensors.
std::vector<PlannedUnit> plan_units(const std::vector<Tensor>& tensors, const EncoderSettings& s);

// Parameter type of a tensor from its name and rank (spec 3.2).
std::string parameter_type_of(const std::string& name, size_t rank, const EncoderSettings& s);

}  // namespace nnr

#endif  // NNR_ENC_BLOCKS_H
