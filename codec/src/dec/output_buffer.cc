#include "dec/output_buffer.h"

#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace nnr {

namespace {

constexpr size_t kPopulateMin = size_t{256} << 10;

// Faults the whole pages of [p, p + bytes) in with one call: in a virtual
// machine a trap per page on first touch cost about a tenth of a one-shot
// decode. Kernels before 5.14 refuse it and the pages fault in as before.
void populate(void* p, size_t bytes) {
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
  const long page_size = sysconf(_SC_PAGESIZE);
  if (bytes < kPopulateMin || page_size <= 0) return;
  const uintptr_t align = static_cast<uintptr_t>(page_size);
  const uintptr_t b = (reinterpret_cast<uintptr_t>(p) + align - 1) & ~(align - 1);
  const uintptr_t e = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(align - 1);
  if (e > b) (void)madvise(reinterpret_cast<void*>(b), e - b, MADV_POPULATE_WRITE);
#else
  (void)p;
  (void)bytes;
#endif
}

}  // namespace

template <typename T>
void resize_output(ValueVector<T>& v, size_t n) {
  if (v.empty() && v.capacity() < n) {
    v.reserve(n);
    populate(v.data(), n * sizeof(T));
  }
  v.resize(n);
}

template void resize_output<float>(ValueVector<float>&, size_t);
template void resize_output<int32_t>(ValueVector<int32_t>&, size_t);

}  // namespace nnr
