// A comparison (compare_runs.h, compare_benchmarks.h) for CI servers: JUnit
// XML with one testcase per point (or benchmark) and check and a failure
// element per regression, as Jenkins and GitLab read it; and plain JSON.
#ifndef NNR_HARNESS_COMPARE_OUTPUT_H
#define NNR_HARNESS_COMPARE_OUTPUT_H

#include <string>

#include <nlohmann/json.hpp>

#include "report/compare_runs.h"

namespace nnr {

std::string comparison_junit(const Comparison& c, const std::string& suite);
nlohmann::json comparison_json(const Comparison& c);

}  // namespace nnr

#endif  // NNR_HARNESS_COMPARE_OUTPUT_H
