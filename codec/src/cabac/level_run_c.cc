// The C++ reference of the level decoder's forms: what every other
// instruction set's table must match bin for bin (tests/checkasm_test.cc).
#include "cabac/level_run.h"
#include "cabac/level_run_loop.h"
#include "cabac/level_run_steps.h"

namespace nnr {

namespace {

struct IsaC {
  static constexpr bool kAsm = false;
  static constexpr bool kPlainStepsAsm = false;
  template <typename T>
  static T select(bool cond, T if_true, T if_false) {
    return cond ? if_true : if_false;
  }
  static int64_t plain_steps(ArithDecoder&, ArithDecoder::Core&, const BinStep*&, DecContext*&, int32_t*&,
                             int32_t* const) {
    return 0;
  }
};

}  // namespace

// A quarter: where the C++ forms were measured equally fast.
const LevelRunFns kLevelRunC = {
    "c",
    {level_run::decode_run_steps<false, IsaC>, level_run::decode_run_steps<true, IsaC>},
    {level_run::decode_run_levels<false, IsaC>, level_run::decode_run_levels<true, IsaC>},
    {1, 1},
    {4, 4},
};

}  // namespace nnr
