// Which table of level_run.h the decoder uses: the fastest this build and
// machine have, or the one named by $NNR_CABAC ("c": the C++ reference) or
// by select_level_run().
#ifndef NNR_CABAC_LEVEL_RUN_DISPATCH_H
#define NNR_CABAC_LEVEL_RUN_DISPATCH_H

#include <string>
#include <vector>

#include "cabac/level_run.h"

namespace nnr {

// The table in use (chosen on first use).
const LevelRunFns& level_run_fns();
// Every table this build has, the C++ reference first.
std::vector<const LevelRunFns*> level_run_available();
// Uses the table named `name` from now on, or the default for "". False,
// changing nothing, for a name this build does not have.
bool select_level_run(const std::string& name);

}  // namespace nnr

#endif  // NNR_CABAC_LEVEL_RUN_DISPATCH_H
