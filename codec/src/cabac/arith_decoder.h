// The DeepCABAC arithmetic decoding engine (spec 8.5). Header-only so the
// level decoder's hot loop inlines it.
//
// Register: a 64-bit word with the window D (< 2R <= 1020) in bits 54..63
// and the next payload bits below it, left-aligned; cnt of them are valid.
// A decision compares D with rMPS and shifts; bytes are added six at a time
// when cnt goes negative (about every 48 shifts) instead of a check for a
// byte every 8 shifts.
//
// Reads never go outside the segment: past its end the decoder shifts in
// zero bytes, and overread() says when the exact model (8.5) would have
// consumed a byte past the end; the caller turns that into an error.
//
// decide_nb<false> is the C++ reference of a decision; decide_nb<true> the
// same with the x86-64 selections of cabac/x86_64/arith_decide.h, for the
// level decoder's x86-64 form (cabac/level_run_dispatch.h chooses).
//
// Tried here and not faster: selecting rLPS from a per-row word by a shift
// of R (no load after R); two independent streams interleaved gained only a
// tenth. The level decoder's x86-64 forms (x86_64/) keep the range at the
// window's scale instead, with tables at that scale: there the count of
// instructions per bin mattered.
#ifndef NNR_CABAC_ARITH_DECODER_H
#define NNR_CABAC_ARITH_DECODER_H

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "cabac/context_model.h"
#include "cabac/dec_context.h"
#include "cabac/isa.h"
#include "cabac/tables.h"
#if NNR_HAVE_X86_64_ASM
#include "cabac/x86_64/arith_decide.h"
#endif

namespace nnr {

class ArithDecoder {
 public:
  // The registers a decision touches. A hot loop keeps a local copy (whose
  // address never escapes, so it stays in machine registers) and passes it
  // to the *_core functions; the segment position stays in the object.
  struct Core {
    uint64_t value = 0;
    int cnt = 0;  // valid payload bits below the window
    uint32_t range = 510;
  };

  ArithDecoder() = default;
  ArithDecoder(const uint8_t* data, size_t size) { init(data, size); }

  void init(const uint8_t* data, size_t size) {
    data_ = data;
    size_ = size;
    k_.range = 510;
    const uint32_t d = (byte_at(0) << 1) | (byte_at(1) >> 7);
    start(d, 9);
  }

  // Starts at shift count P with window value D (an entry point, spec 5.5).
  void init_at(const uint8_t* data, size_t size, uint64_t p, uint32_t d) {
    data_ = data;
    size_ = size;
    k_.range = 256;
    start(d, p + 9);
  }

  Core core() const { return k_; }
  void set_core(const Core& k) { k_ = k; }

  // A regular bin with a decoder context (the level decoder's fast path);
  // kAsm: with the x86-64 selections.
  template <bool kAsm = false>
  __attribute__((always_inline)) uint32_t decode_bin_core(Core& k, DecContext& ctx) {
    const uint32_t nb = decide_nb<kAsm>(k, ctx.row);
    ctx.update_nb(nb);
    return nb ^ 1u;
  }
  uint32_t decode_bin(DecContext& ctx) { return decode_bin_core(k_, ctx); }
  // The refill of shift(), for a caller that decides in its own code.
  Core refilled_core(Core k) { return refilled(k); }
  // A regular bin with a ContextModel (init-set flags, tests).
  uint32_t decode_bin(ContextModel& ctx) {
    const uint32_t bin = decide_nb<false>(k_, kDecTables.row(static_cast<uint32_t>(ctx.p() >> 3) & 0x3F0u)) ^ 1u;
    ctx.update(bin);
    return bin;
  }

  uint32_t decode_bypass_core(Core& k) {
    shift(k, 1);
    const uint64_t scaled = uint64_t{k.range} << kTop;
    const uint32_t bin = k.value >= scaled ? 1u : 0u;
    k.value -= scaled & (0 - uint64_t{bin});
    return bin;
  }
  uint32_t decode_bypass() { return decode_bypass_core(k_); }

  // n bypass bins, MSB first (n <= 32).
  uint32_t decode_bypass_bins_core(Core& k, int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 1) | decode_bypass_core(k);
    return v;
  }
  uint32_t decode_bypass_bins(int n) { return decode_bypass_bins_core(k_, n); }

  // The same n bypass bins (n <= 31) in one step: n doublings of D with a
  // payload bit each and a subtraction of R whenever D >= R are the division
  // of (D << n) + those bits by R; the bins are the quotient, the new D the
  // remainder. One division instead of a loop whose exit mispredicts.
  // (A segment no encoder writes can start with D >= R, where D keeps
  // growing: that case takes the bins one by one.)
  uint32_t decode_bypass_run_core(Core& k, int n) {
    if (n == 0) return 0;
    if (__builtin_expect((k.value >> kTop) >= k.range, 0)) return decode_bypass_bins_core(k, n);
    if (k.cnt < n) k = refilled(k);
    const uint64_t x = k.value >> (kTop - n);
    const uint64_t q = x / k.range;
    const uint64_t d = x - q * k.range;
    k.value = d << kTop | ((k.value << n) & ((uint64_t{1} << kTop) - 1));
    k.cnt -= n;
    return static_cast<uint32_t>(q);
  }

