#include "enc/opt_qp.h"

#include <cmath>
#include <cstdint>

#include "enc/numpy_std.h"
#include "nnr/error.h"

namespace nnr {

std::map<std::string, int> optimise_weight_qps(const std::vector<OptQpWeight>& weights) {
  // share = numel / sum(numel) + 0.1 (1 - std / max std). The reference
  // computes std / max std and 0.1 (1 - .) in binary32 when every std is a
  // binary32 value, and in binary64 as soon as one is not (a decomposed
  // weight's placeholder entry for G, or an integer tensor's std).
  struct Entry {
    int64_t numel;
    double std;
  };
  std::vector<Entry> entries;
  bool all_binary32 = true;
  int64_t total = 0;
  double max_std = 0;
  for (const OptQpWeight& w : weights) {
    const Tensor& t = *w.tensor;
    Entry e{t.numel(), 0.0};
    if (w.h) {
      // G and H count once: numel of W = rows(G) cols(H), std of G and H concatenated.
      std::vector<float> both(t.f32.begin(), t.f32.end());
      both.insert(both.end(), w.h->f32.begin(), w.h->f32.end());
      e.numel = t.shape.front() * w.h->shape.back();
      e.std = numpy_std(both.data(), both.size());
      all_binary32 = false;
    } else if (t.dtype == DType::kInt32) {
      e.std = numpy_std(t.i32.data(), t.i32.size());
      all_binary32 = false;
    } else {
      e.std = numpy_std(t.f32.data(), t.f32.size());
    }
    total += e.numel;
    max_std = std::fmax(max_std, e.std);
    entries.push_back(e);
  }
  if (weights.empty()) return {};
  if (!(max_std > 0))
    throw Error(ErrorCode::kInvalidArgument, kNoOffset,
                "opt_qp: every weight tensor is constant (standard deviation 0), the qp heuristic is undefined");

  std::map<std::string, int> qps;
  for (size_t i = 0; i < weights.size(); ++i) {
    const Entry& e = entries[i];
    double spread;  // 0.1 (1 - std / max std)
    if (all_binary32) {
      const float rel = static_cast<float>(e.std) / static_cast<float>(max_std);
      spread = static_cast<double>(0.1f * (1.0f - rel));
    } else {
      spread = 0.1 * (1.0 - e.std / max_std);
    }
    double share = static_cast<double>(e.numel) / static_cast<double>(total) + spread;
    if (share > 0.5) share = 0.15;
    // Round half to even (the default rounding mode), as the reference does.
    const int qp = static_cast<int>(std::nearbyint(static_cast<double>(weights[i].qp) * (1.0 - share)));
    qps[weights[i].tensor->name] = qp;
    if (weights[i].h) qps[weights[i].h->name] = qp;
  }
  return qps;
}

}  // namespace nnr
