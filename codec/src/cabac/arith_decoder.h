// The DeepCABAC arithmetic decoding engine (spec 8.5). Header-only so the
// level decoder's hot loop inlines it.
//
// Register: a 64-bit word with the window D (< 2R <= 1020) in bits 54..63
// and the next payload bits below it, left-aligned; cnt_ of them are valid.
// A decision compares with rMPS << 54 and shifts; bytes are added six at a
// time when cnt_ goes negative (about every 48 shifts) instead of a check
// for a byte every 8 shifts.
//
// Reads never go outside the segment: past its end the decoder shifts in
// zero bytes, and overread() says when the exact model (8.5) would have
// consumed a byte past the end; the caller turns that into an error.
#ifndef NNR_CABAC_ARITH_DECODER_H
#define NNR_CABAC_ARITH_DECODER_H

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "cabac/context_model.h"
#include "cabac/dec_context.h"
#include "cabac/tables.h"

namespace nnr {

class ArithDecoder {
 public:
  ArithDecoder() = default;
  ArithDecoder(const uint8_t* data, size_t size) { init(data, size); }

  void init(const uint8_t* data, size_t size) {
    data_ = data;
    size_ = size;
    range_ = 510;
    const uint32_t d = (byte_at(0) << 1) | (byte_at(1) >> 7);
    start(d, 9);
  }

  // Starts at shift count P with window value D (an entry point, spec 5.5).
  void init_at(const uint8_t* data, size_t size, uint64_t p, uint32_t d) {
    data_ = data;
    size_ = size;
    range_ = 256;
    start(d, p + 9);
  }

  // A regular bin with a decoder context (the level decoder's fast path).
  uint32_t decode_bin(DecContext& ctx) {
    const uint32_t bin = decide(ctx.p);
    ctx.update(bin);
    return bin;
  }
  // A regular bin with a ContextModel (init-set flags, tests).
  uint32_t decode_bin(ContextModel& ctx) {
    const uint32_t bin = decide(ctx.p());
    ctx.update(bin);
    return bin;
  }

  uint32_t decode_bypass() {
    shift(1);
    const uint64_t scaled = uint64_t{range_} << kTop;
    const uint32_t bin = value_ >= scaled ? 1u : 0u;
    value_ -= scaled & (0 - uint64_t{bin});
    return bin;
  }

  // n bypass bins, MSB first (n <= 32).
  uint32_t decode_bypass_bins(int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 1) | decode_bypass();
    return v;
  }

  uint32_t decode_terminate() {
    range_ -= 2;
    if (value_ >= uint64_t{range_} << kTop) return 1;
    if (range_ < 256) {
      range_ <<= 1;
      shift(1);
    }
    return 0;
  }

  void range_reset() { range_ = 256; }

  // Shift count P since the start of the segment (spec 5.4): the bits loaded
  // minus the 9 of the window minus the valid look-ahead.
  uint64_t shift_count() const { return static_cast<uint64_t>(8 * static_cast<int64_t>(pos_) - 9 - cnt_); }
  uint32_t window() const { return static_cast<uint32_t>(value_ >> kTop); }
  uint32_t range() const { return range_; }
  // Bytes of the segment the exact model has taken in: 2 + floor(P/8).
  size_t bytes_consumed() const { return static_cast<size_t>(2 + (shift_count() >> 3)); }
  bool overread() const { return bytes_consumed() > size_; }

 private:
  static constexpr int kTop = 54;  // bit position of the window's LSB

  uint32_t byte_at(uint64_t i) const { return i < size_ ? data_[i] : 0u; }

  // value_ = D, then the payload from bit `bit` on.
  void start(uint32_t d, uint64_t bit) {
    value_ = uint64_t{d} << kTop;
    const uint64_t idx = bit >> 3;
    const int off = static_cast<int>(bit & 7);
    // The rest of byte idx, just below the window.
    value_ |= uint64_t{(byte_at(idx) << off) & 255u} << (kTop - 8);
    cnt_ = 8 - off;
    pos_ = static_cast<size_t>(idx + 1);  // past the end when starting there
    refill();
  }

  // The decision of 8.5 on a context with estimate p, with the MPS / LPS
  // outcome selected arithmetically: it is unpredictable.
  __attribute__((always_inline)) uint32_t decide(int p) {
    const uint32_t rlps = kRlpsByRange.r[((range_ & 0xE0u) << 1) + ((p >> 7) & 63)];
    const uint32_t rmps = range_ - rlps;
    const uint64_t scaled = uint64_t{rmps} << kTop;
    const uint32_t lps = value_ >= scaled ? 1u : 0u;
    const uint64_t mask = 0 - uint64_t{lps};
    value_ -= scaled & mask;
    const uint32_t r = rmps ^ ((rmps ^ rlps) & static_cast<uint32_t>(mask));
    const int n = __builtin_clz(r) - 23;  // doublings that bring the range to >= 256
    range_ = r << n;
    shift(n);
    return (static_cast<uint32_t>(p) >> 31) ^ 1u ^ lps;  // MPS = (p >= 0)
  }

  __attribute__((always_inline)) void shift(int n) {
    value_ <<= n;
    cnt_ -= n;
    if (__builtin_expect(cnt_ < 0, 0)) refill();
  }

  // Out of line and by value (rare: about every 48 shifts), so neither the
  // hot loop nor the registers of a caller's local copy pay for it.
  void refill() {
    const Refilled r = refill(data_, size_, pos_, value_, cnt_);
    pos_ += static_cast<size_t>((r.cnt - cnt_) >> 3);
    value_ = r.value;
    cnt_ = r.cnt;
  }
  struct Refilled {
    uint64_t value;
    int cnt;
  };
  // Whole bytes go just below the valid bits: six at once inside the
  // segment, else one by one with zeros past its end, up to cnt >= 47.
  __attribute__((noinline)) static Refilled refill(const uint8_t* data, size_t size, size_t pos,
                                                   uint64_t value, int cnt) {
    if (cnt <= 6 && pos + 8 <= size) {
      uint64_t w;
      std::memcpy(&w, data + pos, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      w = __builtin_bswap64(w);
#endif
      return Refilled{value | (w >> 16) << (6 - cnt), cnt + 48};
    }
    for (; cnt <= 46; cnt += 8, ++pos) value |= uint64_t{pos < size ? data[pos] : 0u} << (46 - cnt);
    return Refilled{value, cnt};
  }

  // rLPS by q = (R >> 5) & 7 and p >> 7 (mod 64), the row at 64 q = 2 (R & 0xE0):
  // the mirrored halves give rho = |p >> 7| without computing |.|.
  struct RlpsByRange {
    uint8_t r[8 * 64];
    RlpsByRange() : r() {
      for (int q = 0; q < 8; ++q) {
        for (int i = 0; i < 64; ++i) {
          const int rho = i < 32 ? i : 64 - i;  // p >> 7 = i or i - 64
          r[64 * q + i] = kRlps[q][rho < 32 ? rho : 31];
        }
      }
    }
  };
  static inline const RlpsByRange kRlpsByRange{};

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t pos_ = 0;      // bytes loaded into value_ (may pass size_: zeros)
  uint64_t value_ = 0;
  int cnt_ = 0;         // valid payload bits below the window
  uint32_t range_ = 510;
};

}  // namespace nnr

#endif  // NNR_CABAC_ARITH_DECODER_H
