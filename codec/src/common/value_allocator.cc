#include "nnr/value_allocator.h"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

// Large buffers as mappings of their own, except in the sanitizer build
// (NNR_VALUE_STORAGE_PLAIN), where every buffer comes from operator new so
// that AddressSanitizer sees its bounds and the allocation watches of the
// tests see its size.
#if defined(__linux__) && defined(MADV_HUGEPAGE) && !defined(NNR_VALUE_STORAGE_PLAIN)
#define NNR_VALUE_MAPPINGS 1
#else
#define NNR_VALUE_MAPPINGS 0
#endif

namespace nnr {

namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;
// From two huge pages on: below that, rounding up to whole huge pages would
// waste too large a share of the mapping.
constexpr std::size_t kMapMin = 2 * kHugePage;
constexpr std::size_t kMapMax = std::size_t{1} << 48;  // beyond any address space: operator new refuses

std::size_t mapped_size(std::size_t bytes) { return (bytes + kHugePage - 1) & ~(kHugePage - 1); }

#if NNR_VALUE_MAPPINGS
// Freed mappings kept for the next buffer of the same length, as a general
// allocator keeps freed memory: the second decode of a model in a process
// then writes into pages that are already there instead of pages the kernel
// must fault in and zero (in a virtual machine about a tenth of a decode of
// a 25.6 M-parameter stream). Oldest out first beyond the bound.
class MappingCache {
 public:
  static constexpr std::size_t kMaxBytes = std::size_t{256} << 20;
  static constexpr std::size_t kMaxEntries = 64;

  // A kept mapping of exactly `len` bytes, or nullptr.
  void* take(std::size_t len) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (std::size_t i = entries_.size(); i-- > 0;) {
      if (entries_[i].len != len) continue;
      void* p = entries_[i].p;
      total_ -= len;
      entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
      return p;
    }
    return nullptr;
  }

  // Keeps [p, p + len) for reuse; what no longer fits is unmapped.
  void keep(void* p, std::size_t len) noexcept {
    std::vector<Entry> out;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (len > kMaxBytes) {
        out.push_back(Entry{p, len});
      } else {
        try {
          entries_.push_back(Entry{p, len});
          total_ += len;
        } catch (...) {
          out.push_back(Entry{p, len});
        }
        std::size_t drop = 0;
        while (total_ > kMaxBytes || entries_.size() - drop > kMaxEntries) total_ -= entries_[drop++].len;
        for (std::size_t i = 0; i < drop; ++i) unmap(entries_[i]);
        entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(drop));
      }
    }
    for (const Entry& e : out) unmap(e);
  }

  void release() noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const Entry& e : entries_) unmap(e);
    entries_.clear();
    total_ = 0;
  }

  std::size_t bytes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return total_;
  }

 private:
  struct Entry {
    void* p;
    std::size_t len;
  };
  static void unmap(const Entry& e) noexcept { munmap(e.p, e.len); }

  std::mutex mutex_;
  std::vector<Entry> entries_;  // oldest first
  std::size_t total_ = 0;
};

// Never destroyed: buffers in static objects may be freed after main.
MappingCache& cache() {
  static MappingCache* c = new MappingCache;
  return *c;
}
#endif

}  // namespace

namespace {
std::atomic<std::size_t> g_largest_request{0};
}  // namespace

std::size_t value_storage_take_largest_request() noexcept { return g_largest_request.exchange(0); }

void* value_storage_allocate(std::size_t bytes) {
  for (std::size_t cur = g_largest_request.load(std::memory_order_relaxed);
       bytes > cur && !g_largest_request.compare_exchange_weak(cur, bytes, std::memory_order_relaxed);) {
  }
#if NNR_VALUE_MAPPINGS
  if (bytes >= kMapMin && bytes <= kMapMax) {
    const std::size_t len = mapped_size(bytes);
    if (void* kept = cache().take(len)) return kept;
    // Map one huge page more than needed, then unmap the parts outside the
    // first aligned run: a mapping of its own, aligned at both ends.
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
#if NNR_VALUE_MAPPINGS
  if (bytes >= kMapMin && bytes <= kMapMax) {
    cache().keep(p, mapped_size(bytes));
    return;
  }
#endif
  ::operator delete(p);
}

void value_storage_release_cached() noexcept {
#if NNR_VALUE_MAPPINGS
  cache().release();
#endif
}

std::size_t value_storage_cached_bytes() noexcept {
#if NNR_VALUE_MAPPINGS
  return cache().bytes();
#else
  return 0;
#endif
}

}  // namespace nnr
