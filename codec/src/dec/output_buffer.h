// Sizing of decoded output buffers.
#ifndef NNR_DEC_OUTPUT_BUFFER_H
#define NNR_DEC_OUTPUT_BUFFER_H

#include <cstddef>

#include "nnr/tensor.h"

namespace nnr {

// v.resize(n) for a fresh buffer, the pages of a large one faulted in by one
// call instead of one trap per page on first touch (the allocator has asked
// for huge pages already).
template <typename T>
void resize_output(ValueVector<T>& v, size_t n);

}  // namespace nnr

#endif  // NNR_DEC_OUTPUT_BUFFER_H
