// Parameter reduction before coding (the NNR paper's section V), as the
// "stages" of a codec entry, applied in order to the model's parameters:
//   {"type": "sparsify", "ratio": 0.5}     magnitude sparsification: the
//       smallest |w| of each weight (2-D and up) set to zero, that share of it
//   {"type": "low_rank", "energy": 0.99}   or "rank_ratio": 0.5 — each weight
//       W (as d0 x rest) replaced by factors G = U_r S_r, H = V_r^T from its
//       SVD, r the smallest rank keeping that share of the squared singular
//       values (or that share of the full rank); kept only where G and H
//       are smaller than W. Coded as decomposed weights (NNR_CPT_DC).
// Deterministic; the record lists each stage with its options and seconds.
// Training-driven variants (fine-tuning, the sparsity loss, pruning by
// importance, unification, local scaling adaptation) are not here.
#ifndef NNR_HARNESS_STAGES_H
#define NNR_HARNESS_STAGES_H

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/json_reader.h"
#include "nnr/tensor.h"

namespace nnr {

struct StageResult {
  std::vector<Tensor> params;  // what is coded
  nlohmann::json settings = nlohmann::json::object();  // encoder settings the stages need (decomposed_weight_shape)
  nlohmann::json log = nlohmann::json::array();        // one entry per stage: type, options, seconds, effect
};

// Validates a "stages" array; throws ConfigError naming the JSON path.
void check_stages(const JsonNode& stages);

StageResult apply_stages(const nlohmann::json& stages, const std::vector<Tensor>& params);

// The model's tensors from decoded ones: a decomposed weight's factors
// <W>_G and <W>_H multiplied back into W (its shape from `original`), every
// other tensor as decoded, in the order of `original`. False, with `why`,
// when a tensor of the model is missing.
bool recompose(const std::vector<Tensor>& decoded, const std::vector<Tensor>& original, std::vector<Tensor>* out,
               std::string* why);

}  // namespace nnr

#endif  // NNR_HARNESS_STAGES_H
