// The transparent point of a codec (the NNR paper's Table III): the largest
// qp, and so the smallest stream, whose metric stays within a tolerance of
// the original model's, found by bisection over integer qp instead of read
// off a grid (on a grid of steps of 6, the step size doubles between points,
// and the grid decides much of the figure).
#ifndef NNR_HARNESS_QP_SEARCH_H
#define NNR_HARNESS_QP_SEARCH_H

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nnr {

struct QpProbe {
  bool ok = false;  // the point ran (a failed point counts as not transparent)
  double metric = 0;
};

struct QpSearch {
  std::optional<int> chosen;  // none: not even qp_min is transparent
  std::vector<int> probed;    // the qp probe() was called for, in order
};

// Bisection over [qp_min, qp_max] for the largest qp whose metric is at
// least `target`, the metric taken to fall as qp grows. `known` (points run
// before: a grid, an earlier run) bound the interval without being run
// again; probe(qp) runs the others. Near the edge a task metric is not
// monotone (a point may fail just under one that passes), so the qps above
// the bisection's answer are then tried until `patience` in a row fail: the
// answer no longer depends on where the bisection happened to land.
QpSearch bisect_qp(int qp_min, int qp_max, double target, const std::map<int, QpProbe>& known,
                   const std::function<QpProbe(int)>& probe, int patience = 0);

}  // namespace nnr

#endif  // NNR_HARNESS_QP_SEARCH_H
