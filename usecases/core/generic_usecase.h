// The task-free use case over any model file (see generic_usecase.cc).
#ifndef NNR_USECASES_GENERIC_USECASE_H
#define NNR_USECASES_GENERIC_USECASE_H

#include "nnr/usecase.h"

namespace nnr {

Status make_generic_usecase(const UseCaseOptions& options, std::unique_ptr<UseCase>* out);

}  // namespace nnr

#endif  // NNR_USECASES_GENERIC_USECASE_H
