#include "dec/partial_data.h"

#include <algorithm>
#include <map>
#include <string>

namespace nnr {

void join_partial_tensors(std::vector<DecodedTensor>& tensors) {
  std::map<std::string, std::vector<size_t>> parts;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].info.partial_data_counter > 0) parts[tensors[i].name].push_back(i);
  }
  if (parts.empty()) return;
  std::vector<bool> drop(tensors.size(), false);
  for (auto& [name, idx] : parts) {
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
      return tensors[a].info.partial_data_counter < tensors[b].info.partial_data_counter;
    });
    DecodedTensor& first = tensors[idx[0]];
    for (size_t k = 0; k < idx.size(); ++k) {
      const DecodedTensor& t = tensors[idx[k]];
      const int64_t offset = static_cast<int64_t>(t.info.unit_index);
      if (t.info.partial_data_counter != static_cast<int>(k) + 1)
        throw Error(ErrorCode::kInvalidBitstream, kNoOffset,
                    "parts of '" + name + "' are not numbered 1.." + std::to_string(idx.size()) +
                        " (unit " + std::to_string(offset) + ")");
      if (k == 0) continue;
      const bool same = t.dtype == first.dtype && t.shape.size() == first.shape.size() &&
                        std::equal(t.shape.begin() + 1, t.shape.end(), first.shape.begin() + 1);
      if (!same)
        throw Error(ErrorCode::kInvalidBitstream, kNoOffset,
                    "part " + std::to_string(k + 1) + " of '" + name +
                        "' does not match the shape or type of part 1");
      first.shape[0] += t.shape[0];
      first.f32.insert(first.f32.end(), t.f32.begin(), t.f32.end());
      first.i32.insert(first.i32.end(), t.i32.begin(), t.i32.end());
      first.levels.insert(first.levels.end(), t.levels.begin(), t.levels.end());
      drop[idx[k]] = true;
    }
    first.info.partial_data_counter = 0;
  }
  std::vector<DecodedTensor> kept;
  kept.reserve(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i)
    if (!drop[i]) kept.push_back(std::move(tensors[i]));
  tensors = std::move(kept);
}

}  // namespace nnr
