// The allocator of tensor value buffers. Small buffers come from operator
// new; large ones are mappings of their own, placed on a huge-page boundary
// and whole huge pages long, so the kernel can back all of them with 2 MiB
// pages: touching 100 MB of fresh 4 KiB pages costs 25 000 page faults, which
// in a virtual machine made up a tenth of a one-shot decode. Freed large
// buffers are kept for reuse, within a bound.
#ifndef NNR_VALUE_ALLOCATOR_H
#define NNR_VALUE_ALLOCATOR_H

#include <cstddef>
#include <new>

namespace nnr {

// Storage of at least `bytes` bytes, aligned for any value type; nullptr when
// the system refuses. Large buffers (see the .cc) are huge-page mappings.
void* value_storage_allocate(std::size_t bytes);
void value_storage_free(void* p, std::size_t bytes) noexcept;
// Freed large buffers are kept (up to 256 MiB) for the next buffer of the
// same size, e.g. the same model decoded again; this returns them to the
// system now. value_storage_cached_bytes() says how much is kept.
void value_storage_release_cached() noexcept;
std::size_t value_storage_cached_bytes() noexcept;
// The largest buffer asked for since the last call, mapped or not: what a
// test that bounds a decoder's allocations must see (large buffers are
// mappings, which a replaced operator new does not see).
std::size_t value_storage_take_largest_request() noexcept;

// The value of an element that is left uninitialised: a container grown
// from a range of these gets storage only (see ValueAllocator::construct).
struct NoInit {};

template <typename T>
struct ValueAllocator {
  using value_type = T;

  ValueAllocator() = default;
  template <typename U>
  ValueAllocator(const ValueAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    void* p = value_storage_allocate(n * sizeof(T));
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept { value_storage_free(p, n * sizeof(T)); }

  // Default-initialisation, which for the value types is no write at all;
  // every other construction is the usual one.
  template <typename U>
  void construct(U* p, NoInit) noexcept {
    ::new (static_cast<void*>(p)) U;
  }

  template <typename U>
  bool operator==(const ValueAllocator<U>&) const noexcept {
    return true;
  }
  template <typename U>
  bool operator!=(const ValueAllocator<U>&) const noexcept {
    return false;
  }
};

}  // namespace nnr

#endif  // NNR_VALUE_ALLOCATOR_H
