// The DeepCABAC arithmetic encoding engine (spec 8.6, 8.7): a 32-bit low
// register with carry propagation through a run of 0xFF bytes.
#ifndef NNR_CABAC_ARITH_ENCODER_H
#define NNR_CABAC_ARITH_ENCODER_H

#include <cstdint>
#include <vector>

#include "cabac/context_model.h"
#include "cabac/tables.h"

namespace nnr {

class ArithEncoder {
 public:
  void encode_bin(uint32_t bin, ContextModel& ctx) {
    encode_decision(bin, ctx.mps(), kRlps[(range_ >> 5) & 7][ctx.rho()]);
    ctx.update(bin);
  }

  // A regular bin given its context's MPS and rLPS (from range_class()); the
  // caller updates the context.
  void encode_decision(uint32_t bin, uint32_t mps, uint32_t rlps) {
    range_ -= rlps;
    if (bin == mps) {
      if (range_ < 256) {
        range_ <<= 1;
        low_ <<= 1;
        --bits_left_;
      }
    } else {
      const int n = __builtin_clz(rlps) - 23;
      low_ += range_;
      range_ = rlps << n;
      low_ <<= n;
      bits_left_ -= n;
    }
    if (bits_left_ < 12) emit_lead_byte();
  }
  // q = (R >> 5) & 7, the row of the rLPS table (spec 8.3).
  uint32_t range_class() const { return (range_ >> 5) & 7; }

  // The coding registers, for loops that keep them in local variables (the
  // output stays here): take them, code with the static functions below,
  // give them back.
  struct Registers {
    uint32_t low, range;
    int bits_left;
  };
  Registers registers() const { return {low_, range_, bits_left_}; }
  void set_registers(const Registers& r) {
    low_ = r.low;
    range_ = r.range;
    bits_left_ = r.bits_left;
  }
  // encode_decision on registers; `flush` is called with them when a lead
  // byte is due and returns them updated.
  template <typename Flush>
  static void decision(Registers& r, uint32_t bin, uint32_t mps, uint32_t rlps, Flush&& flush) {
    r.range -= rlps;
    if (bin == mps) {
      if (r.range < 256) {
        r.range <<= 1;
        r.low <<= 1;
        --r.bits_left;
      }
    } else {
      const int n = __builtin_clz(rlps) - 23;
      r.low += r.range;
      r.range = rlps << n;
      r.low <<= n;
      r.bits_left -= n;
    }
    if (r.bits_left < 12) r = flush(r);
  }
  // Emits the due lead byte of `r` and returns the registers after.
  Registers emit_lead_byte(Registers r) {
    set_registers(r);
    emit_lead_byte();
    return registers();
  }

  void encode_bypass(uint32_t bin) {
    low_ <<= 1;
    if (bin) low_ += range_;
    --bits_left_;
    if (bits_left_ < 12) emit_lead_byte();
  }

  // n bypass bins carrying `value`, MSB first.
  void encode_bypass_bins(uint32_t value, int n) {
    for (int i = n - 1; i >= 0; --i) encode_bypass((value >> i) & 1u);
  }

  void range_reset() { range_ = 256; }

  // Codes the terminating bin 1 and flushes; returns the segment.
  std::vector<uint8_t> finish();

  // Shift count S (= the decoder's P at the same point) and low mod 512, for
  // entry points (spec 5.5). Every shift takes a bit from bits_left and every
  // lead byte gives eight back, so S is not counted bin by bin.
  uint64_t shift_count() const { return shift_count(bits_left_); }
  uint64_t shift_count(int bits_left) const {
    return 8 * lead_bytes_ + static_cast<uint64_t>(static_cast<int64_t>(kInitialBitsLeft - bits_left));
  }
  uint32_t low_mod_512() const { return low_ & 511u; }

 private:
  void emit_lead_byte();
  void put(uint8_t b) { out_.push_back(b); }

  static constexpr int kInitialBitsLeft = 23;
  uint32_t low_ = 0;
  uint32_t range_ = 510;
  int bits_left_ = kInitialBitsLeft;
  uint32_t buffered_ = 0;
  uint64_t n_buffered_ = 0;
  uint64_t lead_bytes_ = 0;  // emit_lead_byte calls
  std::vector<uint8_t> out_;
};

}  // namespace nnr

#endif  // NNR_CABAC_ARITH_ENCODER_H
