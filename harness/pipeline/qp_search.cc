#include "pipeline/qp_search.h"

namespace nnr {

QpSearch bisect_qp(int qp_min, int qp_max, double target, const std::map<int, QpProbe>& known,
                   const std::function<QpProbe(int)>& probe, int patience) {
  QpSearch s;
  std::map<int, QpProbe> seen = known;
  auto good = [&](int qp) {
    auto it = seen.find(qp);
    if (it == seen.end()) {
      s.probed.push_back(qp);
      it = seen.emplace(qp, probe(qp)).first;
    }
    return it->second.ok && it->second.metric >= target;
  };
  // The bounds the known points give: the largest transparent qp, and the
  // smallest qp above it that is not.
  std::optional<int> lo, hi;
  for (const auto& [qp, p] : known)
    if (qp >= qp_min && qp <= qp_max && p.ok && p.metric >= target) lo = qp;
  for (const auto& [qp, p] : known)
    if (qp >= qp_min && qp <= qp_max && (!lo || qp > *lo) && !(p.ok && p.metric >= target)) {
      hi = qp;
      break;
    }
  if (!lo) {
    if (!good(qp_min)) return s;  // not even the finest step
    lo = qp_min;
  }
  if (!hi) {
    if (good(qp_max)) {
      s.chosen = qp_max;
      return s;
    }
    hi = qp_max;
  }
  while (*hi - *lo > 1) {
    const int mid = *lo + (*hi - *lo) / 2;
    if (good(mid)) lo = mid;
    else hi = mid;
  }
  int failed = 0;
  for (int qp = *lo + 1; qp <= qp_max && failed < patience; ++qp) {
    if (good(qp)) {
      lo = qp;
      failed = 0;
    } else {
      ++failed;
    }
  }
  s.chosen = lo;
  return s;
}

}  // namespace nnr
