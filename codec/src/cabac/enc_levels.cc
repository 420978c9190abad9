#include "cabac/enc_levels.h"

#include <array>
#include <string>

#include "cabac/binarisation.h"
#include "cabac/estimator_steps.h"
#include "cabac/tables.h"
#include "nnr/error.h"

namespace nnr {

namespace {

[[noreturn]] void bad_level(int64_t pos, const std::string& why) {
  throw Error(ErrorCode::kInvalidArgument, kNoOffset,
              "level at position " + std::to_string(pos) + " " + why);
}

}  // namespace

void encode_init_sets(ArithEncoder& enc, TensorContexts& ctx, const std::vector<int>& sets) {
  const ContextLayout& layout = ctx.layout();
  ContextModel* c = ctx.data();
  ContextModel& flag_ctx = c[layout.init_flag()];
  for (int i = 0; i <= layout.count() - 5; ++i) {
    if (!layout.signalled(i, ctx.dq())) continue;
    const int set = sets[i];
    if (set > 0) {
      enc.encode_bin(1, flag_ctx);
      enc.encode_bypass_bins(static_cast<uint32_t>(set - 1), 3);
    } else {
      enc.encode_bin(0, flag_ctx);
    }
    c[i].init(set);
  }
}

namespace {

// A context while levels are coded: its estimators in the doubled form of
// EstimatorSteps, the step tables of its shifts and its initial state (for
// block-row resets).
// (uint16_t, so that its stores cannot alias the coder's uint32_t registers.)
struct FastContext {
  uint16_t a, b;
  uint16_t a0, b0;
  const uint16_t* ta;
  const uint16_t* tb;
};

// rLPS by R >> 5 and (B + 16A) >> 8 = (p >> 7) + 32: RLPS[q][|p >> 7|] with
// q = (R >> 5) & 7. R is 256 .. 510 between bins, so R >> 5 is 8 .. 15 and
// indexes the rows directly (rows 0 .. 7 unused).
struct RlpsByState {
  uint8_t r[16][64];
  RlpsByState() : r{} {
    for (int q = 0; q < 8; ++q)
      for (int i = 0; i < 64; ++i) {
        // i = 0 (p >> 7 = -32) is unreachable (|p| <= 3891, spec 8.1); keep
        // the index inside the table anyway.
        const int rho = i < 32 ? 32 - i : i - 32;
        r[8 + q][i] = kRlps[q][rho < 32 ? rho : 31];
      }
  }
};
const RlpsByState kRlpsByState;

// Codes levels with the arithmetic coder's registers in local variables.
class LevelCoder {
 public:
  LevelCoder(ArithEncoder& enc, FastContext* c) : enc_(enc), c_(c), r_(enc.registers()) {}
  ~LevelCoder() { enc_.set_registers(r_); }
  LevelCoder(const LevelCoder&) = delete;
  LevelCoder& operator=(const LevelCoder&) = delete;

  // The bins of coded level k (spec 6): `sig` = 3 state + c, c the neighbour
  // class, n AbsGr flags; |k| < 2^31. The registers are copied into a local
  // for the level so that they stay in machine registers.
  void level(int64_t k, uint32_t sig, uint32_t c, int n) {
    ArithEncoder::Registers r = r_;
    code_level(r, k, sig, c, n);
    r_ = r;
  }
  // Block-row start: range reset (8.9); the state for the entry point.
  RowStart row_start(uint32_t dq_state) {
    r_.range = 256;
    return RowStart{enc_.shift_count(r_.bits_left), r_.low & 511u, dq_state};
  }

