#include "hls/hls.h"

#include <cstring>

namespace nnr {

// Performance maps (spec 2.4.1): statistics only. The loops run count - 1
// times and the unification class loop is bounded by the bitmask value, as the
// reference decoder reads them.
void parse_performance_map(BitReader& br, const char* kind, PerformanceMap& map) {
  map.kind = kind;
  // When tracing, record the map's elements in the map itself.
  std::vector<SyntaxElement> trace;
  const bool tracing = br.trace() != nullptr;
  struct Restore {
    BitReader& r;
    std::vector<SyntaxElement>* saved;
    ~Restore() { r.set_trace(saved); }
  } restore{br, br.trace()};
  br.set_trace(tracing ? &trace : nullptr);

  auto loops = [&](int64_t count) {
    // Every iteration reads at least one bit: more than the bits left is truncation.
    if (count > 0 && uint64_t(count) > br.bits_left()) {
      br.fail(ErrorCode::kTruncated, std::string(kind) + " performance map count exceeds the unit");
    }
    return count;
  };

  if (!std::strcmp(kind, "sparsification")) {
    map.count = static_cast<int>(br.u(8, "spm_count_thresholds"));
    for (int64_t i = 0, n = loops(map.count - 1); i < n; ++i) {
      br.flt("sparsification_threshold");
      br.flt("non_zero_ratio");
      br.flt("spm_nn_accuracy");
      const int64_t classes = static_cast<int64_t>(br.u(8, "spm_count_classes"));
      br.ue(7, "spm_class_bitmask");
      for (int64_t j = 0; j < classes; ++j) br.flt("spm_nn_class_accuracy");
    }
  } else if (!std::strcmp(kind, "pruning")) {
    map.count = static_cast<int>(br.u(8, "ppm_count_pruning_ratios"));
    for (int64_t i = 0, n = loops(map.count - 1); i < n; ++i) {
      br.flt("pruning_ratio");
      br.flt("ppm_nn_accuracy");
      const int64_t classes = static_cast<int64_t>(br.u(8, "ppm_count_classes"));
      br.ue(7, "ppm_class_bitmask");
      for (int64_t j = 0; j < classes; ++j) br.flt("ppm_nn_class_accuracy");
    }
  } else if (!std::strcmp(kind, "unification")) {
    map.count = static_cast<int>(br.u(8, "upm_count_thresholds"));
    for (int64_t i = 0, n = loops(map.count - 1); i < n; ++i) {
      const int64_t dims = static_cast<int64_t>(br.ue(1, "count_reshaped_tensor_dimension"));
      for (int64_t j = 0, m = loops(dims - 1); j < m; ++j) br.ue(7, "reshaped_tensor_dimensions");
      br.byte_alignment();
      const int64_t sb = static_cast<int64_t>(br.u(8, "count_super_block_dimension"));
      for (int64_t j = 0; j < sb - 1; ++j) br.u(8, "super_block_dimensions");
      const int64_t bd = static_cast<int64_t>(br.u(8, "count_block_dimension"));
      for (int64_t j = 0; j < bd - 1; ++j) br.u(8, "block_dimensions");
      br.flt("unification_threshold");
      br.flt("upm_nn_accuracy");
      br.u(8, "upm_count_classes");
      const int64_t mask = static_cast<int64_t>(br.ue(7, "upm_class_bitmask"));
      for (int64_t j = 0, m = loops(mask); j < m; ++j) br.flt("upm_nn_class_accuracy");
    }
  } else {  // decomposition
    map.count = static_cast<int>(br.u(8, "dpm_count_thresholds"));
    for (int64_t i = 0, n = loops(map.count - 1); i < n; ++i) {
      br.flt("mse_threshold");
      br.flt("dpm_nn_accuracy");
      br.flt("nn_reduction_ratio");
      const int64_t classes = static_cast<int64_t>(br.u(16, "dpm_count_classes"));
      for (int64_t j = 0; j < classes; ++j) br.flt("dpm_nn_class_accuracy");
    }
  }
  map.elements = std::move(trace);
}

}  // namespace nnr
