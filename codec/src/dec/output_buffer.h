// Sizing of decoded output buffers.
#ifndef NNR_DEC_OUTPUT_BUFFER_H
#define NNR_DEC_OUTPUT_BUFFER_H

#include <cstddef>

#include "nnr/tensor.h"

namespace nnr {

// v.resize(n) for the decoder's output. An empty v gets n elements left
// unwritten (the decoder writes each one), the pages of a large buffer
// faulted in by one call instead of one trap per page on first touch (the
// allocator has asked for huge pages already); else a plain resize.
template <typename T>
void resize_output(ValueVector<T>& v, size_t n);

}  // namespace nnr

#endif  // NNR_DEC_OUTPUT_BUFFER_H
