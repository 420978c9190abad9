// The use-case interface: a model whose parameters the codec compresses and a
// task that measures what compression did to it. Torch-free on purpose: the
// harness and its tests see only this header; the libtorch models live behind
// nnr::make_usecase in the usecases library.
#ifndef NNR_USECASE_H
#define NNR_USECASE_H

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nnr/error.h"
#include "nnr/tensor.h"

namespace nnr {

struct UseCaseOptions {
  // "vgg16", "resnet50", "mobilenetv2", "dcase", "uc12b", or "generic" (any
  // model file as named tensors, no task: e.g. the ResNet-56 state dict).
  std::string id;
  std::string model;    // .pt state dict, TorchScript, or .npz; empty: the embedded default
  std::string data;     // dataset folder; empty: the embedded default
  int64_t limit = 0;    // evaluate on the first N samples (0: all)
  // "embedded" (trained reduced-width model on the embedded data) or "full"
  // (the real architecture at true size with seeded random weights; no task).
  std::string variant = "embedded";
  int threads = 2;      // intra-op threads for evaluation
  int batch_size = 64;
  uint64_t seed = 1;    // for "full" random weights
  // Architecture overrides (width_mult, num_classes, input_size, ...); an
  // unknown key is an error naming it.
  std::map<std::string, double> arch;
  // Training data for the training-driven stages (fine-tuning, sparsity loss,
  // local scaling); empty: the embedded training split where the model is the
  // embedded one. A folder as `data` takes it.
  std::string train_data;
};

// Fine-tuning of the current parameters on the use case's training data, for
// the training-driven parameter reduction of the NNR paper's section V. Adam,
// fixed seed and thread count: deterministic on one machine.
struct FineTuneOptions {
  // "weights": every parameter trains (less what `held` holds; factored
  //   weights train through their factors);
  // "scales": local scaling adaptation: every weight of rank >= 2 is frozen
  //   and trains only a scale per output channel, W = W0 * s (s from 1);
  // "bn_stats": no gradients; batch-norm running statistics re-estimated
  //   from training batches;
  // "sensitivity": nothing changes; the task loss's squared gradient per
  //   parameter, averaged over its elements and the batches, on the network
  //   as deployed (inference mode): a diagonal Fisher estimate of how much
  //   each tensor's quantization error costs.
  std::string mode = "weights";
  // "sensitivity": the targets of the gradient. "model": drawn from the
  // network's own output distribution (a class from its softmax; for the
  // autoencoder's squared error a Gaussian, i.e. a random sign per output),
  // the Fisher information proper, which for squared error is the
  // Gauss-Newton diagonal; "data": the training labels (the empirical Fisher).
  std::string fisher = "data";
  int64_t samples = 10000;  // training samples seen (the first ones of the training set)
  double epochs = 0.0;      // > 0: instead of `samples`, this many passes over the whole training set
  int batch_size = 64;
  double lr = 1e-4;
  uint64_t seed = 1;
  // The sparsity loss of the paper's eq. (3)-(4) added to the task loss:
  // lambda set so that lambda * L_sparsity = m * L_task on the first batch.
  // 0: task loss only.
  double sparsity_m = 0.0;
  // "scales": also every parameter of rank < 2 trains (biases, batch-norm
  // scales and shifts), the weights still frozen: fine-tuning of the
  // parameters coded near-losslessly around the quantized weights.
  bool nonweights = false;
  // Per parameter name, elements held at their starting value (1 = held):
  // the masks of sparsification, pruning and unification.
  std::map<std::string, std::vector<uint8_t>> held;
  // Per weight name, factors G (rows x r) and H (r x rest) with W = G H
  // (low-rank decomposition): G and H train instead of W.
  std::map<std::string, std::pair<Tensor, Tensor>> factors;
  // "scales" with `requantize`: the weights named in `masters` train too,
  // through the quantizer. Each step the network runs on requantize(masters)
  // (times the scales) and the weights' gradient passes straight to the
  // unquantized masters (the straight-through estimator), so the coded levels
  // move where the task loss wants them. `masters` hold the unquantized
  // weights (model coordinates) to start from (their zeros stay zero: a
  // sparsified weight stays sparse); `requantize` replaces each tensor's
  // values by their reconstruction after coding.
  std::map<std::string, Tensor> masters;
  std::function<Status(std::map<std::string, Tensor>* weights)> requantize;
  double masters_lr = 1e-4;
};

struct FineTuneReport {
  int64_t steps = 0, samples = 0;
  double first_loss = 0.0, last_loss = 0.0;  // task loss, mean over the first / last tenth of the steps
  double seconds = 0.0;
  std::map<std::string, std::pair<Tensor, Tensor>> factors;  // trained factors ("weights" with factors)
  std::vector<Tensor> scales;  // "scales": per weight, <module>.weight_scaling, one value per output channel
  std::map<std::string, Tensor> masters;  // "scales" with requantize: the trained unquantized weights
  std::map<std::string, double> sensitivity;  // "sensitivity": per parameter, mean squared gradient
  // "sensitivity": per parameter of rank >= 2, the same per slice of its
  // first dimension (output channel).
  std::map<std::string, std::vector<double>> channel_sensitivity;
};

struct UseCaseMetrics {
  std::map<std::string, double> values;  // e.g. top1, top5 (in %), or psnr (dB), ssim
  int64_t samples = 0;
  double seconds = 0.0;  // evaluation wall time
};

class UseCase {
 public:
  virtual ~UseCase() = default;
  virtual std::string id() const = 0;
  // A one-line description of the model and data actually in use.
  virtual std::string describe() const = 0;
  // The codec's input: named float32 tensors in state-dict order, with the
  // names a PyTorch state dict would have (so model_kind "pytorch" applies).
  virtual std::vector<Tensor> parameters() const = 0;
  // Replaces the model's parameters by decoded ones (matched by name; every
  // parameter must be present with its shape, or an error names it).
  virtual Status load_parameters(const std::vector<Tensor>& tensors) = 0;
  // Whether evaluate() measures a task (false for "generic" and "full").
  virtual bool has_task() const = 0;
  // Metric names, primary first ("top1", "top5") or ("psnr", "ssim").
  virtual std::vector<std::string> metric_names() const = 0;
  // Evaluates the current parameters. The dataset is loaded once per
  // UseCase object and reused across calls.
  virtual Status evaluate(UseCaseMetrics* out) = 0;
  // Runs the network in inference mode on one batch in its input layout
  // (N x C x H x W) and returns its raw output (logits, reconstructions), so
  // that a model can be checked against the framework it came from. An error
  // for use cases without a network ("generic") or a mis-shaped input.
  virtual Status infer(const Tensor& input, Tensor* output) = 0;
  // Trains the current parameters (see FineTuneOptions); afterwards
  // parameters() returns the result. An error where the use case has no
  // network or no training data.
  virtual Status fine_tune(const FineTuneOptions& options, FineTuneReport* report) {
    (void)options;
    (void)report;
    return Status(ErrorCode::kInvalidArgument, -1,
                  "use case '" + id() + "' cannot be trained (no network or no training data)");
  }
};

// Builds a use case. Errors name the missing file or the bad option.
Status make_usecase(const UseCaseOptions& options, std::unique_ptr<UseCase>* out);

// Whether this build has the libtorch use cases (otherwise only "generic").
bool usecases_have_torch();

}  // namespace nnr

#endif  // NNR_USECASE_H
