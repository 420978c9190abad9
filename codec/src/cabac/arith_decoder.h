// The DeepCABAC arithmetic decoding engine (spec 8.5), register level:
// value = D*128 + look-ahead, a byte refill every 8 shifts. Header-only so the
// level decoder's hot loop inlines it.
//
// Reads never go outside the segment: past its end the decoder shifts in
// zero bytes and counts them, and the caller turns that into an error.
#ifndef NNR_CABAC_ARITH_DECODER_H
#define NNR_CABAC_ARITH_DECODER_H

#include <cstddef>
#include <cstdint>

#include "cabac/context_model.h"
#include "cabac/tables.h"

namespace nnr {

class ArithDecoder {
 public:
  ArithDecoder() = default;
  ArithDecoder(const uint8_t* data, size_t size) { init(data, size); }

  void init(const uint8_t* data, size_t size) {
    set_segment(data, size, 0);
    range_ = 510;
    value_ = (next_byte() << 8);
    value_ |= next_byte();
    bits_needed_ = -8;
  }

  // Starts at shift count P with window value D (an entry point, spec 5.5).
  void init_at(const uint8_t* data, size_t size, uint64_t p, uint32_t d) {
    set_segment(data, size, static_cast<size_t>(2 + (p >> 3)));
    bits_needed_ = static_cast<int>(p & 7) - 8;
    const size_t look = static_cast<size_t>(1 + (p >> 3));
    const uint32_t la = look < size ? data[look] : 0u;
    value_ = (d << 7) + ((la << (p & 7)) & 127u);
    range_ = 256;
  }

  // Branch-free apart from the byte refill: which of MPS / LPS was coded is
  // unpredictable, so both outcomes are computed and selected.
  uint32_t decode_bin(ContextModel& ctx) {
    const int p = ctx.p();
    const uint32_t mps = static_cast<uint32_t>(~p) >> 31;
    // Indexed by p >> 7 directly (mirrored table): no |.| on the way to rLPS.
    const uint32_t rlps = kRlpsSigned.r[(range_ >> 5) & 7][(p >> 7) & 63];
    const uint32_t rmps = range_ - rlps;
    const uint32_t scaled = rmps << 7;
    const uint32_t lps = value_ >= scaled ? 1u : 0u;
    const uint32_t bin = mps ^ lps;
    value_ -= scaled & (0u - lps);
    const uint32_t r = lps ? rlps : rmps;
    const int n = __builtin_clz(r) - 23;  // doublings that bring the range to >= 256
    range_ = r << n;
    value_ <<= n;
    bits_needed_ += n;
    if (bits_needed_ >= 0) {
      value_ += next_byte() << bits_needed_;
      bits_needed_ -= 8;
    }
    ctx.update(bin);
    return bin;
  }

  uint32_t decode_bypass() {
    value_ <<= 1;
    if (++bits_needed_ >= 0) {
      bits_needed_ = -8;
      value_ += next_byte();
    }
    const uint32_t scaled = range_ << 7;
    if (value_ >= scaled) {
      value_ -= scaled;
      return 1;
    }
    return 0;
  }

  // n bypass bins, MSB first (n <= 32). Up to 8 at a time: shifting k bits
  // into the window and taking k quotient bits of D / R is the same as k
  // single bypass decisions, with one refill.
  uint32_t decode_bypass_bins(int n) {
    uint32_t v = 0;
    while (n > 0) {
      const int k = n < 8 ? n : 8;
      n -= k;
      value_ <<= k;
      bits_needed_ += k;
      if (bits_needed_ >= 0) {
        value_ += next_byte() << bits_needed_;
        bits_needed_ -= 8;
      }
      const uint32_t scaled = range_ << 7;
      for (int i = k - 1; i >= 0; --i) {
        const uint32_t s = scaled << i;
        const uint32_t bit = value_ >= s ? 1u : 0u;
        value_ -= s & (0u - bit);
        v = (v << 1) | bit;
      }
    }
    return v;
  }

  uint32_t decode_terminate() {
    range_ -= 2;
    const uint32_t scaled = range_ << 7;
    if (value_ >= scaled) return 1;
    if (range_ < 256) {
      range_ <<= 1;
      value_ <<= 1;
      if (++bits_needed_ == 0) {
        bits_needed_ = -8;
        value_ |= next_byte();
      }
    }
    return 0;
  }

  void range_reset() { range_ = 256; }

  // Shift count P since the start of the segment (spec 5.4).
  uint64_t shift_count() const { return 8 * (uint64_t(bytes_consumed()) - 2) + uint64_t(bits_needed_ + 8); }
  uint32_t window() const { return value_ >> 7; }
  uint32_t range() const { return range_; }
  // Bytes of the segment the decoder has taken in (2 + floor(P/8) in a valid stream).
  size_t bytes_consumed() const { return static_cast<size_t>(cur_ - data_) + over_; }
  bool overread() const { return over_ != 0; }

 private:
  // Position idx: cur_ = data + min(idx, size), over_ = the rest (zero bytes
  // shifted in past the end). The hot path only touches cur_ and end_.
  void set_segment(const uint8_t* data, size_t size, size_t idx) {
    data_ = data;
    end_ = data + size;
    cur_ = data + (idx < size ? idx : size);
    over_ = idx < size ? 0 : idx - size;
  }

  uint32_t next_byte() {
    if (__builtin_expect(cur_ < end_, 1)) return *cur_++;
    ++over_;
    return 0u;
  }

  // 64 entries per range quarter, indexed by (p >> 7) & 63: rLPS of rho = |p >> 7|.
  struct RlpsSigned {
    uint8_t r[8][64];
    RlpsSigned() {
      for (int q = 0; q < 8; ++q) {
        for (int i = 0; i < 64; ++i) {
          const int rho = i < 32 ? i : 64 - i;  // p >> 7 = i or i - 64
          r[q][i] = kRlps[q][rho < 32 ? rho : 31];
        }
      }
    }
  };
  static inline const RlpsSigned kRlpsSigned{};

  const uint8_t* data_ = nullptr;
  const uint8_t* cur_ = nullptr;
  const uint8_t* end_ = nullptr;
  size_t over_ = 0;
  uint32_t value_ = 0;
  uint32_t range_ = 510;
  int bits_needed_ = -8;
};

}  // namespace nnr

#endif  // NNR_CABAC_ARITH_DECODER_H
