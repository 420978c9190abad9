#include "enc/numpy_std.h"

#include <cmath>
#include <vector>

namespace nnr {

namespace {

// numpy's pairwise summation (the reduction loop of `add` for contiguous
// data), accumulating in T.
template <typename T, typename In>
T pairwise_sum(const In* a, size_t n) {
  if (n < 8) {
    T res = 0;
    for (size_t i = 0; i < n; ++i) res += static_cast<T>(a[i]);
    return res;
  }
  if (n <= 128) {
    T r[8];
    for (int j = 0; j < 8; ++j) r[j] = static_cast<T>(a[j]);
    size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int j = 0; j < 8; ++j) r[j] += static_cast<T>(a[i + j]);
    T res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += static_cast<T>(a[i]);
    return res;
  }
  size_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise_sum<T>(a, n2) + pairwise_sum<T>(a + n2, n - n2);
}

// numpy reduces in buffers of this many elements, each summed pairwise and
// added to the running result (checked against numpy 1.24).
constexpr size_t kBuffer = 8192;

template <typename T, typename In>
T buffered_sum(const In* a, size_t n) {
  T sum = 0;
  for (size_t i = 0; i < n; i += kBuffer) sum += pairwise_sum<T>(a + i, n - i < kBuffer ? n - i : kBuffer);
  return sum;
}

}  // namespace

float numpy_std(const float* x, size_t n) {
  if (n == 0) return NAN;
  const float sum = buffered_sum<float>(x, n);
  // sum / n in binary64, then rounded: the same as one binary32 division.
  const float mean = static_cast<float>(static_cast<double>(sum) / static_cast<double>(n));
  std::vector<float> d(n);
  for (size_t i = 0; i < n; ++i) {
    const float t = x[i] - mean;
    d[i] = t * t;
  }
  const float ss = buffered_sum<float>(d.data(), n);
  const float var = static_cast<float>(static_cast<double>(ss) / static_cast<double>(n));
  return std::sqrt(var);
}

double numpy_std(const int32_t* x, size_t n) {
  if (n == 0) return NAN;
  const double sum = buffered_sum<double>(x, n);
  const double mean = sum / static_cast<double>(n);
  std::vector<double> d(n);
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(x[i]) - mean;
    d[i] = t * t;
  }
  return std::sqrt(buffered_sum<double>(d.data(), n) / static_cast<double>(n));
}

}  // namespace nnr
