// Parameter reduction before coding (the NNR paper's section V), as the
// "stages" of a codec entry, applied in order to the model's parameters:
//   {"type": "sparsify", "ratio": 0.5}        magnitude sparsification of each
//       weight (or "threshold": t, every |w| < t); with "sparsity_loss":
//       {"m": 0.5, ...fine-tuning} first fine-tuned with the paper's sparsity
//       loss (eq. 3-4); with "fine_tune": {...} fine-tuned after, zeros held
//   {"type": "prune", "ratio": 0.5, "block": [4, 4, 1]}   micro-structured
//       pruning: that share of blocks with the smallest energy zeroed; with
//       "method": "filters", that share of the channels of each layer the
//       use case's architecture lets go (not a residual sum, not the input or
//       output) cut out by graph-diffusion importance (eq. 5-6): the network
//       is rebuilt smaller; with "keep_shapes": true those of every weight
//       are zeroed instead
//   {"type": "unify", "ratio": 0.5, "block": [4, 4, 1]}   micro-structured
//       unification: that share of blocks given one |w| each, signs kept;
//       with "super_block": [64, 64], that share of super-blocks (every
//       block in them), by their blocks' mean loss
//   {"type": "low_rank", "energy": 0.99}      or "rank_ratio": 0.5; coded as
//       decomposed weights (NNR_CPT_DC); "fine_tune" trains the factors
//   {"type": "fine_tune", ...}               all parameters, masks held
//   {"type": "bn_adapt", "samples": 2000}    batch-norm statistics re-estimated
//   {"type": "qp_allocation", "samples": 2048} a quantization step per weight
//       from its sensitivity (the task loss's mean squared gradient F on
//       training data): step ~ F^-1/2, which minimizes the second-order loss
//       increase for the rate; relative to the global qp (their mean log
//       step over all weight elements is the global one), at most
//       "max_scale" (16) times coarser or finer; the stream carries each as
//       its tensor's qp. After every stage that changes weights (only lsa
//       may follow)
//   {"type": "lsa", ...fine-tuning}          local scaling adaptation, after
//       quantization (run per point by the pipeline); must come last
// Fine-tuning options: "samples" (default 10000), "lr" (1e-4), "batch_size"
// (64), "seed" (1). Every element a stage sparsified, pruned or unified is
// held at its value by any later fine-tuning. Deterministic; the record lists
// each stage with its options, effect and seconds.
#ifndef NNR_HARNESS_STAGES_H
#define NNR_HARNESS_STAGES_H

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/json_reader.h"
#include "nnr/tensor.h"
#include "nnr/usecase.h"
#include "pipeline/reductions.h"

