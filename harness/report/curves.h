// Rate-metric curves (c_r on the x axis, the primary metric on the y axis,
// one line per codec, as Fig. 5 of the NNR overview paper), drawn with
// gnuplot to PNG and SVG.
#ifndef NNR_HARNESS_CURVES_H
#define NNR_HARNESS_CURVES_H

#include <string>
#include <vector>

#include "nnr/error.h"
#include "report/report_tables.h"

namespace nnr {

// Writes <dir>/<stem>.dat, .gp, and (when gnuplot runs) .png and .svg.
// `drawn` lists the image files made; a missing gnuplot is not an error.
Status draw_curve(const UseCaseSummary& uc, const std::string& dir, const std::string& stem,
                  std::vector<std::string>* drawn, std::string* note);

}  // namespace nnr

#endif  // NNR_HARNESS_CURVES_H
