// Training of the embedded use-case models (libtorch builds only): a fixed
// recipe per use case, fixed seeds and thread count, so that `nnr train`
// gives the committed model on the machine it was made on.
#ifndef NNR_TRAIN_H
#define NNR_TRAIN_H

#include <cstdint>
#include <map>
#include <string>

#include "nnr/error.h"

namespace nnr {

struct TrainOptions {
  std::string id;                     // vgg16, resnet50, mobilenetv2, dcase, uc12b
  std::string out_dir;                // empty: datasets/models/<id>
  int epochs = 0;                     // 0: the recipe's
  int64_t train_limit = 0;            // train on the first N samples only (0: all; for quick trials)
  uint64_t seed = 1;
  int threads = 2;
  std::map<std::string, double> arch; // overrides of the embedded architecture
  std::map<std::string, double> recipe;  // overrides of the recipe: epochs, batch_size, lr, weight_decay, crop_pad
  bool verbose = true;                // progress on stderr
};

struct TrainReport {
  std::string model_file, manifest_file;
  double train_seconds = 0.0;
  std::map<std::string, double> metrics;  // on the embedded test set
};

// Trains, evaluates on the embedded test set and writes model.npz and
// manifest.json into the output folder.
Status train_usecase(const TrainOptions& options, TrainReport* report);

}  // namespace nnr

#endif
