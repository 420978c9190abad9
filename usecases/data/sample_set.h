// A data set held in memory once and batched many times: fixed-shape samples
// (channels x height x width), stored as 8-bit pixels (images) or floats
// (features), with an integer label each. Torch-free: the use cases copy a
// batch into a tensor.
#ifndef NNR_USECASES_DATA_SAMPLE_SET_H
#define NNR_USECASES_DATA_SAMPLE_SET_H

#include <cstdint>
#include <string>
#include <vector>

#include "nnr/error.h"

namespace nnr::data {

struct SampleSet {
  std::string source;                 // where the samples came from (for describe())
  int64_t channels = 0, height = 0, width = 0;
  // Exactly one of the two is filled: u8 pixels are scaled to [0, 1], then
  // normalised per channel with mean/stddev; f32 features are used as they are.
  std::vector<uint8_t> u8;
  std::vector<float> f32;
  std::vector<float> mean, stddev;    // per channel (u8 only); empty: no normalisation
  std::vector<int64_t> labels;        // one per sample (-1: unlabelled)
  std::vector<std::string> classes;   // class names, index = label

  int64_t sample_size() const { return channels * height * width; }
  int64_t size() const { return static_cast<int64_t>(labels.size()); }
  // Writes samples [begin, begin + count) as floats, count x C x H x W, into out.
  void batch(int64_t begin, int64_t count, float* out) const;
  // Keeps the first n samples (n <= 0 or n >= size(): all).
  void truncate(int64_t n);
  // Appends one sample (size sample_size()) of the set's kind.
  void push_u8(const uint8_t* pixels, int64_t label);
  void push_f32(const float* values, int64_t label);
};

// ImageNet statistics used by torchvision's pretrained models.
inline const std::vector<float> kImageNetMean = {0.485f, 0.456f, 0.406f};
inline const std::vector<float> kImageNetStd = {0.229f, 0.224f, 0.225f};

}  // namespace nnr::data

#endif
