// Sizing of decoded output buffers.
#ifndef NNR_DEC_OUTPUT_BUFFER_H
#define NNR_DEC_OUTPUT_BUFFER_H

#include <cstddef>
#include <vector>

namespace nnr {

// v.resize(n) for a fresh buffer, large ones backed by transparent huge pages
// where the system offers them and their pages faulted in by one call: first
// touching 100 MB of 4 KiB pages costs 25 000 page faults, which in a virtual
// machine took about a fifth of a single-threaded decode.
template <typename T>
void resize_output(std::vector<T>& v, size_t n);

}  // namespace nnr

#endif  // NNR_DEC_OUTPUT_BUFFER_H
