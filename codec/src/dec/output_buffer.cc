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

#if defined(__linux__)
// madvise(advice) on the whole `align`-sized units inside [p, p + bytes).
// Hints only: a refusal leaves the buffer as it was.
void advise_interior(void* p, size_t bytes, uintptr_t align, int advice) {
  const uintptr_t b = (reinterpret_cast<uintptr_t>(p) + align - 1) & ~(align - 1);
  const uintptr_t e = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(align - 1);
  if (e > b) (void)madvise(reinterpret_cast<void*>(b), e - b, advice);
}
#endif

// The whole 2 MiB pages of the buffer as transparent huge pages, before
// anything touches them (no THP or an old kernel: ordinary pages).
void advise_huge_pages(void* p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes >= 2 * kHugePage) advise_interior(p, bytes, kHugePage, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

// Faults the pages of [p, p + bytes) in with one call instead of one trap
// per page on first touch: in a virtual machine the traps made about a tenth
// of a one-shot decode of a 25.6 M-parameter stream. Kernels before 5.14
// refuse it and the pages fault in as before.
void populate(void* p, size_t bytes) {
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
  const long page_size = sysconf(_SC_PAGESIZE);
  if (bytes >= kPopulateMin && page_size > 0)
    advise_interior(p, bytes, static_cast<uintptr_t>(page_size), MADV_POPULATE_WRITE);
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