 private:
  void bin(ArithEncoder::Registers& r, uint32_t i, uint32_t bin) {
    FastContext& x = c_[i];
    const uint32_t s = x.b + 16u * x.a;  // 2(p + 4096)
    const uint32_t rlps = kRlpsByState.r[r.range >> 5][s >> 8];
    ArithEncoder::decision(r, bin, s >= 8192 ? 1u : 0u, rlps,
                           [this](ArithEncoder::Registers x) { return enc_.emit_lead_byte(x); });
    x.a = x.ta[x.a + bin];
    x.b = x.tb[x.b + bin];
  }
  // p bypass bins carrying `value`, MSB first (spec 8.7: up to 8 per step).
  void bypass(ArithEncoder::Registers& r, uint32_t value, int p) {
    while (p > 0) {
      const int m = p < 8 ? p : 8;
      p -= m;
      r.low = (r.low << m) + ((value >> p) & ((1u << m) - 1)) * r.range;
      r.bits_left -= m;
      if (r.bits_left < 12) r = enc_.emit_lead_byte(r);
    }
  }
  void code_level(ArithEncoder::Registers& r, int64_t k, uint32_t sig, uint32_t c, int n) {
    if (k == 0) {
      bin(r, sig, 0);
      return;
    }
    bin(r, sig, 1);
    const uint32_t neg = k < 0 ? 1u : 0u;
    bin(r, ContextLayout::kSign + c, neg);
    const uint64_t mag = neg ? static_cast<uint64_t>(-k) : static_cast<uint64_t>(k);
    uint32_t ctx = ContextLayout::kAbsGr + neg;
    if (mag <= static_cast<uint64_t>(n)) {
      for (uint64_t j = 1; j < mag; ++j, ctx += 2) bin(r, ctx, 1);
      bin(r, ctx, 0);
      return;
    }
    for (int j = 0; j < n; ++j, ctx += 2) bin(r, ctx, 1);
    const uint64_t rem1 = mag - static_cast<uint64_t>(n);  // rem + 1
    const int p = 63 - __builtin_clzll(rem1);             // floor(log2(rem + 1))
    const uint32_t prefix = static_cast<uint32_t>(27 + 2 * n);
    for (int i = 0; i < p; ++i) bin(r, prefix + static_cast<uint32_t>(i), 1);
    bin(r, prefix + static_cast<uint32_t>(p), 0);
    if (p) bypass(r, static_cast<uint32_t>(rem1 - (uint64_t{1} << p)), p);
  }

  ArithEncoder& enc_;
  FastContext* c_;
  ArithEncoder::Registers r_;
};

}  // namespace

void encode_levels(ArithEncoder& enc, TensorContexts& ctx, const ScanGeometry& geom,
                   const int32_t* levels, std::vector<RowStart>* row_starts) {
  const int n = ctx.layout().n;
  const bool dq = ctx.dq();
  std::vector<FastContext> fc(static_cast<size_t>(ctx.layout().count()));
  for (size_t i = 0; i < fc.size(); ++i) {
    const ContextModel& m = ctx.data()[i];
    const InitSet& init = kInitSets[m.set];
    fc[i] = FastContext{static_cast<uint16_t>(doubled_a(m.a)), static_cast<uint16_t>(doubled_b(m.b)),
                        static_cast<uint16_t>(doubled_a(init.a)), static_cast<uint16_t>(doubled_b(init.b)),
                        kEstimatorSteps.next_a[m.sa - 4], kEstimatorSteps.next_b[m.sb - 4]};
  }
  LevelCoder coder(enc, fc.data());
  uint32_t state = 0;
  uint32_t cls = 0;
  if (geom.block && row_starts) row_starts->clear();
  for_each_in_scan(
      geom,
      [&](int64_t r) {
        if (r > 0)
          for (FastContext& x : fc) {
            x.a = x.a0;
            x.b = x.b0;
          }
        const RowStart start = coder.row_start(state);
        cls = 0;
        if (row_starts) row_starts->push_back(start);
      },
      [&](int64_t pos) {
        const int32_t l = levels[pos];
        int64_t k = l;
        if (dq) {
          if (!dq_coded_level(l, state, &k)) bad_level(pos, "is not reachable from its DQ state");
        }
        const int64_t mag = k < 0 ? -k : k;
        if (mag > (int64_t{1} << 31) - 1 + (k < 0)) bad_level(pos, "is too large to code");
        coder.level(k, (dq ? 3 * state : 0) + cls, cls, n);
        if (dq) state = kDqNextState[state][k & 1];
        cls = neighbour_class(k);
      });
  // The tensor's contexts end as coded (only their sets matter to callers).
  for (size_t i = 0; i < fc.size(); ++i) {
    ctx.data()[i].a = static_cast<int16_t>(static_cast<int>(fc[i].a / 2) - 128);
    ctx.data()[i].b = static_cast<int16_t>(static_cast<int>(fc[i].b / 2) - 2048);
  }
}

}  // namespace nnr
