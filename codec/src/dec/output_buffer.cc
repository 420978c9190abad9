#include "dec/output_buffer.h"

#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace nnr {

namespace {

constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
constexpr size_t kPopulateMin = size_t{256} << 10;

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

// Faults the pages of [p, p + bytes) in with one call instead of one trap
// per page on first touch: in a virtual machine the traps made about a tenth
// of a one-shot decode of a 25.6 M-parameter stream. A hint only: kernels
// before 5.14 refuse it and the pages fault in as before.
void populate(void* p, size_t bytes) {
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
  if (bytes < kPopulateMin) return;
  const long page_size = sysconf(_SC_PAGESIZE);
  if (page_size <= 0) return;
  const uintptr_t page = static_cast<uintptr_t>(page_size);
  const uintptr_t b = (reinterpret_cast<uintptr_t>(p) + page - 1) & ~(page - 1);
  const uintptr_t e = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(page - 1);
  if (e > b) (void)madvise(reinterpret_cast<void*>(b), e - b, MADV_POPULATE_WRITE);
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
    populate(v.data(), n * sizeof(T));
  }
  v.resize(n);
}

template void resize_output<float>(std::vector<float>&, size_t);
template void resize_output<int32_t>(std::vector<int32_t>&, size_t);

}  // namespace nnr
