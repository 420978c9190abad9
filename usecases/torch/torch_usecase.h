// The libtorch use cases behind make_usecase (private to the usecases library).
#ifndef NNR_USECASES_TORCH_TORCH_USECASE_H
#define NNR_USECASES_TORCH_TORCH_USECASE_H

#include <memory>
#include <string>

#include "models/arch.h"
#include "nnr/train.h"
#include "nnr/usecase.h"

namespace nnr::torchuc {

// The committed trained model of an embedded use case and its manifest.
std::string embedded_model_path(const std::string& id);
std::string embedded_manifest_path(const std::string& id);

// The architecture options a use case will be built with: for the embedded
// variant the options recorded in the committed manifest (if present) take the
// place of the built-in defaults; user overrides apply on top.
Status usecase_arch(const UseCaseOptions& options, models::Arch* out);

// Default evaluation subsets of the embedded data (0: all samples).
int64_t default_limit(const std::string& id);

}  // namespace nnr::torchuc

namespace nnr {
// The libtorch use cases (vgg16, resnet50, mobilenetv2, dcase, uc12b), behind
// make_usecase and train_usecase.
Status make_torch_usecase(const UseCaseOptions& options, std::unique_ptr<UseCase>* out);
Status train_torch_usecase(const TrainOptions& options, TrainReport* report);
}  // namespace nnr

#endif
