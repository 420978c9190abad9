// Fine-tuning of a use case's network (UseCase::fine_tune): the training
// loop behind the training-driven parameter-reduction stages.
#ifndef NNR_USECASES_TORCH_FINE_TUNE_H
#define NNR_USECASES_TORCH_FINE_TUNE_H

#include <string>

#include "data/sample_set.h"
#include "models/models.h"
#include "nnr/usecase.h"

namespace nnr::torchuc {

Status fine_tune_net(models::Net& net, const std::string& id, const data::SampleSet& train,
                     const FineTuneOptions& options, int threads, FineTuneReport* report);

}  // namespace nnr::torchuc

#endif
