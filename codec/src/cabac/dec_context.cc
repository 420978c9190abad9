#include "cabac/dec_context.h"

namespace nnr {

DecTables::DecTables() : lps_r(), lps_r2(), lps_range(), lps_n(), next_a(), delta_b(), lps(), range_rows(), range_row_at() {
  for (int i = 0; i < 64; ++i) {
    const int rho = i < 32 ? i : 64 - i;  // p >> 7 = i or i - 64
    const int nmps = i < 32 ? 0 : 1;      // p < 0: MPS 0
    range_row_at[i].row = &range_rows[i];
    for (int q = 0; q < 8; ++q) {
      const int r = kRlps[q][rho < 32 ? rho : 31];
      int n = 0;
      while ((r << n) < 256) ++n;
      const int e = 16 * i + 8 + q;
      lps[e] = Lps{static_cast<uint16_t>(r << n), static_cast<uint8_t>(r), static_cast<uint8_t>(n), 0};
      lps_r[e] = uint64_t(r) << kScale;
      lps_r2[e] = uint64_t(r) << (kScale + 1);
      lps_range[e] = uint64_t(r << n) << kScale;
      lps_n[e] = static_cast<uint64_t>(n);
      range_rows[i].lps[q] = RangeLps{static_cast<uint16_t>((r << n) - 256), 0, static_cast<uint8_t>(n), {}};
      for (int low = 0; low < 32; ++low) {
        const int r_mps = 256 + 32 * q + low - r;
        const int n_mps = r_mps < 256 ? 1 : 0;
        range_rows[i].step[32 * q + low] =
            RangeStep{static_cast<uint8_t>((r_mps << n_mps) - 256), static_cast<uint8_t>(n_mps),
                      static_cast<uint16_t>(r_mps | nmps << 15)};
      }
    }
  }
  for (int sa = 4; sa < 8; ++sa) {
    for (int bin = 0; bin < 2; ++bin) {
      const int s = bin ? 1 : -1;
      for (int i = 0; i < 256; ++i) {
        const int a = static_cast<int8_t>(i);
        const int x = 16 + ((s * a) >> 3);  // 0 .. 32 (32 only for a = -128, never reached)
        const int t = x < 32 ? kProbUpdate[x] : 0;
        const int a2 = a + s * (t >> sa);
        next_a[512 * (sa - 4) + 2 * i + 1 - bin] = NextA{static_cast<uint16_t>(512 * (sa - 4) + 2 * (a2 & 255)),
                                                        static_cast<int16_t>(16 * a2 - DecContext::kRowBias)};
      }
    }
  }
  for (int sb = 4; sb < 8; ++sb) {
    for (int bin = 0; bin < 2; ++bin) {
      for (int j = -17; j < 16; ++j) {
        // -1 .. 32; the ends belong to b = -2048 / 2047 with the other bin,
        // which the estimator never reaches, and stay 0.
        const int x = 16 + (bin ? j : ~j);
        const int t = x >= 0 && x < 32 ? kProbUpdate[x] : 0;
        delta_b[512 * (sb - 4) + 256 * (1 - bin) + 17 + j] = static_cast<int16_t>(bin ? t >> sb : -(t >> sb));
      }
    }
  }
}

const DecTables kDecTables;

}  // namespace nnr
