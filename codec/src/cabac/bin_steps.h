// The level binarisation (spec 6) as a bin-level state machine: for each
// decoding state (element phase, sign, DQ state, neighbour class) the step
// says what follows a bin 1 and a bin 0. The level decoder then selects its
// next context, step and output position after each decision instead of
// branching on the bin, which a branch predictor gets wrong about once per
// level (where the AbsGr flags end). The Exp-Golomb prefix of the
// remainder is part of the machine too; its bypass suffix is not.
#ifndef NNR_CABAC_BIN_STEPS_H
#define NNR_CABAC_BIN_STEPS_H

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cabac/dec_context.h"

namespace nnr {

struct BinStep {
  enum Kind : uint32_t {
    kPlain = 0,
    kSelf = 1,  // ctx0 is this step's own context: its pr is the updated one
    kSuffix = 2,       // the Exp-Golomb prefix ended: its bypass suffix follows
    kPrefixError = 3,  // a prefix of more than 31 ones (the level exceeds any bound)
  };
  DecContext* ctx1;      // the context of the next bin after bin 1
  DecContext* ctx0;      // after bin 0
  const BinStep* next1;  // the next step after bin 1
  const BinStep* next0;
  int32_t level0;  // the level L when bin 0 ends the element
  uint32_t kind;
  int64_t inc0;  // 1 when bin 0 ends an element (the output advances)
  // A kSuffix step reads the fields as: ctx1 / next1 and ctx0 / next0 for
  // an odd and an even |k|; level0 bytes p, F, G (L = F |k| + G, F and G
  // signed); inc0 N + 2^p, |k| less the suffix.
};

// The steps of one tensor's contexts; ctx0 / ctx1 point into `ctx`.
class BinSteps {
 public:
  BinSteps(DecContext* ctx, int n, bool dq);

  const BinStep* data() const { return steps_.data(); }
  // Start of an element with DQ state s and neighbour class c.
  const BinStep* sig_step(uint32_t s, uint32_t c) const { return steps_.data() + sig(s, c); }
  // The DQ state and neighbour class of an element-start step.
  void sig_state(const BinStep* t, uint32_t& s, uint32_t& c) const;
  // Prefix length, sign and DQ state of a suffix step.
  void suffix_state(const BinStep* t, uint32_t& p, uint32_t& neg, uint32_t& s) const {
    const size_t i = static_cast<size_t>(t - steps_.data()) - suffix(0, 0, 0);
    p = static_cast<uint32_t>(i >> 4);
    neg = static_cast<uint32_t>((i >> 3) & 1);
    s = static_cast<uint32_t>(i & 7);
  }

 private:
  static size_t sig(uint32_t s, uint32_t c) { return 3 * s + c; }
  static size_t sign(uint32_t s) { return 24 + s; }
  static size_t gr(uint32_t j, uint32_t neg, uint32_t s) { return 32 + (2 * j + neg) * 8 + s; }
  // Exp-Golomb prefix bin p (spec 6), and the suffix after a prefix of p ones.
  size_t pre(uint32_t p, uint32_t neg, uint32_t s) const { return 32 + 16 * n_ + (2 * p + neg) * 8 + s; }
  size_t suffix(uint32_t p, uint32_t neg, uint32_t s) const { return 32 + 16 * n_ + 512 + (2 * p + neg) * 8 + s; }
  size_t prefix_error() const { return 32 + 16 * n_ + 1024; }

  size_t n_;
  std::vector<BinStep> steps_;
};

}  // namespace nnr

#endif  // NNR_CABAC_BIN_STEPS_H
