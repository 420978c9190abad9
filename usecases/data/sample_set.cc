#include "data/sample_set.h"

#include <algorithm>

namespace nnr::data {

void SampleSet::batch(int64_t begin, int64_t count, float* out) const {
  const int64_t n = sample_size(), plane = height * width;
  if (!f32.empty()) {
    std::copy(f32.begin() + begin * n, f32.begin() + (begin + count) * n, out);
    return;
  }
  for (int64_t s = 0; s < count; ++s) {
    const uint8_t* in = u8.data() + (begin + s) * n;
    float* o = out + s * n;
    for (int64_t c = 0; c < channels; ++c) {
      const float m = mean.empty() ? 0.0f : mean[static_cast<size_t>(c)];
      const float inv = stddev.empty() ? 1.0f : 1.0f / stddev[static_cast<size_t>(c)];
      for (int64_t i = 0; i < plane; ++i) o[c * plane + i] = (in[c * plane + i] / 255.0f - m) * inv;
    }
  }
}

void SampleSet::truncate(int64_t n) {
  if (n <= 0 || n >= size()) return;
  labels.resize(static_cast<size_t>(n));
  if (!u8.empty()) u8.resize(static_cast<size_t>(n * sample_size()));
  if (!f32.empty()) f32.resize(static_cast<size_t>(n * sample_size()));
}

void SampleSet::push_u8(const uint8_t* pixels, int64_t label) {
  u8.insert(u8.end(), pixels, pixels + sample_size());
  labels.push_back(label);
}

void SampleSet::push_f32(const float* values, int64_t label) {
  f32.insert(f32.end(), values, values + sample_size());
  labels.push_back(label);
}

}  // namespace nnr::data
