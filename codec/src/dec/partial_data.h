// Tensors carried in parts (partial_data_counter > 0): the project's reading
// of the standard is that parts share the topology element id, each carries a
// slab of the tensor along its first dimension, and the counter gives the
// order (1, 2, ...). The parts are joined into one tensor.
#ifndef NNR_DEC_PARTIAL_DATA_H
#define NNR_DEC_PARTIAL_DATA_H

#include <vector>

#include "nnr/decoder.h"

namespace nnr {

// Joins the parts in `tensors` (in place). Throws nnr::Error on parts that do
// not fit together.
void join_partial_tensors(std::vector<DecodedTensor>& tensors);

}  // namespace nnr

#endif  // NNR_DEC_PARTIAL_DATA_H
