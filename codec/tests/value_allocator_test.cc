#include "nnr/value_allocator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "dec/output_buffer.h"
#include "nnr/tensor.h"

namespace nnr {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

TEST(ValueAllocator, LargeBuffersStartOnAHugePageAndAreWholeAndWritable) {
#ifdef NNR_SANITIZE_BUILD
  GTEST_SKIP() << "the sanitizer build allocates every buffer with operator new, for AddressSanitizer";
#endif
  for (size_t bytes : {2 * kHugePage, 2 * kHugePage + 4, 9 * kHugePage / 2, 7 * kHugePage}) {
    void* p = value_storage_allocate(bytes);
    ASSERT_NE(p, nullptr);
#if defined(__linux__)
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kHugePage, 0u) << bytes;
#endif
    // Every byte, first and last included, is ours.
    std::memset(p, 0xA5, bytes);
    EXPECT_EQ(static_cast<unsigned char*>(p)[bytes - 1], 0xA5);
    value_storage_free(p, bytes);
  }
}

TEST(ValueAllocator, SmallBuffersAndEmptyOnes) {
  for (size_t bytes : {size_t{0}, size_t{1}, size_t{4096}, 2 * kHugePage - 1}) {
    void* p = value_storage_allocate(bytes);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % alignof(std::max_align_t), 0u);
    if (bytes) std::memset(p, 1, bytes);
    value_storage_free(p, bytes);
  }
  value_storage_free(nullptr, 100);
}

TEST(ValueAllocator, VectorsGrowCopyAndCompareWithPlainVectors) {
  ValueVector<float> v;
  for (int i = 0; i < 3'000'000; ++i) v.push_back(static_cast<float>(i));  // crosses into mapped buffers
  EXPECT_EQ(v[2'999'999], 2999999.0f);
  ValueVector<float> w = v;
  EXPECT_EQ(w.size(), v.size());
  EXPECT_EQ(w.back(), v.back());
  const std::vector<float> plain(v.begin(), v.end());
  EXPECT_TRUE(v == plain);
  EXPECT_TRUE(plain == v);
  w[17] = -1.0f;
  EXPECT_TRUE(w != plain);
  EXPECT_FALSE(ValueVector<float>(3, 1.0f) == std::vector<float>(2, 1.0f));
  v.clear();
  v.shrink_to_fit();
  EXPECT_TRUE(v.empty());
}

#if defined(__linux__)
TEST(ValueAllocator, FreedLargeBuffersAreReusedWithinABound) {
#ifdef NNR_SANITIZE_BUILD
  GTEST_SKIP() << "the sanitizer build allocates every buffer with operator new, for AddressSanitizer";
#endif
  value_storage_release_cached();
  ASSERT_EQ(value_storage_cached_bytes(), 0u);
  const size_t bytes = 3 * kHugePage + 100;  // mapped as 4 huge pages
  void* p = value_storage_allocate(bytes);
  ASSERT_NE(p, nullptr);
  std::memset(p, 0x5A, bytes);
  value_storage_free(p, bytes);
  EXPECT_EQ(value_storage_cached_bytes(), 4 * kHugePage);
  // Another length does not take it; the same mapped length does.
  void* other = value_storage_allocate(6 * kHugePage);
  EXPECT_NE(other, p);
  void* again = value_storage_allocate(4 * kHugePage - 8);
  EXPECT_EQ(again, p);
  EXPECT_EQ(value_storage_cached_bytes(), 0u);
  std::memset(again, 1, 4 * kHugePage - 8);
  value_storage_free(again, 4 * kHugePage - 8);
  value_storage_free(other, 6 * kHugePage);

  // 200 buffers of 8 MiB: at most 256 MiB and 64 buffers stay.
  std::vector<void*> many;
  for (int i = 0; i < 200; ++i) many.push_back(value_storage_allocate(4 * kHugePage));
  for (void* q : many) value_storage_free(q, 4 * kHugePage);
  EXPECT_LE(value_storage_cached_bytes(), size_t{256} << 20);
  EXPECT_GT(value_storage_cached_bytes(), 0u);
  value_storage_release_cached();
  EXPECT_EQ(value_storage_cached_bytes(), 0u);
  // A buffer larger than the bound is never kept.
  void* big = value_storage_allocate(size_t{300} << 20);
  ASSERT_NE(big, nullptr);
  value_storage_free(big, size_t{300} << 20);
  EXPECT_EQ(value_storage_cached_bytes(), 0u);
}
#endif

TEST(ValueAllocator, AbsurdCountsThrowInsteadOfWrapping) {
  ValueAllocator<float> a;
  EXPECT_THROW(a.allocate(~size_t{0} / 2), std::bad_array_new_length);
}

}  // namespace
}  // namespace nnr

namespace nnr {
namespace {

TEST(ResizeOutput, GivesWritableBuffersOfTheSizeAskedFor) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{1000}, size_t{3} << 20}) {
    ValueVector<float> v;
    resize_output(v, n);
    ASSERT_EQ(v.size(), n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i);
    if (n) {
      EXPECT_EQ(v[n - 1], static_cast<float>(n - 1));
    }
  }
  ValueVector<int32_t> l;
  resize_output(l, size_t{5} << 20);
  ASSERT_EQ(l.size(), size_t{5} << 20);
  l.back() = 7;
  EXPECT_EQ(l.back(), 7);
}

TEST(ResizeOutput, GrowsANonEmptyBufferWithZeros) {
  ValueVector<int32_t> l(3, 9);
  resize_output(l, 6);
  EXPECT_EQ(l, (std::vector<int32_t>{9, 9, 9, 0, 0, 0}));
  resize_output(l, 2);
  EXPECT_EQ(l, (std::vector<int32_t>{9, 9}));
}

}  // namespace
}  // namespace nnr
