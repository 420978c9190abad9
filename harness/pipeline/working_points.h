// The working points of a run: use case x codec x swept settings, in a fixed
// order with stable keys (the key identifies a point across resumes, shards
// and baselines).
#ifndef NNR_HARNESS_WORKING_POINTS_H
#define NNR_HARNESS_WORKING_POINTS_H

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/run_config.h"

namespace nnr {

struct WorkingPoint {
  size_t index = 0;    // position in the run's order
  std::string key;     // "<usecase>/<codec>/<k=v,...>" ("-" for no swept setting)
  size_t usecase = 0;  // into RunConfig::usecases
  size_t codec = 0;    // into RunConfig::codecs
  nlohmann::json point = nlohmann::json::object();     // the swept values
  nlohmann::json settings = nlohmann::json::object();  // base settings with the point applied
};

std::vector<WorkingPoint> expand_working_points(const RunConfig& config);

// "qp=-38,use_dq=true"; "-" when empty.
std::string point_label(const nlohmann::json& point);

}  // namespace nnr

#endif  // NNR_HARNESS_WORKING_POINTS_H
