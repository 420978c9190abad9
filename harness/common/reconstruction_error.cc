#include "common/reconstruction_error.h"

#include <cmath>
#include <map>
#include <string>

namespace nnr {

ReconstructionError reconstruction_error(const std::vector<Tensor>& input, const DecodedModel& decoded) {
  std::map<std::string, const Tensor*> by_name;
  for (const DecodedTensor& t : decoded.tensors) by_name[t.name] = &t;
  ReconstructionError e;
  for (const Tensor& t : input) {
    if (t.dtype != DType::kFloat32) continue;
    auto it = by_name.find(t.name);
    const std::vector<int64_t> shape = t.shape.empty() ? std::vector<int64_t>{1} : t.shape;
    if (it == by_name.end() || it->second->shape != shape || it->second->dtype != DType::kFloat32) {
      ++e.unmatched;
      continue;
    }
    const bool weight = shape.size() >= 2;
    const ValueVector<float>& d = it->second->f32;
    for (size_t i = 0; i < t.f32.size(); ++i) {
      const double err = static_cast<double>(d[i]) - static_cast<double>(t.f32[i]);
      e.sse += err * err;
      e.max_abs = std::fmax(e.max_abs, std::fabs(err));
      if (weight) e.weight_sse += err * err;
    }
    e.count += t.f32.size();
    if (weight) e.weight_count += t.f32.size();
  }
  return e;
}

}  // namespace nnr
