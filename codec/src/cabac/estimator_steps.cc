#include "cabac/estimator_steps.h"

#include "cabac/bit_estimates.h"
#include "cabac/context_model.h"

namespace nnr {

EstimatorSteps::EstimatorSteps() : next_a{}, next_b{}, cost{} {
  for (int sa = 4; sa <= 7; ++sa)
    for (uint32_t bin = 0; bin < 2; ++bin)
      for (int a = -128; a < 128; ++a) {
        // The update keeps |a| <= 123 (spec 8.1): no state reaches -128, and
        // updating it would index past the step table.
        if (a == -128) {
          next_a[sa - 4][doubled_a(a) + bin] = static_cast<uint16_t>(doubled_a(a));
          continue;
        }
        ContextModel c;
        c.a = static_cast<int16_t>(a);
        c.sa = static_cast<uint8_t>(sa);
        c.update(bin);
        next_a[sa - 4][doubled_a(a) + bin] = static_cast<uint16_t>(doubled_a(c.a));
      }
  for (int sb = 4; sb <= 6; ++sb)
    for (uint32_t bin = 0; bin < 2; ++bin)
      for (int b = -2048; b < 2048; ++b) {
        if (b == -2048) {  // likewise unreachable (|b| <= 1923)
          next_b[sb - 4][doubled_b(b) + bin] = static_cast<uint16_t>(doubled_b(b));
          continue;
        }
        ContextModel c;
        c.b = static_cast<int16_t>(b);
        c.sb = static_cast<uint8_t>(sb);
        c.update(bin);
        next_b[sb - 4][doubled_b(b) + bin] = static_cast<uint16_t>(doubled_b(c.b));
      }
  for (int x = 0; x < 8192; ++x)  // x = p + 4096
    for (uint32_t bin = 0; bin < 2; ++bin) cost[2 * x + bin] = estimate_bin_cost(x - 4096, bin);
}

const EstimatorSteps kEstimatorSteps;

}  // namespace nnr
