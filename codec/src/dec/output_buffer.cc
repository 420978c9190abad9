#include "dec/output_buffer.h"

#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace nnr {

namespace {

constexpr uintptr_t kHugePage = uintptr_t{2} << 20;

// A hint only: the whole 2 MiB pages inside [p, p + bytes), before anything
// touches them. Failure (no THP, old kernel) leaves ordinary pages.
void advise_huge_pages(void* p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes < 2 * kHugePage) return;
  const uintptr_t b = (reinterpret_cast<uintptr_t>(p) + kHugePage - 1) & ~(kHugePage - 1);
  const uintptr_t e = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(kHugePage - 1);
  if (e > b) (void)madvise(reinterpret_cast<void*>(b), e - b, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

}  // namespace

template <typename T>
void resize_output(std::vector<T>& v, size_t n) {
  if (v.empty() && v.capacity() < n) {
    v.reserve(n);
    advise_huge_pages(v.data(), n * sizeof(T));
  }
  v.resize(n);
}

template void resize_output<float>(std::vector<float>&, size_t);
template void resize_output<int32_t>(std::vector<int32_t>&, size_t);

}  // namespace nnr
