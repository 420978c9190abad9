#include "nnr/value_allocator.h"

#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace nnr {

namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;
// From two huge pages on: below that, rounding up to whole huge pages would
// waste too large a share of the mapping.
constexpr std::size_t kMapMin = 2 * kHugePage;
constexpr std::size_t kMapMax = std::size_t{1} << 48;  // beyond any address space: operator new refuses

std::size_t mapped_size(std::size_t bytes) { return (bytes + kHugePage - 1) & ~(kHugePage - 1); }

}  // namespace

void* value_storage_allocate(std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes >= kMapMin && bytes <= kMapMax) {
    // Map one huge page more than needed, then unmap the parts outside the
    // first aligned run: a mapping of its own, aligned at both ends.
    const std::size_t len = mapped_size(bytes);
    void* raw = mmap(nullptr, len + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return nullptr;
    const uintptr_t r = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t a = (r + kHugePage - 1) & ~(kHugePage - 1);
    if (a > r) munmap(raw, a - r);
    munmap(reinterpret_cast<void*>(a + len), r + kHugePage - a);  // a - r < kHugePage: never empty
    (void)madvise(reinterpret_cast<void*>(a), len, MADV_HUGEPAGE);  // a hint: refused means 4 KiB pages
    return reinterpret_cast<void*>(a);
  }
#endif
  return ::operator new(bytes, std::nothrow);
}

void value_storage_free(void* p, std::size_t bytes) noexcept {
  if (!p) return;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes >= kMapMin && bytes <= kMapMax) {
    munmap(p, mapped_size(bytes));
    return;
  }
#endif
  ::operator delete(p);
}

}  // namespace nnr