  uint32_t decode_terminate() {
    k_.range -= 2;
    if (k_.value >= uint64_t{k_.range} << kTop) return 1;
    if (k_.range < 256) {
      k_.range <<= 1;
      shift(k_, 1);
    }
    return 0;
  }

  void range_reset() { k_.range = 256; }

  // For a level decoder that refills in its own loop as refilled() does
  // (six bytes at once while pos + 8 <= size): the segment and the number
  // of its bytes loaded into the register.
  const uint8_t* segment_data() const { return data_; }
  size_t segment_size() const { return size_; }
  size_t& loaded_bytes() { return pos_; }

  // Shift count P since the start of the segment (spec 5.4): the bits loaded
  // minus the 9 of the window minus the valid look-ahead.
  uint64_t shift_count() const { return static_cast<uint64_t>(8 * static_cast<int64_t>(pos_) - 9 - k_.cnt); }
  uint32_t window() const { return static_cast<uint32_t>(k_.value >> kTop); }
  uint32_t range() const { return k_.range; }
  // Bytes of the segment the exact model has taken in: 2 + floor(P/8).
  size_t bytes_consumed() const { return static_cast<size_t>(2 + (shift_count() >> 3)); }
  bool overread() const { return bytes_consumed() > size_; }

 private:
  static constexpr int kTop = 54;  // bit position of the window's LSB

  uint32_t byte_at(uint64_t i) const { return i < size_ ? data_[i] : 0u; }

  // value = D, then the payload from bit `bit` on.
  void start(uint32_t d, uint64_t bit) {
    const uint64_t idx = bit >> 3;
    const int off = static_cast<int>(bit & 7);
    // The rest of byte idx, just below the window.
    k_.value = uint64_t{d} << kTop | uint64_t{(byte_at(idx) << off) & 255u} << (kTop - 8);
    k_.cnt = 8 - off;
    pos_ = static_cast<size_t>(idx + 1);  // past the end when starting there
    k_ = refilled(k_);
  }

  // The decision of 8.5 on a context whose row of the LPS tables is `row`
  // (pr = 16 ((p >> 7) & 63) in DecTables). The outcome is unpredictable,
  // so both are computed and selected, and the renormalisation of either
  // comes without a bit scan: from the table for an LPS, at most one
  // doubling for an MPS.
  // Returns 1 - bin.
  template <bool kAsm>
  __attribute__((always_inline)) uint32_t decide_nb(Core& k, const uint64_t* lps_row) {
    static_assert(!kAsm || NNR_HAVE_X86_64_ASM, "no x86-64 form in this build");
    const DecTables::Lps& e = DecTables::lps_of(lps_row, k.range >> 5);
    const uint32_t rmps = k.range - e.r;
    const uint32_t top = static_cast<uint32_t>(k.value >> kTop);
    uint32_t range = rmps;
    uint32_t n = 0;
    uint64_t value = k.value;
    const uint64_t lower = value - (uint64_t{rmps} << kTop);
    bool lps = false;
    if constexpr (kAsm) {
#if NNR_HAVE_X86_64_ASM
      lps = x86_64::decide_select(range, n, value, rmps, top, e.range, e.n, lower, e.r, k.range - 256);
#endif
    } else {
      // rMPS < 256 as rLPS > R - 256.
      const uint32_t nm = rmps < 256 ? 1u : 0u;
      range = rmps << nm;
      n = nm;
      lps = top >= rmps;
      const uint32_t m = 0u - static_cast<uint32_t>(lps);
      range ^= (range ^ e.range) & m;
      n ^= (n ^ e.n) & m;
      value ^= (value ^ lower) & (0 - uint64_t{lps});
    }
    k.range = range;
    k.value = value;
    shift(k, static_cast<int>(n));
    return DecTables::row_nmps(lps_row) ^ static_cast<uint32_t>(lps);
  }

  __attribute__((always_inline)) void shift(Core& k, int n) {
    k.value <<= n;
    k.cnt -= n;
    if (__builtin_expect(k.cnt < 0, 0)) k = refilled(k);
  }

  // Whole bytes go just below the valid bits: six at once inside the
  // segment, else one by one with zeros past its end, up to cnt >= 47.
  // Out of line and by value (rare: about every 48 shifts), so neither the
  // hot loop nor the registers of a caller's local Core pay for it.
  __attribute__((noinline)) Core refilled(Core k) {
    if (k.cnt <= 6 && pos_ + 8 <= size_) {
      uint64_t w;
      std::memcpy(&w, data_ + pos_, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      w = __builtin_bswap64(w);
#endif
      k.value |= (w >> 16) << (6 - k.cnt);
      k.cnt += 48;
      pos_ += 6;
      return k;
    }
    for (; k.cnt <= 46; k.cnt += 8, ++pos_) k.value |= uint64_t{byte_at(pos_)} << (46 - k.cnt);
    return k;
  }

  Core k_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t pos_ = 0;  // bytes loaded into the window register (may pass size_: zeros)
};

}  // namespace nnr

#endif  // NNR_CABAC_ARITH_DECODER_H
