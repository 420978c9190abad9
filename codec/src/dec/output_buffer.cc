#include "dec/output_buffer.h"

#include <cstddef>
#include <cstdint>
#include <iterator>

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

// A random-access range of n NoInit values.
class NoInitIterator {
 public:
  using iterator_category = std::random_access_iterator_tag;
  using value_type = NoInit;
  using difference_type = std::ptrdiff_t;
  using pointer = const NoInit*;
  using reference = NoInit;

  explicit NoInitIterator(difference_type i) : i_(i) {}
  NoInit operator*() const { return NoInit{}; }
  NoInitIterator& operator++() {
    ++i_;
    return *this;
  }
  NoInitIterator operator++(int) { return NoInitIterator(i_++); }
  NoInitIterator& operator--() {
    --i_;
    return *this;
  }
  NoInitIterator& operator+=(difference_type d) {
    i_ += d;
    return *this;
  }
  NoInitIterator operator+(difference_type d) const { return NoInitIterator(i_ + d); }
  difference_type operator-(const NoInitIterator& o) const { return i_ - o.i_; }
  NoInit operator[](difference_type) const { return NoInit{}; }
  bool operator==(const NoInitIterator& o) const { return i_ == o.i_; }
  bool operator!=(const NoInitIterator& o) const { return i_ != o.i_; }
  bool operator<(const NoInitIterator& o) const { return i_ < o.i_; }

 private:
  difference_type i_;
};

}  // namespace

// The decoder writes every element, so new elements are left unwritten: a
// zero fill first would be a second pass over up to hundreds of megabytes.
template <typename T>
void resize_output(ValueVector<T>& v, size_t n) {
  if (!v.empty() || n == 0) {
    v.resize(n);
    return;
  }
  ValueVector<T> fresh(NoInitIterator(0), NoInitIterator(static_cast<std::ptrdiff_t>(n)));
  populate(fresh.data(), n * sizeof(T));
  v.swap(fresh);
}

template void resize_output<float>(ValueVector<float>&, size_t);
template void resize_output<int32_t>(ValueVector<int32_t>&, size_t);

}  // namespace nnr
