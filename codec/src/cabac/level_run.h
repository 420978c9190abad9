// The level decoder's two forms for a run of levels, as a table per
// instruction set (dav1d's "dsp" tables): the bin steps (bin_steps.h) and
// the level loop. Every table decodes exactly the same levels; they differ
// in speed, and the chooser (dec_levels.cc) picks a form by the share of
// levels past the AbsGr flags, with thresholds measured for each table.
#ifndef NNR_CABAC_LEVEL_RUN_H
#define NNR_CABAC_LEVEL_RUN_H

#include <cstdint>

#include "cabac/arith_decoder.h"
#include "cabac/bin_steps.h"
#include "cabac/isa.h"

namespace nnr {

// Decodes `count` levels in scan order into out[0 .. count), from an
// element with DQ state `state` and neighbour class `c` (both updated),
// with the contexts `ctx` of unary length n. Returns the number of levels
// past the AbsGr flags. Throws nnr::Error for a level outside int32 or a
// prefix longer than 31 bins, with k_io at the failing bin.
using LevelStepsRun = int64_t (*)(ArithDecoder& dec, ArithDecoder::Core& k_io, const BinSteps& steps,
                                  DecContext* ctx, int n, uint32_t& state, uint32_t& c, int32_t* out,
                                  int64_t count);
using LevelLoopRun = int64_t (*)(ArithDecoder& dec, ArithDecoder::Core& k_io, DecContext* ctx, int n,
                                 uint32_t& state, uint32_t& c, int32_t* out, int64_t count);

struct LevelRunFns {
  const char* name;      // "c" (the C++ reference), "x86-64"
  LevelStepsRun steps[2];  // [dq]
  LevelLoopRun loop[2];
  // The level loop runs where more than num / den of a window's levels went
  // past the AbsGr flags, [dq].
  int64_t loop_share_num[2], loop_share_den[2];
};

extern const LevelRunFns kLevelRunC;
#if NNR_HAVE_X86_64_ASM
extern const LevelRunFns kLevelRunX86_64;
#endif

}  // namespace nnr

#endif  // NNR_CABAC_LEVEL_RUN_H