namespace nnr {

struct StageResult {
  std::vector<Tensor> params;  // what is coded
  nlohmann::json settings = nlohmann::json::object();  // encoder settings the stages need (decomposed_weight_shape)
  nlohmann::json log = nlohmann::json::array();        // one entry per stage: type, options, seconds, effect
  HeldMasks held;
  nlohmann::json metrics = nlohmann::json::object();  // of the reduced model, before coding (where evaluated)
  // qp_allocation: per coded weight, log2 of its step over the global
  // qp's step (see qp_per_tensor_from_steps).
  std::map<std::string, double> step_log2;
  // qp_allocation at channel granularity: per weight, log2 of each output
  // channel's step over the weight's own (their mean is 0). The stream
  // carries them as the weight's local scaling (see with_channel_steps).
  std::map<std::string, std::vector<double>> channel_step_log2;
  std::optional<int> ls_qp;  // the qp of those scales (none: the nonweight qp)
  std::string error;           // why the stages could not run (then params is empty)
};

// Validates fine-tuning options (samples or epochs, lr, batch_size, seed
// values); throws ConfigError naming the JSON path.
void check_fine_tune_options(const JsonNode& options);

// Validates a "stages" array; throws ConfigError naming the JSON path.
void check_stages(const JsonNode& stages);

// The stages with a use case's fine-tuning options (its run-file entry's
// "fine_tune") in place of those of each stage's "fine_tune" and of every
// "fine_tune" stage; "epochs" there replaces "samples" and the reverse.
// The sparsity-loss phase, bn_adapt and lsa keep their own.
nlohmann::json with_fine_tune_override(const nlohmann::json& stages, const nlohmann::json& fine_tune);

// The stages with a use case's options per stage type (its run-file entry's
// "stage_options", e.g. {"sparsify": {"ratio": 0.7}}) set on every stage of
// that type: the strength of each reduction per model. "ratio" there drops
// the stage's "threshold" and the reverse, as do "energy" and "rank_ratio".
nlohmann::json with_stage_options(const nlohmann::json& stages, const nlohmann::json& stage_options);

// Validates a use case's "stage_options" on its own (known stage types,
// objects without "type"); throws ConfigError naming the JSON path.
void check_stage_options(const JsonNode& stage_options);

// A codec entry's stages as they run on a use case: its fine-tuning options
// first, then its options per stage type, so that the more specific wins
// (a "fine_tune" in "stage_options" replaces the use case's for that type).
nlohmann::json stages_for_usecase(const nlohmann::json& stages, const nlohmann::json& fine_tune,
                                  const nlohmann::json& stage_options);

// The per-tensor qps of a qp_allocation at global qp `qp`: qp +
// round(step_log2 * 2^qp_density), for every tensor `explicit_qps` (a
// user's qp_per_tensor) does not already set.
std::map<std::string, int> qp_per_tensor_from_steps(const std::map<std::string, double>& step_log2, int qp,
                                                    int qp_density, const std::map<std::string, int>& explicit_qps);

// The tensors to code for channel steps at global qp `qp`: each such weight
// W divided per output channel by s = 2^(channel step) times what the
// rounding of its qp left of its own step, s added as `<W>_scaling` and the block (W, s, bias) named in
// settings["block_id_and_param_type"]; the decoder's s * Q(W / s) quantizes
// every channel at its own step. `qps`: the weights' qps as coded.
std::vector<Tensor> with_channel_steps(const std::vector<Tensor>& params, const StageResult& r, int qp,
                                       int qp_density, const std::map<std::string, int>& qps,
                                       nlohmann::json* settings);

// Whether the stages end with local scaling adaptation (run per point).
bool stages_end_with_lsa(const nlohmann::json& stages);

// Applies the stages (an "lsa" stage is left to apply_lsa). Training stages
// fine-tune `usecase` (null: they fail); its parameters are left as trained.
StageResult apply_stages(const nlohmann::json& stages, const std::vector<Tensor>& params, UseCase* usecase);
// The same from the result of earlier stages (`start`; `original` is the
// model before them, for the factors' shapes); its log goes on.
StageResult apply_stages(const nlohmann::json& stages, const std::vector<Tensor>& original, UseCase* usecase,
                         StageResult start);

// The MPS performance maps (encoder setting "performance_maps") that say
// what the stages did: a sparsification entry per sparsify stage (largest
// magnitude zeroed, the coded weights' non-zero ratio), a pruning entry per
// prune stage, a unification entry per unify stage (its block dimensions), a
// decomposition entry per low_rank stage (energy left out as mse_threshold,
// the parameter ratio); each with `accuracy`, the reduced model's primary
// metric (top-1 as a fraction, PSNR in dB; 0 without a task).
nlohmann::json performance_maps(const StageResult& r, double accuracy);

// Local scaling adaptation of a quantized model: `decoded` (the model's own
// tensors, as decoded) loaded into `usecase`, a scale per output channel of
// every weight trained with the weights frozen; returns `coded` with each
// scaled weight's <W>_scaling tensor after it, for coding as the block's
// local-scaling member; `settings` gets the blocks (weight, its scales and
// its bias) as block_id_and_param_type. With stage "weights": true the
// weights train too, through the encoder's quantizer at `settings` (a
// straight-through gradient), and replace the coded ones. Throws Error.
std::vector<Tensor> apply_lsa(const nlohmann::json& stage, const std::vector<Tensor>& coded,
                              const std::vector<Tensor>& decoded, UseCase& usecase, nlohmann::json* settings,
                              nlohmann::json* log);

// The model's tensors from decoded ones: a decomposed weight's factors
// <W>_G and <W>_H multiplied back into W (its shape from `original`), every
// other tensor as decoded, in the order of `original`. False, with `why`,
// when a tensor of the model is missing.
bool recompose(const std::vector<Tensor>& decoded, const std::vector<Tensor>& original, std::vector<Tensor>* out,
               std::string* why);

}  // namespace nnr

#endif  // NNR_HARNESS_STAGES_H
