// What training and fine-tuning share: the training split of each use case
// and the augmentation of a batch.
#ifndef NNR_USECASES_TORCH_TRAIN_DATA_H
#define NNR_USECASES_TORCH_TRAIN_DATA_H

#include <string>

#include <torch/types.h>

#include "data/sample_set.h"
#include "models/arch.h"
#include "nnr/error.h"

namespace nnr::torchuc {

// The embedded training split of use case `id` (all of it, or its first
// `limit` samples); `what` describes it.
Status load_train_data(const std::string& id, const models::Arch& arch, int64_t limit, data::SampleSet* out,
                       std::string* what);

// Training data from a user's folder: class folders or an IDX "train" split
// for the image classifiers, a wav folder for dcase, images (patches) for uc12b.
Status load_train_folder(const std::string& id, const models::Arch& arch, const std::string& dir, int64_t limit,
                         data::SampleSet* out);

// Samples order[b .. b + count) as a batch, and their labels.
void make_batch(const data::SampleSet& set, const int64_t* order, int64_t count, torch::Tensor* x,
                torch::Tensor* labels);

// The training augmentation of use case `id`, drawn from torch's generator:
// a random circular time shift of spectrograms (dcase), else random
// horizontal flips and, with crop_pad > 0, random translations.
torch::Tensor augment(const std::string& id, torch::Tensor x, int crop_pad);

}  // namespace nnr::torchuc

#endif
