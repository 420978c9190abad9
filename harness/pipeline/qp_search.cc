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
  // Without known bounds, the bisection starts from just outside the range
  // instead of probing its ends, which are rarely the answer: it still ends
  // on qp_max if everything passes, and below qp_min (having failed
  // qp_min) if nothing does.
  int good_qp = lo ? *lo : qp_min - 1;
  int bad_qp = hi ? *hi : qp_max + 1;
  while (bad_qp - good_qp > 1) {
    const int mid = good_qp + (bad_qp - good_qp) / 2;
    if (good(mid)) good_qp = mid;
    else bad_qp = mid;
  }
  if (good_qp < qp_min) return s;  // not even the finest step
  int failed = 0;
  for (int qp = good_qp + 1; qp <= qp_max && failed < patience; ++qp) {
    if (good(qp)) {
      good_qp = qp;
      failed = 0;
    } else {
      ++failed;
    }
  }
  s.chosen = good_qp;
  return s;
}

}  // namespace nnr
